// A server killed with SIGKILL and started again on the same data dir comes back with everything it had
// acknowledged — the objects, the cluster's bootstrap, the same PKI and token — as a homelab box after a power cut.
import { afterAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, KUBECTL, waitFor } from "./harness.ts";

const MAIN = resolve(import.meta.dir, "..", "src", "cli", "main.ts");
const dirs: string[] = [];
const procs: Bun.Subprocess[] = [];
afterAll(async () => {
  for (const p of procs) p.kill("SIGKILL");
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function startServer(dataDir: string, port: number) {
  const proc = Bun.spawn(
    [
      process.execPath,
      MAIN,
      "server",
      "--disable-agent",
      "--data-dir",
      dataDir,
      "--https-listen-port",
      String(port),
      "--bind-address",
      "127.0.0.1",
      "--write-kubeconfig",
      join(dataDir, "kubeconfig.yaml"),
      "--config",
      join(dataDir, "none.yaml"),
    ],
    { stdout: "ignore", stderr: "pipe" },
  );
  procs.push(proc);
  await waitFor(
    async () => {
      if (proc.exitCode !== null) throw new Error(`server exited: ${await new Response(proc.stderr).text()}`);
      return (await fetch(`https://127.0.0.1:${port}/readyz`, { tls: { rejectUnauthorized: false } })).ok;
    },
    60_000,
    "/readyz",
  );
  return proc;
}

async function kubectl(dataDir: string, ...args: string[]) {
  const p = Bun.spawn([KUBECTL, ...args], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: join(dataDir, "kubeconfig.yaml") },
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
    p.exited,
  ]);
  return { stdout, stderr, code };
}

test("after kill -9 and a restart, acknowledged writes are there and the server serves again", async () => {
  const dataDir = await mkdtemp(join(tmpdir(), "k3lite-restart-"));
  dirs.push(dataDir);
  await writeFile(join(dataDir, "none.yaml"), "");
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
