// Reads a kubeconfig file (the one k3lite writes, or any kubectl's) and builds an HTTPS transport for its
// current context: server URL, cluster CA, client certificate/key or bearer token, inline or by file path.

import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { parse } from "yaml";
import { createClient } from "./client.ts";
import { type HttpsTransportOptions, httpsTransport } from "./https.ts";
import type { KubeClient, Transport } from "./types.ts";

interface NamedEntry<T> {
  name: string;
  [key: string]: T | string;
}

interface Kubeconfig {
  "current-context"?: string;
  clusters?: NamedEntry<Record<string, unknown>>[];
  users?: NamedEntry<Record<string, unknown>>[];
  contexts?: NamedEntry<Record<string, unknown>>[];
}

/** Connection settings of a kubeconfig's context (default: its current-context). */
export function loadKubeconfig(path: string, context?: string): HttpsTransportOptions {
  const text = readFileSync(path, "utf8");
  return parseKubeconfig(text, dirname(path), context, path);
}

export function parseKubeconfig(text: string, baseDir: string, contextName?: string, source = "kubeconfig") {
  const config = (parse(text) ?? {}) as Kubeconfig;
  const wanted = contextName ?? config["current-context"];
  if (!wanted) throw new Error(`${source}: no current-context set and none given`);
  const context = find(config.contexts, wanted, "context", source).context as Record<string, string> | undefined;
  if (!context?.cluster) throw new Error(`${source}: context "${wanted}" names no cluster`);
  const cluster = find(config.clusters, context.cluster, "cluster", source).cluster as Record<string, unknown>;
  const user = context.user
    ? ((find(config.users, context.user, "user", source).user ?? {}) as Record<string, unknown>)
    : {};
  const server = cluster?.server;
  if (typeof server !== "string") throw new Error(`${source}: cluster "${context.cluster}" has no server`);

  const material = (dataKey: string, fileKey: string, from: Record<string, unknown>): string | undefined => {
    const data = from[dataKey];
    if (typeof data === "string") return Buffer.from(data, "base64").toString("utf8");
    const file = from[fileKey];
    if (typeof file === "string") return readFileSync(isAbsolute(file) ? file : resolve(baseDir, file), "utf8");
    return undefined;
  };
  const tokenFile = user.tokenFile;
  const token =
    typeof user.token === "string"
      ? user.token
      : typeof tokenFile === "string"
        ? readFileSync(resolve(baseDir, tokenFile), "utf8").trim()
        : undefined;
  return {
    server,
    caPem: material("certificate-authority-data", "certificate-authority", cluster),
    certPem: material("client-certificate-data", "client-certificate", user),
    keyPem: material("client-key-data", "client-key", user),
    token,
    insecureSkipTlsVerify: cluster["insecure-skip-tls-verify"] === true,
  } satisfies HttpsTransportOptions;
}

function find<T>(entries: NamedEntry<T>[] | undefined, name: string, what: string, source: string): NamedEntry<T> {
  const entry = entries?.find((e) => e.name === name);
  if (!entry) throw new Error(`${source}: ${what} "${name}" not found`);
  return entry;
}

export function transportFromKubeconfig(path: string, context?: string): Transport {
  return httpsTransport(loadKubeconfig(path, context));
}

export function clientFromKubeconfig(path: string, context?: string): KubeClient {
  return createClient(transportFromKubeconfig(path, context));
}
