// Issue 5's promise: kill the whole `k3lite server` (SIGKILL) in the middle of a rolling update, start it again on
// the same data dir, and everything converges — the rollout completes with every pod on the new template, no
// ReplicaSet left with pods, and nothing scaled twice. Hollow nodes from `k3lite sim` keep running throughout and
// reconnect on their own.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, runKubectl, spawnServer, spawnSim, waitFor } from "./harness.ts";

const procs: Bun.Subprocess[] = [];
let dataDir = "";
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  await Promise.all(procs.map((p) => p.exited));
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

const kubeconfig = () => join(dataDir, "kubeconfig.yaml");

async function startServer(port: number): Promise<Bun.Subprocess> {
  const proc = await spawnServer(dataDir, port);
  procs.push(proc);
  return proc;
}

async function kubectl(...args: string[]) {
  const { code, stdout, stderr } = await runKubectl(kubeconfig(), args);
  if (code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${stderr}`);
  return stdout;
}

const json = async (...args: string[]) => JSON.parse(await kubectl(...args, "-o", "json"));

test("a server killed mid-rollout and restarted completes the rollout", async () => {
  dataDir = await mkdtemp(join(tmpdir(), "k3lite-midrollout-"));
  const port = await freePort();
  const first = await startServer(port);
  procs.push(await spawnSim(dataDir, 3, 300));

  await kubectl("create", "deployment", "web", "--image=example/web:1", "--replicas=8");
  await kubectl("rollout", "status", "deployment/web", "--timeout=60s");
  await kubectl("set", "image", "deployment/web", "web=example/web:2");
  // Kill as soon as the new ReplicaSet exists: the rollout is under way, not finished.
  await waitFor(async () => (await json("get", "rs", "-l", "app=web")).items.length === 2, 30_000, "second ReplicaSet");
  first.kill("SIGKILL");
  await first.exited;

  await startServer(port);
  await waitFor(
    async () => {
      const d = (await json("get", "deployment", "web")).status ?? {};
      return d.updatedReplicas === 8 && d.availableReplicas === 8 && d.replicas === 8;
    },
    90_000,
    "rollout complete after restart",
  );
  const pods = (await json("get", "pods", "-l", "app=web")).items.filter(
    (p: { metadata: { deletionTimestamp?: string } }) => !p.metadata.deletionTimestamp,
  );
  expect(pods).toHaveLength(8);
  for (const p of pods) expect(p.spec.containers[0].image).toBe("example/web:2");
  const sets = (await json("get", "rs", "-l", "app=web")).items;
  expect(sets.map((rs: { spec: { replicas: number } }) => rs.spec.replicas).sort()).toEqual([0, 8]);
}, 180_000);
