// Discovery documents from the registry: /api, /apis, /apis/<group>, /api/v1 and /apis/<group>/<version>
// (APIResourceList), and aggregated discovery v2 (APIGroupDiscoveryList) when Accept asks for it.
// Rendered once per registry generation; every request after that is a cached string.

import type { Registry } from "./registry.ts";
import { verbsOf } from "./registry.ts";
import type { ResourceDescriptor } from "./resources/types.ts";

interface SubresourceInfo {
  kind: string;
  group?: string;
  version?: string;
  verbs: string[];
}

const UPDATE_VERBS = ["get", "patch", "update"];

/** What each subresource returns and accepts (upstream's discovery for built-ins). */
function subresourceInfo(d: ResourceDescriptor, name: string): SubresourceInfo {
  switch (name) {
    case "status":
    case "ephemeralcontainers":
    case "resize":
    case "approval":
      return { kind: d.kind, verbs: UPDATE_VERBS };
    case "scale":
      return { kind: "Scale", group: "autoscaling", version: "v1", verbs: UPDATE_VERBS };
    case "binding":
      return { kind: "Binding", verbs: ["create"] };
    case "eviction":
      return { kind: "Eviction", group: "policy", version: "v1", verbs: ["create"] };
    case "log":
      return { kind: "Pod", verbs: ["get"] };
    case "exec":
      return { kind: "PodExecOptions", verbs: ["create", "get"] };
    case "attach":
      return { kind: "PodAttachOptions", verbs: ["create", "get"] };
    case "portforward":
      return { kind: "PodPortForwardOptions", verbs: ["create", "get"] };
    case "proxy":
      return { kind: `${d.kind}ProxyOptions`, verbs: ["create", "delete", "get", "patch", "update"] };
    case "token":
      return { kind: "TokenRequest", group: "authentication.k8s.io", version: "v1", verbs: ["create"] };
    case "finalize":
      return { kind: d.kind, verbs: ["update"] };
    default:
      return { kind: d.kind, verbs: ["get"] };
  }
}

export function subresourceNames(d: ResourceDescriptor): string[] {
  const names: string[] = [];
  if (d.status) names.push("status");
  if (d.scale) names.push("scale");
  return [...names, ...(d.subresources ?? [])];
}

function apiResourceList(group: string, version: string, resources: ResourceDescriptor[]): object {
  const out: object[] = [];
  for (const d of resources) {
    const r: Record<string, unknown> = {
      name: d.plural,
      singularName: d.singular,
      namespaced: d.namespaced,
      kind: d.kind,
      verbs: verbsOf(d),
    };
    if (d.shortNames?.length) r.shortNames = d.shortNames;
    if (d.categories?.length) r.categories = d.categories;
    out.push(r);
    for (const sub of subresourceNames(d)) {
      const info = subresourceInfo(d, sub);
      const sr: Record<string, unknown> = {
        name: `${d.plural}/${sub}`,
        singularName: "",
        namespaced: d.namespaced,
        kind: info.kind,
        verbs: info.verbs,
      };
      if (info.group) {
        sr.group = info.group;
        sr.version = info.version;
      }
      out.push(sr);
    }
  }
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group ? `${group}/${version}` : version,
    resources: out,
  };
}

function apiGroup(registry: Registry, group: string): object {
  const versions = registry.versionsOf(group).map((v) => ({ groupVersion: `${group}/${v}`, version: v }));
  return { name: group, versions, preferredVersion: versions[0] };
}

function discoveryGroup(registry: Registry, group: string): object {
  return {
    metadata: { name: group, creationTimestamp: null },
    versions: registry.versionsOf(group).map((version) => ({
      version,
      freshness: "Current",
      resources: registry.resourcesOf(group, version).map((d) => {
        const r: Record<string, unknown> = {
          resource: d.plural,
          responseKind: { group: d.group, version: d.version, kind: d.kind },
          scope: d.namespaced ? "Namespaced" : "Cluster",
          singularResource: d.singular,
          verbs: verbsOf(d),
        };
        if (d.shortNames?.length) r.shortNames = d.shortNames;
        if (d.categories?.length) r.categories = d.categories;
        const subs = subresourceNames(d).map((sub) => {
          const info = subresourceInfo(d, sub);
          return {
            subresource: sub,
            responseKind: { group: info.group ?? d.group, version: info.version ?? d.version, kind: info.kind },
            verbs: info.verbs,
          };
        });
        if (subs.length) r.subresources = subs;
        return r;
      }),
    })),
  };
}

/** Versions of aggregated discovery served: v2, and v2beta1 for kubectl 1.26–1.29 (same body, other apiVersion). */
export type AggregatedDiscoveryVersion = "v2" | "v2beta1";

export const aggregatedDiscoveryType = (version: AggregatedDiscoveryVersion) =>
  `application/json;g=apidiscovery.k8s.io;v=${version};as=APIGroupDiscoveryList`;

/**
 * The aggregated discovery version the Accept header asks for, or undefined for the legacy documents: the first
 * media range we can serve wins, so `…v=v2beta1…,application/json` gets v2beta1 and a bare `application/json`
 * (or a version we don't know) gets the legacy APIGroupList / APIVersions.
 */
export function aggregatedDiscoveryVersion(accept: string | null): AggregatedDiscoveryVersion | undefined {
  for (const range of (accept ?? "").split(",")) {
    const [type, ...rest] = range.split(";").map((s) => s.trim());
    const params = new Map(rest.map((p) => p.split("=").map((s) => s.trim()) as [string, string]));
    const json = type === "application/json" || type === "*/*" || type === "application/*";
    if (!params.has("as")) {
      if (json) return undefined;
      continue;
    }
    const v = params.get("v");
    if (
      json &&
      params.get("as") === "APIGroupDiscoveryList" &&
      params.get("g") === "apidiscovery.k8s.io" &&
      (v === "v2" || v === "v2beta1")
    ) {
      return v;
    }
  }
  return undefined;
}

/** Cached discovery documents (JSON text), rebuilt when the registry changes. */
export class Discovery {
  private cache = new Map<string, string>();
  private generation = -1;

  constructor(private readonly registry: Registry) {}

  private cached(key: string, build: () => object | undefined): string | undefined {
    if (this.generation !== this.registry.generation) {
      this.cache.clear();
      this.generation = this.registry.generation;
    }
    let text = this.cache.get(key);
    if (text === undefined) {
      const doc = build();
      if (!doc) return undefined;
      text = JSON.stringify(doc);
      this.cache.set(key, text);
    }
    return text;
  }

  /** /api */
  coreVersions(serverAddress: string): string {
    return JSON.stringify({
      kind: "APIVersions",
      versions: ["v1"],
      serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress }],
    });
  }

  /** /apis */
  groups(): string {
    return this.cached("groups", () => ({
      kind: "APIGroupList",
      apiVersion: "v1",
      groups: this.registry
        .groupNames()
        .filter((g) => g !== "")
        .map((g) => apiGroup(this.registry, g)),
    }))!;
  }

  group(name: string): string | undefined {
    return this.cached(`group:${name}`, () =>
      name && this.registry.versionsOf(name).length
        ? { kind: "APIGroup", apiVersion: "v1", ...apiGroup(this.registry, name) }
        : undefined,
    );
  }

  resources(group: string, version: string): string | undefined {
    return this.cached(`resources:${group}/${version}`, () => {
      const list = this.registry.resourcesOf(group, version);
      return list.length ? apiResourceList(group, version, list) : undefined;
    });
  }

  /** Aggregated discovery for /api (core only) or /apis (every other group). */
  aggregated(core: boolean, version: AggregatedDiscoveryVersion = "v2"): string {
    return this.cached(`aggregated:${core}:${version}`, () => ({
      kind: "APIGroupDiscoveryList",
      apiVersion: `apidiscovery.k8s.io/${version}`,
      metadata: {},
      items: this.registry
        .groupNames()
        .filter((g) => (core ? g === "" : g !== ""))
        .map((g) => discoveryGroup(this.registry, g)),
    }))!;
  }
}
