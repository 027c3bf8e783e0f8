// An in-memory Kubernetes API behind a Transport, for unit tests of informers, the scheduler and controllers
// without a server: CRUD with resourceVersions, list/watch (with selectors, 410 after `compact`), merge and JSON
// patches, pods/binding and status subresources, finalizers and graceful pod deletion.

import { applyPatch, type Operation } from "fast-json-patch";
import type { KubeObject, Status } from "../api/types.ts";
import { createClient } from "./client.ts";
import { parseFieldSelector, parseLabelSelector } from "./selectors.ts";
import type { KubeClient, Transport, WatchEvent } from "./types.ts";

interface Target {
  group: string;
  version: string;
  namespace?: string;
  resource: string;
  name?: string;
  subresource?: string;
}

interface LogEntry {
  rv: number;
  collection: string; // group/resource
  event: WatchEvent;
  old?: KubeObject;
}

interface Watcher {
  collection: string;
  namespace?: string;
  matches: (obj: KubeObject) => boolean;
  send: (ev: WatchEvent) => void;
  close: () => void;
}

export interface FakeCluster {
  transport: Transport;
  client: KubeClient;
  /** Every request seen, as "METHOD /path?query". */
  requests: string[];
  /** Current object, or undefined. */
  get(collection: string, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Forgets history up to now: watches from older resourceVersions get 410 Gone. */
  compact(): void;
  /** Ends every open watch stream (as a server timeout would). */
  closeWatches(): void;
  /** Number of watch streams open now. */
  openWatches(): number;
  revision(): number;
}

export interface FakeClusterOptions {
  /** Pods on a node are only marked for deletion (as a real API server does); the kubelet confirms. */
  gracefulPodDeletion?: boolean;
}

const encoder = new TextEncoder();
const clone = <T>(v: T): T => structuredClone(v);

export function createFakeCluster(opts: FakeClusterOptions = {}): FakeCluster {
  const objects = new Map<string, KubeObject>();
  const log: LogEntry[] = [];
  const watchers = new Set<Watcher>();
  const requests: string[] = [];
  let rev = 1;
  let compacted = 0;
  let uid = 0;

  const keyOf = (collection: string, ns: string | undefined, name: string) => `${collection}|${ns ?? ""}|${name}`;

  function emit(collection: string, type: WatchEvent["type"], obj: KubeObject, old?: KubeObject) {
    const entry = { rv: rev, collection, event: { type, object: obj }, old };
    log.push(entry);
    for (const w of watchers) {
      if (w.collection !== collection || (w.namespace && w.namespace !== obj.metadata?.namespace)) continue;
      const event = filtered(entry, w.matches);
      if (event) w.send(event);
    }
  }

  function store(t: Target, obj: KubeObject, type: "ADDED" | "MODIFIED") {
    rev++;
    obj.metadata = { ...obj.metadata, resourceVersion: String(rev) };
    const collection = `${t.group}/${t.resource}`;
    const key = keyOf(collection, t.namespace, obj.metadata.name as string);
    const old = objects.get(key);
    objects.set(key, obj);
    emit(collection, type, clone(obj), old && clone(old));
    return clone(obj);
  }

  function remove(t: Target, obj: KubeObject) {
    rev++;
    const collection = `${t.group}/${t.resource}`;
    objects.delete(keyOf(collection, t.namespace, obj.metadata?.name as string));
    obj.metadata = { ...obj.metadata, resourceVersion: String(rev) };
    emit(collection, "DELETED", clone(obj));
    return clone(obj);
  }

  function list(t: Target, query: URLSearchParams): KubeObject[] {
    const collection = `${t.group}/${t.resource}`;
    const labels = parseLabelSelector(query.get("labelSelector") ?? "");
    const fields = parseFieldSelector(query.get("fieldSelector") ?? "");
    const out: KubeObject[] = [];
    for (const [key, obj] of objects) {
      if (!key.startsWith(`${collection}|`)) continue;
      if (t.namespace && obj.metadata?.namespace !== t.namespace) continue;
      if (labels(obj.metadata?.labels) && fields(obj)) out.push(clone(obj));
    }
    return out.sort((a, b) => Number(a.metadata?.resourceVersion) - Number(b.metadata?.resourceVersion));
  }

  function watch(t: Target, query: URLSearchParams, signal: AbortSignal): Response {
    const from = Number(query.get("resourceVersion") || 0);
    const collection = `${t.group}/${t.resource}`;
    const labels = parseLabelSelector(query.get("labelSelector") ?? "");
    const fields = parseFieldSelector(query.get("fieldSelector") ?? "");
    const matches = (obj: KubeObject) => labels(obj.metadata?.labels) && fields(obj);
    let watcher: Watcher | undefined;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        const send = (ev: WatchEvent) => controller.enqueue(encoder.encode(`${JSON.stringify(ev)}\n`));
        const close = () => {
          if (watcher) watchers.delete(watcher);
          try {
            controller.close();
          } catch {}
        };
        if (from && from < compacted) {
          send({ type: "ERROR", object: status(410, "Expired", `too old resource version: ${from} (${compacted})`) });
          return close();
        }
        if (!from) for (const obj of list(t, query)) send({ type: "ADDED", object: obj });
        else
          for (const entry of log) {
            const ns = entry.event.object.metadata?.namespace;
            if (entry.rv > from && entry.collection === collection && (!t.namespace || ns === t.namespace)) {
              const event = filtered(entry, matches);
              if (event) send(event);
            }
          }
        watcher = { collection, namespace: t.namespace, matches, send, close };
        watchers.add(watcher);
        signal.addEventListener("abort", close, { once: true });
      },
      cancel() {
        if (watcher) watchers.delete(watcher);
      },
    });
    return new Response(body, { headers: { "content-type": "application/json" } });
  }

  function create(t: Target, body: KubeObject): Response {
    if (t.subresource === "binding" && t.resource === "pods") return bind(t, body);
    const obj = clone(body);
    obj.metadata ??= {};
    const meta = obj.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${Math.random().toString(36).slice(2, 7)}`;
    if (!meta.name) return json(status(422, "Invalid", "metadata.name: Required value"), 422);
    if (t.namespace) meta.namespace = t.namespace;
    const collection = `${t.group}/${t.resource}`;
    if (objects.has(keyOf(collection, t.namespace, meta.name)))
      return json(status(409, "AlreadyExists", `${t.resource} "${meta.name}" already exists`), 409);
    obj.metadata = { ...meta, uid: `uid-${++uid}`, creationTimestamp: new Date().toISOString() };
    return json(store(t, obj, "ADDED"), 201);
  }

  function bind(t: Target, binding: KubeObject): Response {
    const pod = objects.get(keyOf("/pods", t.namespace, t.name as string));
    if (!pod) return notFound(t);
    if (pod.spec?.nodeName)
      return json(status(409, "Conflict", `pod ${t.name} is already assigned to node "${pod.spec.nodeName}"`), 409);
    const updated = clone(pod);
    updated.spec = { ...updated.spec, nodeName: binding.target?.name };
    store({ ...t, subresource: undefined }, updated, "MODIFIED");
    return json(status(201, "", "", "Success"), 201);
  }

  function update(t: Target, body: KubeObject, current: KubeObject): Response {
    const sent = body.metadata?.resourceVersion;
    if (sent && sent !== current.metadata?.resourceVersion)
      return json(
        status(
          409,
          "Conflict",
          `Operation cannot be fulfilled on ${t.resource} "${t.name}": the object has been modified; please apply your changes to the latest version and try again`,
        ),
        409,
      );
    let next: KubeObject;
    if (t.subresource === "status") next = { ...clone(current), status: clone(body.status) };
    else next = { ...clone(body), status: clone(current.status) };
    // Fields the server owns: a client cannot change them through an update.
    next.metadata = {
      ...next.metadata,
      uid: current.metadata?.uid,
      creationTimestamp: current.metadata?.creationTimestamp,
      deletionTimestamp: current.metadata?.deletionTimestamp,
      deletionGracePeriodSeconds: current.metadata?.deletionGracePeriodSeconds,
    };
    if (next.metadata.deletionTimestamp && !next.metadata.finalizers?.length && !isGracefulPod(t, next))
      return json(remove(t, next));
    return json(store(t, next, "MODIFIED"));
  }

  function patch(t: Target, current: KubeObject, body: unknown, contentType: string): Response {
    let next: KubeObject;
    if (contentType.includes("json-patch"))
      next = applyPatch(clone(current), body as Operation[], false, false).newDocument;
    else next = mergePatch(clone(current), body) as KubeObject;
    next.metadata = { ...next.metadata, resourceVersion: undefined };
    return update(t, next, current);
  }

  function del(t: Target, current: KubeObject, body: Record<string, unknown>): Response {
    const grace = body.gracePeriodSeconds as number | undefined;
    const graceful = opts.gracefulPodDeletion && t.resource === "pods" && current.spec?.nodeName && grace !== 0;
    if (current.metadata?.finalizers?.length || graceful) {
      if (current.metadata?.deletionTimestamp) return json(clone(current));
      const marked = clone(current);
      marked.metadata = {
        ...marked.metadata,
        deletionTimestamp: new Date().toISOString(),
        deletionGracePeriodSeconds: grace ?? 30,
      };
      return json(store(t, marked, "MODIFIED"));
    }
    return json(remove(t, clone(current)));
  }

  function isGracefulPod(t: Target, obj: KubeObject): boolean {
    return (
      !!opts.gracefulPodDeletion &&
      t.resource === "pods" &&
      !!obj.spec?.nodeName &&
      obj.metadata?.deletionGracePeriodSeconds !== 0
    );
  }

  const transport: Transport = async (req) => {
    const url = new URL(req.url);
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    const t = parsePath(url.pathname);
    if (!t)
      return json(status(404, "NotFound", `the server could not find the requested resource (${url.pathname})`), 404);
    const collection = `${t.group}/${t.resource}`;
    const text = req.method === "GET" || req.method === "HEAD" ? "" : await req.text();
    const body = text ? JSON.parse(text) : {};
    if (req.method === "GET" && !t.name) {
      if (url.searchParams.get("watch") === "true") return watch(t, url.searchParams, req.signal);
      const items = list(t, url.searchParams);
      return json({ apiVersion: "v1", kind: "List", metadata: { resourceVersion: String(rev) }, items });
    }
    if (req.method === "POST" && (!t.name || t.subresource)) return create(t, body);
    const current = t.name ? objects.get(keyOf(collection, t.namespace, t.name)) : undefined;
    if (!current) return notFound(t);
    switch (req.method) {
      case "GET":
        return json(clone(current));
      case "PUT":
        return update(t, body, current);
      case "PATCH":
        return patch(t, current, body, req.headers.get("content-type") ?? "");
      case "DELETE":
        return del(t, current, body);
    }
    return json(status(405, "MethodNotAllowed", `${req.method} not allowed`), 405);
  };

  return {
    transport,
    client: createClient(transport),
    requests,
    get: (collection, ns, name) => clone(objects.get(keyOf(collection, ns, name))),
    compact() {
      compacted = rev;
      log.length = 0;
    },
    closeWatches() {
      for (const w of [...watchers]) w.close();
    },
    openWatches: () => watchers.size,
    revision: () => rev,
  };
}

/** As the API server filters a watch: an object moving into or out of the selection is ADDED or DELETED. */
function filtered(entry: LogEntry, matches: (obj: KubeObject) => boolean): WatchEvent | undefined {
  const { type, object } = entry.event;
  const now = matches(object);
  if (type !== "MODIFIED") return now ? clone(entry.event) : undefined;
  const before = entry.old ? matches(entry.old) : false;
  if (now) return { type: before ? "MODIFIED" : "ADDED", object: clone(object) };
  return before ? { type: "DELETED", object: clone(object) } : undefined;
}

function parsePath(path: string): Target | undefined {
  const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
  let group = "";
  let version: string;
  let rest: string[];
  if (parts[0] === "api") [version, rest] = [parts[1] as string, parts.slice(2)];
  else if (parts[0] === "apis") [group, version, rest] = [parts[1] as string, parts[2] as string, parts.slice(3)];
  else return undefined;
  let namespace: string | undefined;
  if (rest[0] === "namespaces" && rest.length >= 3) [namespace, rest] = [rest[1], rest.slice(2)];
  if (!rest[0]) return undefined;
  return { group, version, namespace, resource: rest[0], name: rest[1], subresource: rest[2] };
}

/** RFC 7386 JSON merge patch (null deletes, objects merge, anything else replaces); the fakes' one copy. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> =
    target && typeof target === "object" && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete out[key];
    else out[key] = mergePatch(out[key], value);
  }
  return out;
}

function status(code: number, reason: string, message: string, result: "Success" | "Failure" = "Failure"): Status {
  return { apiVersion: "v1", kind: "Status", status: result, code, reason, message, metadata: {} };
}

function notFound(t: Target): Response {
  return json(status(404, "NotFound", `${t.resource} "${t.name}" not found`), 404);
}

function json(value: unknown, code = 200): Response {
  return new Response(JSON.stringify(value), { status: code, headers: { "content-type": "application/json" } });
}
