// The agent's credentials on disk (<dataDir>/agent/client-node.{crt,key}, ca-bundle.crt, node-password): reused
// across restarts while valid for this node and this cluster, otherwise obtained by joining (with backoff), so a
// restarting agent neither needs the server nor mints a new certificate each time.
import { join } from "node:path";
import { readIfExists, writeFileAtomic, writeSecretFile } from "./files.ts";
import { type JoinOptions, joinClusterWithBackoff } from "./join-client.ts";
import type { NodeCertResponse } from "./join-routes.ts";
import { ensureNodePassword } from "./node-password.ts";
import { certExpiresWithin, RENEW_BEFORE_DAYS } from "./pki.ts";
import { caHashMatches } from "./token.ts";
import { parseCertificates } from "./x509.ts";

export function agentCredentialPaths(dataDir: string) {
  const dir = join(dataDir, "agent");
  return {
    cert: join(dir, "client-node.crt"),
    key: join(dir, "client-node.key"),
    caBundle: join(dir, "ca-bundle.crt"),
    nodePassword: join(dir, "node-password"),
  };
}

export async function ensureAgentCredentials(
  opts: Omit<JoinOptions, "nodePassword"> & {
    dataDir: string;
    signal?: AbortSignal;
    onRetry?: Parameters<typeof joinClusterWithBackoff>[0]["onRetry"];
  },
): Promise<NodeCertResponse & { joined: boolean }> {
  const paths = agentCredentialPaths(opts.dataDir);
  const [certPem, keyPem, caPem] = await Promise.all([
    readIfExists(paths.cert),
    readIfExists(paths.key),
    readIfExists(paths.caBundle),
  ]);
  if (certPem && keyPem && caPem && stillValid(certPem, caPem, opts)) return { caPem, certPem, keyPem, joined: false };

  const nodePassword = await ensureNodePassword(paths.nodePassword);
  const creds = await joinClusterWithBackoff({ ...opts, nodePassword });
  await writeSecretFile(paths.key, creds.keyPem);
  await writeFileAtomic(paths.cert, creds.certPem, 0o644);
  await writeFileAtomic(paths.caBundle, creds.caPem, 0o644);
  return { ...creds, joined: true };
}

/** For this node, not near expiry, and from the cluster the token names (a new token hash means re-join). */
function stillValid(certPem: string, caPem: string, opts: { token: string; nodeName: string }): boolean {
  const cert = parseCertificates(certPem)[0];
  if (!cert || certExpiresWithin(certPem, RENEW_BEFORE_DAYS)) return false;
  if (cert.subjectName.getField("CN")[0] !== `system:node:${opts.nodeName}`) return false;
  return caHashMatches(opts.token, caPem);
}
