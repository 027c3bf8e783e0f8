// Secrets at rest, as an operator checks them: `k3lite secrets-encrypt status`, then `rotate-keys` while the server
// runs — the Secret stays readable throughout and the datastore file holds it only under the new key.
import { expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { runK3liteSync, useK3lite } from "./harness.ts";

const k = useK3lite();

function k3lite(...args: string[]) {
  const flags = ["--data-dir", k.dataDir, "--write-kubeconfig", k.kubeconfig, "--config", join(k.dataDir, "none.yaml")];
  return runK3liteSync([...args, ...flags]);
}

/** Every byte of the SQLite database and its WAL, as text, to search for keys and plaintext. */
function datastoreBytes(): string {
  const db = join(k.dataDir, "server", "db", "state.db");
  return ["", "-wal"]
    .map((s) => {
      try {
        return readFileSync(db + s).toString("latin1");
      } catch {
        return "";
      }
    })
    .join("");
}

test("status, then rotate-keys with the secret readable before and after", async () => {
  expect(
    (await k.kubectl(["create", "secret", "generic", "db", "--from-literal=password=hunter2-plaintext"])).code,
  ).toBe(0);
  const before = k3lite("secrets-encrypt", "status");
  expect(before.code).toBe(0);
  expect(before.stdout).toContain("Encryption Status: Enabled");
  const oldKey = /Current Key: (\S+)/.exec(before.stdout)![1]!;
  expect(datastoreBytes()).toContain(`k8s:enc:aesgcm:v1:${oldKey}:`);

  const rotated = k3lite("secrets-encrypt", "rotate-keys");
  expect(rotated.stderr).toBe("");
  expect(rotated.code).toBe(0);
  const newKey = /new key (\S+);/.exec(rotated.stdout)![1]!;
  expect(newKey).not.toBe(oldKey);

  const after = k3lite("secrets-encrypt", "status");
  expect(after.stdout).toContain(`Current Key: ${newKey}`);
  expect(after.stdout).toContain("(0 not under the current key)");
  const got = await k.kubectl(["get", "secret", "db", "-o", "jsonpath={.data.password}"]);
  expect(Buffer.from(got.stdout, "base64").toString()).toBe("hunter2-plaintext");
  expect(datastoreBytes()).not.toContain("hunter2-plaintext");
});

test("without the server token the endpoints refuse", async () => {
  const res = await fetch(`${k.url}/v1-k3lite/secrets-encrypt/status`, {
    headers: { authorization: "Bearer nope" },
    tls: { rejectUnauthorized: false },
  });
  expect(res.status).toBe(401);
  const rotate = await fetch(`${k.url}/v1-k3lite/secrets-encrypt/rotate-keys`, {
    method: "POST",
    tls: { rejectUnauthorized: false },
  });
  expect(rotate.status).toBe(401);
});
