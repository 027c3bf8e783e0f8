// For unit tests of the API server: one in-process API server per test file over a temporary SQLite store, and
// a `call` that sends a JSON request to it as a system:masters user (no HTTP, no TLS).

import { afterAll, beforeAll } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import { type ApiServer, type ApiServerOptions, createApiServer } from "./app.ts";

const ADMIN = { user: { username: "admin", groups: ["system:masters"] } };

export interface InProcessApi {
  call(method: string, path: string, body?: unknown): Promise<Response>;
  api(): ApiServer;
}

/** Starts in beforeAll (with the `default` namespace), stops in afterAll. */
export function useInProcessApi(opts: Partial<ApiServerOptions> = {}): InProcessApi {
  let dir: string | undefined;
  let store: Store | undefined;
  let api: ApiServer | undefined;
  const started = () => {
    if (!api) throw new Error("the in-process API server is not started: use it inside hooks and tests");
    return api;
  };
  const call = async (method: string, path: string, body?: unknown): Promise<Response> =>
    started().app.fetch(
      new Request(`http://k${path}`, {
        method,
        body: body === undefined ? undefined : JSON.stringify(body),
        headers: { "content-type": "application/json" },
      }),
      ADMIN,
    );
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "k3lite-api-"));
    store = await openStore({ dataDir: dir, compactWindow: false });
    api = createApiServer({ serviceCidr: "10.43.0.0/16", ...opts, store });
    await call("POST", "/api/v1/namespaces", { metadata: { name: "default" } });
  });
  afterAll(async () => {
    await store?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  return { call, api: started };
}
