// A server killed with SIGKILL and started again on the same data dir comes back with everything it had
// acknowledged — the objects, the cluster's bootstrap, the same PKI and token — as a homelab box after a power cut.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runKubectl, spawnServer } from "./harness.ts";

const dirs: string[] = [];
const procs: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function startServer(dataDir: string, port: number) {
  const proc = await spawnServer(dataDir, port);
  procs.push(proc);
  return proc;
}

const kubectl = (dataDir: string, ...args: string[]) => runKubectl(join(dataDir, "kubeconfig.yaml"), args);

test("after kill -9 and a restart, acknowledged writes are there and the server serves again", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "k3lite-restart-"));
  dirs.push(dataDir);
  const port = await freePort();
  const first = await startServer(dataDir, port);
  for (let i = 0; i < 20; i++)
    expect((await kubectl(dataDir, "create", "configmap", `cm-${i}`, `--from-literal=i=${i}`)).code).toBe(0);
  const token = await Bun.file(join(dataDir, "server", "token")).text();
  first.kill("SIGKILL");
  await first.exited;

  await startServer(dataDir, port);
  const names = (await kubectl(dataDir, "get", "configmaps", "-o", "jsonpath={.items[*].metadata.name}")).stdout.split(
    " ",
  );
  for (let i = 0; i < 20; i++) expect(names).toContain(`cm-${i}`);
  expect((await kubectl(dataDir, "get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}")).stdout).toBe(
    "10.43.0.1",
  );
  expect(await Bun.file(join(dataDir, "server", "token")).text()).toBe(token);
  expect((await kubectl(dataDir, "create", "configmap", "after-restart")).code).toBe(0);
}, 120_000);
