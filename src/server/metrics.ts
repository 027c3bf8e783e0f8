// metrics.k8s.io/v1beta1 served by the API server itself (no metrics-server): NodeMetrics and PodMetrics built
// from each node agent's /stats/summary, reached the way pods/log is (src/server/pod-streams.ts). CPU is a rate
// between two samples of cumulative CPU time, memory the working set, as metrics-server reports them.

import { consola } from "consola";
import { Hono } from "hono";
import { fetchFromKubelet } from "../agent/streams/kubelet-proxy.ts";
import type { Summary } from "../agent/streams/stats.ts";
import type { KubeObject, ObjectMeta } from "../api/types.ts";
import type { ApiServer, Env } from "../apiserver/app.ts";
import {
  methodNotSupported,
  notFound,
  pathNotFound,
  StatusError,
  statusResponse,
  toStatusError,
} from "../apiserver/errors.ts";
import { outputKind, respondObject } from "../apiserver/output.ts";
import { requestInfo } from "../apiserver/request-info.ts";
import {
  formatBytes,
  formatNanoCores,
  METRICS_GROUP,
  METRICS_VERSION,
  NODE_METRICS,
  POD_METRICS,
} from "../apiserver/resources/metrics.ts";
import type { ResourceDescriptor } from "../apiserver/resources/types.ts";
import { both, parseFieldSelector, parseLabelSelector } from "../apiserver/selectors.ts";
import { gr } from "../apiserver/storage.ts";
import { type IncludeObject, toTable } from "../apiserver/table.ts";
import { ensureClientCert } from "../auth/client-certs.ts";
import type { ServerPki } from "../auth/pki.ts";
import { KUBELET_CLIENT_IDENTITY, kubeletTargetOf } from "./pod-streams.ts";

// kubernetes-types has no metrics.k8s.io; these follow k8s.io/metrics/pkg/apis/metrics/v1beta1.
export interface ResourceUsage {
  cpu: string;
  memory: string;
}
export interface NodeMetrics {
  apiVersion: string;
  kind: "NodeMetrics";
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  usage: ResourceUsage;
}
export interface PodMetrics {
  apiVersion: string;
  kind: "PodMetrics";
  metadata: ObjectMeta;
  timestamp: string;
  window: string;
  containers: { name: string; usage: ResourceUsage }[];
}

type CpuStats = Summary["node"]["cpu"];
/** Two scrapes of one node: CPU rates are taken between them. `base` is absent when there was no usable one. */
export interface SamplePair {
  current: Summary;
  base?: Summary;
}

const API_VERSION = `${METRICS_GROUP}/${METRICS_VERSION}`;
/** The shortest span a CPU rate is taken over; the first scrape of a node waits this long for a second one. */
const MIN_WINDOW_MS = 1000;
/** Older samples are too stale to average over. */
const MAX_WINDOW_MS = 60_000;
const SCRAPE_TIMEOUT_MS = 10_000;

/** A Go duration string for a window ("1.5s", "15s", "1m0s"), as metav1.Duration prints. */
export function formatWindow(ms: number): string {
  const total = Math.max(0, Math.round(ms)) / 1000;
  const minutes = Math.floor(total / 60);
  const seconds = `${Number((total - minutes * 60).toFixed(3))}s`;
  return minutes ? `${minutes}m${seconds}` : seconds;
}

/** Nanocores used between two samples; the agent's own instantaneous figure if the counter reset or is missing. */
function cpuRate(current: CpuStats, base: CpuStats | undefined): number {
  if (base) {
    const elapsedNs = (Date.parse(current.time) - Date.parse(base.time)) * 1e6;
    const used = current.usageCoreNanoSeconds - base.usageCoreNanoSeconds;
    if (elapsedNs > 0 && used >= 0) return (used / elapsedNs) * 1e9;
  }
  return current.usageNanoCores;
}

function windowOf(current: CpuStats, base: CpuStats | undefined): string {
  return formatWindow(base ? Date.parse(current.time) - Date.parse(base.time) : 0);
}

/** The NodeMetrics for a node from its agent's summaries. */
export function nodeMetricsOf(node: KubeObject, pair: SamplePair, now = new Date()): NodeMetrics {
  const { cpu, memory } = pair.current.node;
  const base = pair.base?.node.cpu;
  return {
    apiVersion: API_VERSION,
    kind: "NodeMetrics",
    metadata: { name: node.metadata?.name, labels: node.metadata?.labels, creationTimestamp: now.toISOString() },
    timestamp: cpu.time,
    window: windowOf(cpu, base),
    usage: { cpu: formatNanoCores(cpuRate(cpu, base)), memory: formatBytes(memory.workingSetBytes) },
  };
}

type PodStats = Summary["pods"][number];
function findPod(summary: Summary | undefined, pod: KubeObject): PodStats | undefined {
  const uid = pod.metadata?.uid;
  return summary?.pods.find((p) =>
    uid ? p.podRef.uid === uid : p.podRef.namespace === pod.metadata?.namespace && p.podRef.name === pod.metadata?.name,
  );
}

/** The PodMetrics for a pod from its node's summaries; undefined while the node reports no containers for it. */
export function podMetricsOf(pod: KubeObject, pair: SamplePair, now = new Date()): PodMetrics | undefined {
  const stats = findPod(pair.current, pod);
  if (!stats?.containers.length) return undefined;
  const before = findPod(pair.base, pod);
  const containers = stats.containers.map((c) => {
    const base = before?.containers.find((b) => b.name === c.name)?.cpu;
    return {
      name: c.name,
      usage: { cpu: formatNanoCores(cpuRate(c.cpu, base)), memory: formatBytes(c.memory.workingSetBytes) },
    };
  });
  const meta = pod.metadata ?? {};
  return {
    apiVersion: API_VERSION,
    kind: "PodMetrics",
    metadata: { name: meta.name, namespace: meta.namespace, labels: meta.labels, creationTimestamp: now.toISOString() },
    timestamp: stats.cpu.time,
    window: windowOf(stats.cpu, before?.cpu),
    containers,
  };
}

interface Sample {
  at: number;
  summary: Summary;
}

/**
 * Scrapes nodes on demand and remembers recent samples per node, so a request gets a rate over at least
 * MIN_WINDOW_MS without a background loop (nothing runs while nobody asks, which suits a Raspberry Pi).
 */
export class SummaryScraper {
  private readonly history = new Map<string, Sample[]>();

  constructor(
    private readonly fetchSummary: (node: KubeObject) => Promise<Summary>,
    private readonly minWindowMs = MIN_WINDOW_MS,
  ) {}

  async sample(node: KubeObject): Promise<SamplePair> {
    const name = node.metadata?.name ?? "";
    let current: Sample = { at: Date.now(), summary: await this.fetchSummary(node) };
    const recent = (this.history.get(name) ?? []).filter((s) => current.at - s.at <= MAX_WINDOW_MS);
    let base = recent.filter((s) => current.at - s.at >= this.minWindowMs).at(-1);
    if (!base) {
      // No usable earlier sample (first look at this node): take a second one a moment later.
      base = current;
      await Bun.sleep(this.minWindowMs);
      current = { at: Date.now(), summary: await this.fetchSummary(node) };
    }
    // Keep the base and a few newer samples: the next request finds one at least minWindowMs old.
    const newer = recent.filter((s) => s.at > base.at).slice(-8);
    this.history.set(name, [base, ...newer, current]);
    return { current: current.summary, base: base.summary };
  }

  /** Drops what is kept for nodes no longer in the cluster. */
  retain(nodeNames: Set<string>): void {
    for (const name of this.history.keys()) if (!nodeNames.has(name)) this.history.delete(name);
  }
}

async function listObjects(
  api: ApiServer,
  d: ResourceDescriptor,
  namespace: string | undefined,
): Promise<KubeObject[]> {
  const page = await api.storage.list(d, namespace, {});
  return page.items.map((kv) => api.storage.decode(kv));
}

async function findObject(
  api: ApiServer,
  d: ResourceDescriptor,
  namespace: string | undefined,
  name: string,
): Promise<KubeObject | undefined> {
  const kv = await api.storage.find(d, namespace, name);
  return kv && api.storage.decode(kv);
}

/** Answers metrics requests from the cluster's Nodes and Pods and the nodes' agents. */
function metricsHandlers(api: ApiServer, scraper: SummaryScraper) {
  const nodes = api.registry.get("", "v1", "nodes")!;
  const pods = api.registry.get("", "v1", "pods")!;
  const nodeNotFound = (name: string) => notFound({ group: METRICS_GROUP, resource: "nodemetrics" }, name);
  const podNotFound = (ns: string, name: string) =>
    notFound({ group: METRICS_GROUP, resource: "podmetrics" }, `${ns}/${name}`);

  /** Samples each node once (in parallel); a node that does not answer is left out, as metrics-server does. */
  async function sampleNodes(names: Set<string>): Promise<Map<string, SamplePair>> {
    const all = await listObjects(api, nodes, undefined);
    scraper.retain(new Set(all.map((n) => n.metadata?.name ?? "")));
    const wanted = all.filter((n) => names.has(n.metadata?.name ?? ""));
    const out = new Map<string, SamplePair>();
    await Promise.all(
      wanted.map(async (n) => {
        try {
          out.set(n.metadata?.name ?? "", await scraper.sample(n));
        } catch (err) {
          consola.debug(`metrics: node ${n.metadata?.name}: ${(err as Error).message}`);
        }
      }),
    );
    return out;
  }

  const selectorOf = (d: ResourceDescriptor, query: URLSearchParams) =>
    both(parseLabelSelector(query.get("labelSelector")), parseFieldSelector(query.get("fieldSelector"), d.fields));

  return {
    async getNode(name: string): Promise<NodeMetrics> {
      const node = await findObject(api, nodes, undefined, name);
      const pair = node && (await sampleNodes(new Set([name]))).get(name);
      if (!node || !pair) throw nodeNotFound(name);
      return nodeMetricsOf(node, pair);
    },
    async listNodes(query: URLSearchParams): Promise<NodeMetrics[]> {
      const match = selectorOf(nodes, query);
      const wanted = (await listObjects(api, nodes, undefined)).filter((n) => !match || match(n));
      const pairs = await sampleNodes(new Set(wanted.map((n) => n.metadata?.name ?? "")));
      return wanted.flatMap((n) => {
        const pair = pairs.get(n.metadata?.name ?? "");
        return pair ? [nodeMetricsOf(n, pair)] : [];
      });
    },
    async getPod(namespace: string, name: string): Promise<PodMetrics> {
      const pod = await findObject(api, pods, namespace, name);
      const nodeName = pod?.spec?.nodeName;
      const pair = nodeName && (await sampleNodes(new Set([nodeName]))).get(nodeName);
      const metrics = pod && pair ? podMetricsOf(pod, pair) : undefined;
      if (!metrics) throw podNotFound(namespace, name);
      return metrics;
    },
    async listPods(namespace: string | undefined, query: URLSearchParams): Promise<PodMetrics[]> {
      const match = selectorOf(pods, query);
      const wanted = (await listObjects(api, pods, namespace)).filter((p) => p.spec?.nodeName && (!match || match(p)));
      const pairs = await sampleNodes(new Set(wanted.map((p) => p.spec?.nodeName as string)));
      return wanted.flatMap((p) => {
        const pair = pairs.get(p.spec?.nodeName);
        const metrics = pair && podMetricsOf(p, pair);
        return metrics ? [metrics] : [];
      });
    },
  };
}

function respond(
  req: Request,
  query: URLSearchParams,
  d: ResourceDescriptor,
  value: KubeObject | KubeObject[],
): Response {
  const kind = outputKind(req.headers.get("accept"));
  const items = Array.isArray(value) ? value : [value];
  if (kind === "table") {
    const include = (query.get("includeObject") ?? "Metadata") as IncludeObject;
    return respondObject(200, toTable(d.columns, items, {}, include));
  }
  const body = Array.isArray(value) ? { kind: `${d.kind}List`, apiVersion: API_VERSION, metadata: {}, items } : value;
  return respondObject(200, body, kind === "metadata" ? "json" : kind);
}

/** Routes for /apis/metrics.k8s.io/v1beta1/…; discovery paths fall through to the API server's own discovery. */
function createMetricsRoutes(api: ApiServer, scraper: SummaryScraper): Hono {
  const handlers = metricsHandlers(api, scraper);
  const app = new Hono();
  app.onError((err) => statusResponse(toStatusError(err)));
  app.all("*", async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const info = requestInfo(req.method, url.pathname, url.searchParams.get("watch"));
    // A 404 without a JSON body lets the API server answer the path itself (the group's discovery document).
    if (!info.isResourceRequest) return new Response(null, { status: 404 });
    const user = await api.authenticateRequest(req, c.env as Env | undefined);
    if (user instanceof StatusError) throw user;
    const denied = await api.authorizeRequest(user, info);
    if (denied) throw denied;
    const d = info.resource === "nodes" ? NODE_METRICS : info.resource === "pods" ? POD_METRICS : undefined;
    if (!d || info.subresource || (!d.namespaced && info.namespace)) throw pathNotFound();
    if (info.verb !== "get" && info.verb !== "list") throw methodNotSupported(gr(d), info.verb);
    const q = url.searchParams;
    if (d === NODE_METRICS)
      return respond(req, q, d, info.name ? await handlers.getNode(info.name) : await handlers.listNodes(q));
    if (info.name) return respond(req, q, d, await handlers.getPod(info.namespace ?? "", info.name));
    return respond(req, q, d, await handlers.listPods(info.namespace, q));
  });
  return app;
}

/** Adds metrics.k8s.io/v1beta1 to discovery and answers it with summaries from `fetchSummary`. */
export function serveMetrics(
  api: ApiServer,
  fetchSummary: (node: KubeObject) => Promise<Summary>,
  minWindowMs = MIN_WINDOW_MS,
): void {
  api.registry.add(NODE_METRICS);
  api.registry.add(POD_METRICS);
  api.mount(
    `/apis/${METRICS_GROUP}/${METRICS_VERSION}`,
    createMetricsRoutes(api, new SummaryScraper(fetchSummary, minWindowMs)),
  );
}

/** Serves metrics.k8s.io/v1beta1 from the API server, reading each node agent's /stats/summary. */
export async function wireMetrics(api: ApiServer, pki: ServerPki): Promise<void> {
  const cert = await ensureClientCert(pki, KUBELET_CLIENT_IDENTITY);
  serveMetrics(api, async (node) => {
    const res = await fetchFromKubelet(
      kubeletTargetOf(node, cert),
      "/stats/summary",
      AbortSignal.timeout(SCRAPE_TIMEOUT_MS),
    );
    if (!res.ok) throw new Error(`/stats/summary: HTTP ${res.status}`);
    return (await res.json()) as Summary;
  });
}
