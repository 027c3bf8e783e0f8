// Joining a second machine as a user does it: `k3lite token create` on the server, `k3lite agent --server …
// --token …` on the worker; the node registers over HTTPS with its own certificate. Bad tokens fail with one line.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type K3lite, runK3lite, startK3lite, waitFor } from "./harness.ts";

const MAIN = resolve(import.meta.dir, "..", "src", "cli", "main.ts");
let k: K3lite;
let work: string;

beforeAll(async () => {
  k = await startK3lite();
  work = await mkdtemp(join(tmpdir(), "k3lite-join-"));
  await writeFile(join(work, "none.yaml"), "");
}, 90_000);

afterAll(async () => {
  await k?.stop();
  if (work) await rm(work, { recursive: true, force: true });
});

const k3lite = (args: string[], timeoutMs = 30_000) =>
  runK3lite([...args, "--config", join(work, "none.yaml")], { timeoutMs });

const serverFlags = () => ["--data-dir", k.dataDir, "--write-kubeconfig", k.kubeconfig];

describe("joining with tokens", () => {
  test("token create prints a K10 token with the CA hash; list shows it; delete revokes it", async () => {
    const created = await k3lite(["token", "create", ...serverFlags(), "--ttl", "1h", "--description", "for pi"]);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^K10[0-9a-f]{64}::[a-z0-9]{6}\.[a-z0-9]{16}$/);
    const listed = await k3lite(["token", "list", ...serverFlags()]);
    expect(listed.stdout).toContain(token.split("::")[1]!);
    expect(listed.stdout).toContain("for pi");
    const deleted = await k3lite(["token", "delete", token, ...serverFlags()]);
    expect(deleted.code).toBe(0);
    expect((await k3lite(["token", "list", ...serverFlags()])).stdout).not.toContain(token.split("::")[1]!);
  });

  test("an agent with a tampered CA hash is refused before sending its secret, with one line", async () => {
    const token = (await k3lite(["token", "create", ...serverFlags()])).stdout.trim();
    const tampered = `K10${"0".repeat(64)}::${token.split("::")[1]}`;
    const r = await k3lite([
      "agent",
      "--server",
      k.url,
      "--token",
      tampered,
      "--data-dir",
      join(work, "bad"),
      "--node-name",
      "tampered",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("do not match the hash in the token");
    expect(r.stderr).not.toContain("    at ");
  });

  test("an agent with a wrong secret is refused with one line", async () => {
    const server = (await Bun.file(join(k.dataDir, "server", "token")).text()).trim();
    const wrong = server.replace(/::server:.*/, "::server:not-the-secret");
    const r = await k3lite([
      "agent",
      "--server",
      k.url,
      "--token",
      wrong,
      "--data-dir",
      join(work, "bad2"),
      "--node-name",
      "wrong",
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("join refused: invalid token");
  });

  test("an agent joins with a bootstrap token and its node becomes Ready", async () => {
    const token = (await k3lite(["token", "create", ...serverFlags()])).stdout.trim();
    const agent = Bun.spawn(
      [
        process.execPath,
        MAIN,
        "agent",
        "--server",
        k.url,
        "--token",
        token,
        "--data-dir",
        join(work, "agent"),
        "--node-name",
        "worker-join",
        "--config",
        join(work, "none.yaml"),
      ],
      { stdout: "pipe", stderr: "pipe" },
    );
    try {
      const ready = await waitFor(
        async () => {
          const r = await k.kubectl([
            "get",
            "node",
            "worker-join",
            "-o",
            'jsonpath={.status.conditions[?(@.type=="Ready")].status}',
          ]);
          return r.stdout === "True" ? r.stdout : undefined;
        },
        60_000,
        "node worker-join Ready",
      );
      expect(ready).toBe("True");
      const who = await k.kubectl([
        "get",
        "node",
        "worker-join",
        "-o",
        "jsonpath={.metadata.labels.kubernetes\\.io/hostname}",
      ]);
      expect(who.stdout).toBe("worker-join");
    } finally {
      agent.kill("SIGTERM");
      await agent.exited;
    }
  }, 90_000);
});
