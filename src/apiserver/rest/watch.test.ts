// A watcher that stops reading is disconnected once its queue is full, and writers never wait for it.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../../store/index.ts";
import type { Store } from "../../store/types.ts";
import { type ApiServer, createApiServer } from "../app.ts";

let dir: string;
let store: Store;
let api: ApiServer;
const admin = { user: { username: "admin", groups: ["system:masters"] } };
const call = (method: string, path: string, body?: unknown) =>
  api.app.fetch(
    new Request(`http://k${path}`, {
      method,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers: { "content-type": "application/json" },
    }),
    admin,
  );

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "k3lite-watch-"));
  store = await openStore({ dataDir: dir, compactWindow: false });
  api = createApiServer({ store, serviceCidr: "10.43.0.0/16", watchQueueLimit: 5 });
  await call("POST", "/api/v1/namespaces", { metadata: { name: "default" } });
});

afterAll(async () => {
  await store.close();
  await rm(dir, { recursive: true, force: true });
});

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
