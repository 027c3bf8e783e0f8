// The control plane as `k3lite server` runs it (scheduler and controllers in the same process, each with its
// own identity) driving hollow nodes from `k3lite sim`: a Deployment created with kubectl becomes Available,
// spread over the nodes, and scales down again.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { type K3lite, spawnSim, startK3lite, waitFor } from "./harness.ts";

let k: K3lite;
let sim: Bun.Subprocess;

beforeAll(async () => {
  // --debug: controllers log failed syncs (e.g. a forbidden write) at debug level; the test checks for none.
  k = await startK3lite({ args: ["--debug"] });
  sim = await spawnSim(k.dataDir, 3, 100);
}, 90_000);

afterAll(async () => {
  sim?.kill("SIGTERM");
  await sim?.exited;
  await k?.stop();
});

const available = async (name: string) =>
  (await k.kubectl(["get", "deployment", name, "-o", "jsonpath={.status.availableReplicas}"])).stdout;

test("a Deployment becomes Available on hollow nodes and scales to 0", async () => {
  expect((await k.kubectl(["create", "deployment", "web", "--image=busybox:1.35", "--replicas=6"])).code).toBe(0);
  await waitFor(async () => (await available("web")) === "6", 30_000, "6 available replicas");
  const nodes = (
    await k.kubectl(["get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}"])
  ).stdout.split(" ");
  expect(new Set(nodes).size).toBe(3);
  const rollout = await k.kubectl(["rollout", "status", "deployment/web", "--timeout=30s"]);
  expect(rollout.stdout).toContain('deployment "web" successfully rolled out');

  expect((await k.kubectl(["scale", "deployment/web", "--replicas=0"])).code).toBe(0);
  await waitFor(
    async () => (await k.kubectl(["get", "pods", "-l", "app=web", "-o", "name"])).stdout.trim() === "",
    30_000,
    "no pods",
  );
  expect(k.log()).not.toContain("forbidden");
}, 90_000);
