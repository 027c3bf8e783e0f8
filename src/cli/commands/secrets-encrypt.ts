// `k3lite secrets-encrypt status|rotate-keys`: run on a server machine; talks to the local server with the server
// token (read from the data dir), like `k3s secrets-encrypt`.

import { existsSync, readFileSync } from "node:fs";
import { defineCommand } from "citty";
import { serverTokenPath } from "../../auth/token.ts";
import { loadKubeconfig } from "../../client/kubeconfig.ts";
import { ConfigError, req, resolveFlags } from "../config.ts";
import { type FlagSpec, serverFlags } from "../flags.ts";
import { cittyArgs } from "../run.ts";

const flags: FlagSpec[] = serverFlags.filter((f) => ["config", "data-dir", "write-kubeconfig"].includes(f.name));
const PATH = "/v1-k3lite/secrets-encrypt";

async function call(rawArgs: string[], method: "GET" | "POST", action: string): Promise<Record<string, unknown>> {
  const v = resolveFlags(flags, rawArgs);
  const tokenFile = serverTokenPath(req(v, "data-dir"));
  const kubeconfig = req(v, "write-kubeconfig");
  if (!existsSync(tokenFile) || !existsSync(kubeconfig)) {
    throw new ConfigError(
      `no server token at ${tokenFile} or kubeconfig at ${kubeconfig}: run this on a k3lite server (with its --data-dir)`,
    );
  }
  const target = loadKubeconfig(kubeconfig);
  const res = await fetch(`${target.server}${PATH}/${action}`, {
    method,
    headers: { authorization: `Bearer ${readFileSync(tokenFile, "utf8").trim()}` },
    tls: { ca: target.caPem },
  });
  const body = (await res.json()) as Record<string, unknown>;
  if (!res.ok) throw new Error(`secrets-encrypt ${action}: ${body.message ?? `HTTP ${res.status}`}`);
  return body;
}

const status = defineCommand({
  meta: { name: "status", description: "Show whether Secrets are encrypted at rest, and under which key" },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const s = await call(rawArgs, "GET", "status");
    console.log(`Encryption Status: ${s.enabled ? "Enabled" : "Disabled"}`);
    console.log(`Current Key: ${s.writeKey ?? "<none: writing plaintext>"}`);
    console.log(`Keys: ${(s.keys as string[]).join(", ")}`);
    console.log(`Secrets: ${s.secrets} (${s.secretsNotUnderWriteKey} not under the current key)`);
    console.log(`Config: ${s.encryptionConfigPath}`);
  },
});

const rotateKeys = defineCommand({
  meta: {
    name: "rotate-keys",
    description: "Encrypt every Secret under a new key, then retire the old keys (no downtime)",
  },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const r = await call(rawArgs, "POST", "rotate-keys");
    console.log(
      `new key ${r.newKey}; ${r.rewritten} secrets rewritten; retired ${(r.removedKeys as string[]).join(", ") || "no keys"}`,
    );
  },
});

export default defineCommand({
  meta: { name: "secrets-encrypt", description: "Secrets encryption at rest: status and key rotation" },
  subCommands: { status, "rotate-keys": rotateKeys },
});
