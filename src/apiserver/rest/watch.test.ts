// A watcher that stops reading is disconnected once its queue is full, and writers never wait for it.

import { expect, test } from "bun:test";
import { useInProcessApi } from "../testing.ts";

const { call } = useInProcessApi({ watchQueueLimit: 5 });

test("a watcher that does not read is dropped after its queue limit; writes go on", async () => {
  const res = await call("GET", "/api/v1/namespaces/default/configmaps?watch=1&resourceVersion=1");
  expect(res.status).toBe(200);
  for (let i = 0; i < 20; i++) {
    const created = await call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: `c${i}` } });
    expect(created.status).toBe(201);
  }
  // The stream ended after at most the queued events: the client relists and rewatches, as upstream's do.
  const lines = (await res.text()).trim().split("\n");
  expect(lines.length).toBeGreaterThan(0);
  expect(lines.length).toBeLessThanOrEqual(7);
  expect(JSON.parse(lines[0]).type).toBe("ADDED");
});
