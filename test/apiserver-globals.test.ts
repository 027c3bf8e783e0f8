// The HTTPS listener must not swap the process-wide Request/Response (Bun.serve elsewhere in the process needs them).

import { expect, test } from "bun:test";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer } from "../src/server/index.ts";
import { freePort, testServerConfig } from "./harness.ts";

test("starting the API server leaves the global Response alone", async () => {
  const before = globalThis.Response;
  const dir = await mkdtemp(join(tmpdir(), "glob-"));
  const s = await startServer(testServerConfig(dir, await freePort()));
  const r = await fetch(`${s.url}/version`, { tls: { rejectUnauthorized: false } } as RequestInit);
  expect(r.status).toBe(200);
  expect(globalThis.Response).toBe(before);
  const srv = Bun.serve({ port: 0, fetch: () => new Response("ok") });
  expect(await (await fetch(`http://127.0.0.1:${srv.port}/`)).text()).toBe("ok");
  srv.stop(true);
  await s.stop();
});
