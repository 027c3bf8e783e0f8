import { expect, test } from "bun:test";
import type { Node } from "../api/types.ts";
import { nodes } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { allocateCidr, parseCidr, startNodeIpamController } from "./nodeipam.ts";
import { FakeCluster } from "./testing/fake.ts";

test("allocateCidr hands out /24s in order and skips used ones", () => {
  const c = parseCidr("10.42.0.0/16");
  expect(allocateCidr(c, 24, new Set())).toBe("10.42.0.0/24");
  expect(allocateCidr(c, 24, new Set(["10.42.0.0/24", "10.42.1.0/24"]))).toBe("10.42.2.0/24");
  expect(allocateCidr(parseCidr("10.0.0.0/23"), 24, new Set(["10.0.0.0/24", "10.0.1.0/24"]))).toBeUndefined();
});

test("every node gets a distinct podCIDR; a deleted node's range is reused", async () => {
  const cluster = new FakeCluster();
  const c = startNodeIpamController(cluster.context(), "10.42.0.0/16");
  c.run();
  for (const name of ["a", "b", "c"]) cluster.put<Node>(nodes, { metadata: { name } });
  const cidrs = () => Object.fromEntries(cluster.objects<Node>(nodes).map((n) => [n.metadata?.name, n.spec?.podCIDR]));
  await waitFor(() => Object.values(cidrs()).every(Boolean), "all allocated");
  expect(new Set(Object.values(cidrs())).size).toBe(3);
  const freed = cidrs().b;
  await cluster.client.delete(nodes, "b");
  cluster.put<Node>(nodes, { metadata: { name: "d" } });
  await waitFor(() => cidrs().d === freed, "range reused");
  expect(cluster.objects<Node>(nodes).find((n) => n.metadata?.name === "d")?.spec?.podCIDRs).toEqual([freed]);
  await c.stop();
});
