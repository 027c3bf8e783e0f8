// A server restarted on the same data directory comes back with its objects, its PKI and its bootstrap
// objects untouched (the kubernetes Service's fixed ClusterIP must not trip the second start).

import { expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { KubeObject } from "../src/api/types.ts";
import { startServer } from "../src/server/index.ts";
import { freePort, testServerConfig } from "./harness.ts";

test("restart on the same data dir keeps objects and the kubernetes Service", async () => {
  const dir = await mkdtemp(join(tmpdir(), "k3lite-restart-"));
  try {
    const config = testServerConfig(dir, await freePort());
    const first = await startServer(config);
    const cms = { group: "", version: "v1", resource: "configmaps", namespace: "default" };
    const created = await first.client().create<KubeObject>(cms, { metadata: { name: "kept" }, data: { a: "1" } });
    const caBefore = first.pki.serverCaCertPem;
    await first.stop();

    const second = await startServer({ ...config, httpsListenPort: await freePort() });
    try {
      const kept = await second.client().get<KubeObject>(cms, "kept");
      expect(kept.metadata?.uid).toBe(created.metadata?.uid);
      const svc = await second
        .client()
        .get<KubeObject>({ group: "", version: "v1", resource: "services", namespace: "default" }, "kubernetes");
      expect(svc.spec.clusterIP).toBe("10.43.0.1");
      expect(second.pki.serverCaCertPem).toBe(caBefore);
    } finally {
      await second.stop();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
