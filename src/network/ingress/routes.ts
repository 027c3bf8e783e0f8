// The routing table of the in-process ingress (pure): our Ingresses, their Services and EndpointSlices become
// host → path → backend routes, matched as the Ingress API specifies (exact and one-label wildcard hosts; Exact,
// Prefix and ImplementationSpecific paths, longest match first, Exact before Prefix at equal length).

import { olderFirst } from "../../api/order.ts";
import type { EndpointSlice, networking, Service } from "../../api/types.ts";
import { type Endpoint, ipv4SlicesByService, portEndpoints } from "../endpoints.ts";
import { isOurIngress } from "./class.ts";

export type { Endpoint } from "../endpoints.ts";

export interface Backend {
  /** "namespace/service:port" as the Ingress names it: what round-robin state and logs are keyed by. */
  key: string;
  /** Ready IPv4 endpoints (sorted); empty when the Service, its port or its endpoints are missing. */
  endpoints: Endpoint[];
}

export interface PathRoute {
  /** The path as written, without a trailing "/" for prefixes ("/" stays "/"). */
  path: string;
  exact: boolean;
  backend: Backend;
  /** Traefik's entrypoints the route is served on ("web" :80, "websecure" :443); undefined: both. */
  entrypoints?: Entrypoint[];
}

export type Entrypoint = "web" | "websecure";

/** Traefik's annotations that k3s manifests use to pin an Ingress to HTTP or HTTPS. */
export const ENTRYPOINTS_ANNOTATION = "traefik.ingress.kubernetes.io/router.entrypoints";
export const ROUTER_TLS_ANNOTATION = "traefik.ingress.kubernetes.io/router.tls";

export interface RouteTable {
  /** Paths of rules for one exact host, best match first. */
  hosts: Map<string, PathRoute[]>;
  /** Paths of `*.suffix` rules keyed by ".suffix", best match first. */
  wildcards: Map<string, PathRoute[]>;
  /** Paths of rules without a host (any host), best match first. */
  anyHost: PathRoute[];
  /** The oldest Ingress's spec.defaultBackend: what no rule matches goes there. */
  defaultBackend?: Backend;
}

export const emptyRouteTable = (): RouteTable => ({ hosts: new Map(), wildcards: new Map(), anyHost: [] });

interface Ranked extends PathRoute {
  /** Creation order of the Ingress: an older Ingress wins a tie, as with Traefik's stable router order. */
  order: number;
}

export function buildRouteTable(
  ingresses: networking.Ingress[],
  services: Service[],
  slices: EndpointSlice[],
): RouteTable {
  const svcs = new Map(services.map((s) => [`${s.metadata?.namespace}/${s.metadata?.name}`, s]));
  const slicesBySvc = ipv4SlicesByService(slices);
  const backendOf = (ns: string, b: networking.IngressBackend | undefined): Backend | undefined => {
    if (!b?.service?.name) return undefined; // resource backends are for other controllers
    const svcKey = `${ns}/${b.service.name}`;
    return resolveBackend(svcKey, b.service.port, svcs.get(svcKey), slicesBySvc.get(svcKey) ?? []);
  };

  const table = emptyRouteTable();
  const hosts = new Map<string, Ranked[]>();
  const wildcards = new Map<string, Ranked[]>();
  const anyHost: Ranked[] = [];
  const ours = ingresses.filter(isOurIngress).sort(olderFirst);
  ours.forEach((ing, order) => {
    const ns = ing.metadata?.namespace ?? "";
    const entrypoints = entrypointsOf(ing);
    if (!table.defaultBackend) table.defaultBackend = backendOf(ns, ing.spec?.defaultBackend);
    for (const rule of ing.spec?.rules ?? []) {
      const host = rule.host?.toLowerCase();
      const list = !host ? anyHost : host.startsWith("*.") ? bucket(wildcards, host.slice(1)) : bucket(hosts, host);
      for (const p of rule.http?.paths ?? []) {
        const backend = backendOf(ns, p.backend);
        if (!backend) continue;
        const exact = p.pathType === "Exact";
        const raw = p.path || "/";
        list.push({ path: exact ? raw : trimSlash(raw), exact, backend, order, ...(entrypoints && { entrypoints }) });
      }
    }
  });
  for (const [h, list] of hosts) table.hosts.set(h, rank(list));
  for (const [h, list] of wildcards) table.wildcards.set(h, rank(list));
  table.anyHost = rank(anyHost);
  return table;
}

/** The backend for `host` (no port, any case) and `path` (no query) on an entrypoint: the most specific host's
 * rules first. */
export function findRoute(
  table: RouteTable,
  host: string,
  path: string,
  entrypoint: Entrypoint = "web",
): Backend | undefined {
  const h = host.toLowerCase();
  const suffix = wildcardSuffix(h);
  const candidates = [table.hosts.get(h), suffix ? table.wildcards.get(suffix) : undefined, table.anyHost];
  for (const routes of candidates) {
    const hit = routes?.find((r) => (!r.entrypoints || r.entrypoints.includes(entrypoint)) && pathMatches(r, path));
    if (hit) return hit.backend;
  }
  return table.defaultBackend;
}

/** Where Traefik would serve an Ingress: its router.entrypoints (unknown names dropped), HTTPS only with
 * router.tls "true"; undefined means both, Traefik's default for a router without entrypoints. */
export function entrypointsOf(ing: networking.Ingress): Entrypoint[] | undefined {
  const annotations = ing.metadata?.annotations ?? {};
  const named = annotations[ENTRYPOINTS_ANNOTATION];
  let eps: Entrypoint[] | undefined = named
    ? named
        .split(",")
        .map((e) => e.trim())
        .filter((e): e is Entrypoint => e === "web" || e === "websecure")
    : undefined;
  if (annotations[ROUTER_TLS_ANNOTATION] === "true") eps = (eps ?? ["websecure"]).filter((e) => e === "websecure");
  return eps;
}

/** The key a `*.example.com` rule is stored under for a lower-case `host` (".example.com"): one label replaced. */
export function wildcardSuffix(host: string): string | undefined {
  const dot = host.indexOf(".");
  return dot > 0 ? host.slice(dot) : undefined;
}

/** Exact: the whole path. Prefix: element-wise, so "/foo" matches "/foo" and "/foo/bar", not "/foobar". */
export function pathMatches(route: Pick<PathRoute, "path" | "exact">, path: string): boolean {
  if (route.exact) return path === route.path;
  if (route.path === "/") return true;
  return path === route.path || path.startsWith(`${route.path}/`) || trimSlash(path) === route.path;
}

/** The Service port the Ingress names (by number, or by name), then that port's endpoints in the slices. */
function resolveBackend(
  svcKey: string,
  port: networking.ServiceBackendPort | undefined,
  svc: Service | undefined,
  slices: EndpointSlice[],
): Backend {
  const key = `${svcKey}:${port?.name || port?.number || ""}`;
  const svcPort = (svc?.spec?.ports ?? []).find((p) =>
    port?.name ? p.name === port.name : port?.number !== undefined && p.port === port.number,
  );
  if (!svcPort || (svcPort.protocol ?? "TCP") !== "TCP") return { key, endpoints: [] };
  // The slice port carries the Service port's name and the resolved targetPort number.
  return { key, endpoints: portEndpoints(slices, svcPort.name ?? "", "TCP") };
}

const trimSlash = (p: string) => (p.length > 1 && p.endsWith("/") ? p.replace(/\/+$/, "") || "/" : p);

function bucket<T>(map: Map<string, T[]>, key: string): T[] {
  const list = map.get(key) ?? [];
  map.set(key, list);
  return list;
}

/** Longest path first; Exact before Prefix at equal length; then the older Ingress. */
function rank(list: Ranked[]): PathRoute[] {
  return list
    .sort((a, b) => b.path.length - a.path.length || Number(b.exact) - Number(a.exact) || a.order - b.order)
    .map(({ order: _order, ...route }) => route);
}
