import { expect, test } from "bun:test";
import type { Pod } from "../../api/types.ts";
import { statusCache } from "./status-cache.ts";

const pod = (rv: string, phase: string): Pod => ({
  metadata: { name: "p", namespace: "default", uid: "u1", resourceVersion: rv },
  spec: { containers: [] },
  status: { phase },
});

test("a sync sees the status it wrote until the informer catches up, then the informer's copy", () => {
  const cache = statusCache();
  expect(cache.newest(pod("5", "Pending")).status?.phase).toBe("Pending");
  cache.wrote(pod("7", "Running"));
  expect(cache.newest(pod("5", "Pending")).status?.phase).toBe("Running"); // informer still at 5
  expect(cache.newest(pod("9", "Failed")).status?.phase).toBe("Failed"); // someone wrote after us
  cache.forget("u1");
  expect(cache.newest(pod("5", "Pending")).status?.phase).toBe("Pending");
});
