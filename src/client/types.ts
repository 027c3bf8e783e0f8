// The one way components (scheduler, controllers, agent, network) reach the cluster: the Kubernetes REST API.
// The same interface runs in-process (all-in-one: requests go straight into the API server's Hono app with a
// fixed identity) and over HTTPS (a remote agent). Nothing outside src/apiserver imports the store.

import type { KubeList, KubeObject, Status } from "../api/types.ts";

/** Sends one HTTP request to the API server. In-process and HTTPS transports both implement it. */
export type Transport = (req: Request) => Promise<Response>;

/** Identifies a collection: e.g. {group:"apps", version:"v1", resource:"deployments", namespace:"default"}. */
export interface ResourceRef {
  group: string; // "" for core
  version: string;
  resource: string; // plural, lower-case
  namespace?: string; // omit for cluster-scoped resources or all-namespaces lists
}

export interface ListQuery {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
  resourceVersionMatch?: "Exact" | "NotOlderThan";
}

export interface WatchQuery extends ListQuery {
  allowWatchBookmarks?: boolean;
  timeoutSeconds?: number;
  sendInitialEvents?: boolean;
}

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR";

export interface WatchEvent<T = KubeObject> {
  type: WatchEventType;
  object: T; // a Status for ERROR
}

export interface WatchHandle {
  /** Resolves when the stream ends: closed by the server, timed out, or stopped. */
  done: Promise<void>;
  stop(): void;
}

export type PatchType = "json" | "merge" | "strategic" | "apply";

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: "Background" | "Foreground" | "Orphan";
  preconditions?: { uid?: string; resourceVersion?: string };
  dryRun?: boolean;
}

export interface WriteOptions {
  fieldManager?: string;
  dryRun?: boolean;
  force?: boolean; // server-side apply only
}

/** Raised for any non-2xx answer; carries the API's Status object. */
export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly status: Status,
  ) {
    super(status.message ?? `HTTP ${code}`);
    this.name = "ApiError";
  }
  get reason(): string | undefined {
    return this.status.reason;
  }
}

export interface KubeClient {
  get<T extends KubeObject>(ref: ResourceRef, name: string, subresource?: string): Promise<T>;
  list<T extends KubeObject>(ref: ResourceRef, query?: ListQuery): Promise<KubeList<T>>;
  create<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions, subresource?: string): Promise<T>;
  update<T extends KubeObject>(ref: ResourceRef, obj: T, opts?: WriteOptions, subresource?: string): Promise<T>;
  patch<T extends KubeObject>(
    ref: ResourceRef,
    name: string,
    patch: unknown,
    type: PatchType,
    opts?: WriteOptions,
    subresource?: string,
  ): Promise<T>;
  delete(ref: ResourceRef, name: string, opts?: DeleteOptions): Promise<KubeObject | Status>;
  /** Streams watch events to `onEvent`; ERROR events (e.g. 410 Gone) are delivered, then the stream ends. */
  watch<T extends KubeObject>(ref: ResourceRef, query: WatchQuery, onEvent: (ev: WatchEvent<T>) => void): WatchHandle;
  /** Raw access for anything else (discovery, logs, streams). */
  request(
    method: string,
    path: string,
    init?: { body?: BodyInit; headers?: Record<string, string> },
  ): Promise<Response>;
}
