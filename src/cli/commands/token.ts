// `k3lite token create|list|delete`: bootstrap tokens for joining agents (Secrets `bootstrap-token-<id>` in
// kube-system, as kubeadm and k3s keep them), plus the server token itself in `list` and `rotate`.

import { existsSync, readFileSync } from "node:fs";
import { defineCommand } from "citty";
import type { Secret } from "../../api/types.ts";
import {
  BOOTSTRAP_TOKEN_NAMESPACE,
  bootstrapTokenSecret,
  bootstrapTokenSecretName,
  describeBootstrapToken,
  generateBootstrapToken,
  parseBootstrapToken,
} from "../../auth/bootstrap-token.ts";
import { serverPkiPaths } from "../../auth/pki.ts";
import { caBundleHash, rotateServerToken, serverTokenPath } from "../../auth/token.ts";
import { clientFromKubeconfig } from "../../client/kubeconfig.ts";
import { inNamespace, secrets } from "../../client/refs.ts";
import { ConfigError, req, resolveFlags, str } from "../config.ts";
import { type FlagSpec, serverFlags } from "../flags.ts";
import { cittyArgs } from "../run.ts";

const flags: FlagSpec[] = [
  ...serverFlags.filter((f) => ["config", "data-dir", "write-kubeconfig"].includes(f.name)),
  { name: "kubeconfig", type: "string", description: "Kubeconfig to reach the server (default: the admin kubeconfig)" },
  {
    name: "ttl",
    type: "string",
    description: "Lifetime of the token, e.g. 30m, 24h, 0 for never (create)",
    default: () => "24h",
  },
  { name: "description", type: "string", description: "A note kept with the token (create)" },
  { name: "new-token", type: "string", description: "The new server token or its secret (rotate; default: random)" },
];

const tokenSecrets = inNamespace(secrets, BOOTSTRAP_TOKEN_NAMESPACE);

function context(rawArgs: string[], maxPositionals = 0) {
  const v = resolveFlags(flags, rawArgs, process.env, maxPositionals);
  const dataDir = req(v, "data-dir");
  const kubeconfig = str(v, "kubeconfig") ?? process.env.KUBECONFIG ?? req(v, "write-kubeconfig");
  if (!existsSync(kubeconfig))
    throw new ConfigError(`no kubeconfig at ${kubeconfig}: is k3lite server running here? (or pass --kubeconfig)`);
  const bundle = serverPkiPaths(dataDir).caBundle;
  const caHash = existsSync(bundle) ? caBundleHash(readFileSync(bundle, "utf8")) : undefined;
  return { v, dataDir, client: clientFromKubeconfig(kubeconfig), caHash };
}

/** "24h", "30m", "90s", "0" → seconds. */
export function parseTtl(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new ConfigError(`--ttl: "${text}" is not a duration (e.g. 30m, 24h, 0 for never)`);
  return Number(m[1]) * { s: 1, m: 60, h: 3600, d: 86400 }[(m[2] ?? "s") as "s" | "m" | "h" | "d"];
}

const create = defineCommand({
  meta: { name: "create", description: "Create a bootstrap token agents can join with" },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const { v, client, caHash } = context(rawArgs);
    const token = generateBootstrapToken();
    const secret = bootstrapTokenSecret({
      token,
      ttlSeconds: parseTtl(req(v, "ttl")),
      description: str(v, "description"),
    });
    await client.create(tokenSecrets, secret);
    const bare = `${token.id}.${token.secret}`;
    console.log(caHash ? `K10${caHash}::${bare}` : bare);
  },
});

const list = defineCommand({
  meta: { name: "list", description: "List the server token and the bootstrap tokens" },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const { dataDir, client } = context(rawArgs);
    const tokenFile = serverTokenPath(dataDir);
    if (existsSync(tokenFile)) console.log(`server token: ${readFileSync(tokenFile, "utf8").trim()}\n`);
    const all = await client.list<Secret>(tokenSecrets, { fieldSelector: "type=bootstrap.kubernetes.io/token" });
    const rows = all.items.map((s) => describeBootstrapToken(s)).filter((r) => r !== undefined);
    const table = [
      ["TOKEN", "TTL", "EXPIRES", "USAGES", "DESCRIPTION"],
      ...rows.map((r) => [r.token, r.ttl, r.expires, r.usages.join(","), r.description || "<none>"]),
    ];
    const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)));
    for (const row of table)
      console.log(
        row
          .map((cell, i) => cell.padEnd(widths[i]! + 3))
          .join("")
          .trimEnd(),
      );
  },
});

const remove = defineCommand({
  meta: { name: "delete", description: "Delete (revoke) bootstrap tokens, by id or whole token" },
  args: { ...cittyArgs(flags), token: { type: "positional", description: "Token id or token" } },
  async run({ rawArgs }) {
    const { v, client } = context(rawArgs, 1);
    const given = v._[0];
    if (!given) throw new ConfigError("token delete: name the token (its id, or the whole token)");
    const id = parseBootstrapToken(given.replace(/^K10[0-9a-f]*::/, ""))?.id ?? given;
    await client.delete(tokenSecrets, bootstrapTokenSecretName(id));
    console.log(`bootstrap token "${id}" deleted`);
  },
});

const rotate = defineCommand({
  meta: {
    name: "rotate",
    description: "Replace the server token: joined agents stay connected, new joins need the new token",
  },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const v = resolveFlags(flags, rawArgs, process.env);
    const dataDir = req(v, "data-dir");
    const bundle = serverPkiPaths(dataDir).caBundle;
    if (!existsSync(bundle))
      throw new ConfigError(`no CA certificates at ${bundle}: run this on the server (or pass --data-dir)`);
    // The running server reads the token file per join, so no restart is needed.
    console.log(await rotateServerToken(dataDir, readFileSync(bundle, "utf8"), str(v, "new-token")));
  },
});

export default defineCommand({
  meta: { name: "token", description: "Manage join tokens" },
  subCommands: { create, list, delete: remove, rotate },
});
