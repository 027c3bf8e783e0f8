// Renders kubeconfig files the way k3s writes them (cluster, user and context all named "default", credentials
// embedded as base64 data) and writes the admin kubeconfig with a chosen file mode.
import { stringify } from "yaml";
import { ADMIN_IDENTITY, ensureClientCert } from "./client-certs.ts";
import { writeFileAtomic } from "./files.ts";
import type { ServerPki } from "./pki.ts";

export interface KubeconfigOptions {
  server: string;
  caPem: string;
  certPem?: string;
  keyPem?: string;
  token?: string;
  clusterName?: string;
  user?: string;
}

const b64 = (pem: string) => Buffer.from(pem).toString("base64");

export function renderKubeconfig(opts: KubeconfigOptions): string {
  const cluster = opts.clusterName ?? "default";
  const user = opts.user ?? "default";
  const credentials: Record<string, string> = {};
  if (opts.certPem) credentials["client-certificate-data"] = b64(opts.certPem);
  if (opts.keyPem) credentials["client-key-data"] = b64(opts.keyPem);
  if (opts.token) credentials.token = opts.token;
  return stringify({
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: cluster, cluster: { "certificate-authority-data": b64(opts.caPem), server: opts.server } }],
    contexts: [{ name: "default", context: { cluster, user } }],
    "current-context": "default",
    preferences: {},
    users: [{ name: user, user: credentials }],
  });
}

/** Writes a kubeconfig, creating parent directories; `mode` is e.g. 0o600 (default) or from --write-kubeconfig-mode. */
export async function writeAdminKubeconfig(path: string, mode: number, opts: KubeconfigOptions): Promise<void> {
  await writeFileAtomic(path, renderKubeconfig(opts), mode);
}

/**
 * The server's admin kubeconfig (CN=system:admin, O=system:masters), as k3s writes /etc/rancher/k3s/k3s.yaml:
 * the admin certificate is kept in the TLS dir and reused, so restarts do not invalidate copies of the file.
 */
export async function ensureAdminKubeconfig(opts: {
  pki: Pick<ServerPki, "clientCaCertPem" | "clientCaKeyPem" | "serverCaCertPem" | "paths">;
  path: string;
  mode?: number;
  server: string;
}): Promise<void> {
  const admin = await ensureClientCert(opts.pki, ADMIN_IDENTITY);
  await writeAdminKubeconfig(opts.path, opts.mode ?? 0o600, {
    server: opts.server,
    caPem: opts.pki.serverCaCertPem,
    certPem: admin.certPem,
    keyPem: admin.keyPem,
  });
}

/** Parses --write-kubeconfig-mode ("0644", "644", "0o600"); undefined/empty means 0600. */
export function parseFileMode(text: string | undefined, fallback = 0o600): number {
  if (!text) return fallback;
  const mode = Number.parseInt(text.replace(/^0o/i, ""), 8);
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o777) throw new Error(`invalid file mode "${text}"`);
  return mode;
}
