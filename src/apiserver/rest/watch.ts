// ?watch=1: newline-delimited WatchEvents from the datastore's watch, filtered by label/field selectors
// (an object leaving the selection is DELETED, entering it ADDED), with initial state when asked
// (resourceVersion unset/0, or sendInitialEvents + the initial-events-end bookmark), periodic BOOKMARKs,
// timeoutSeconds, and 410 Gone as an ERROR event for a compacted revision. Each watcher has a bounded queue:
// a consumer that falls behind is disconnected (it re-lists), it never slows writers down.

import type { KubeObject } from "../../api/types.ts";
import { StoreError, type StoreEvent, type Watcher } from "../../store/types.ts";
import { badRequest, gone } from "../errors.ts";
import { partialMetadata } from "../output.ts";
import { collectionPrefix } from "../storage.ts";
import { type IncludeObject, toTable } from "../table.ts";
import { apiVersionOf, type Scope } from "./context.ts";
import { selectorOf } from "./read.ts";

/** Events a watcher may have queued before it is considered too slow and dropped. */
export const MAX_QUEUED_EVENTS = 10_000;
const BOOKMARK_INTERVAL_MS = 60_000;
const encoder = new TextEncoder();

function parseRv(text: string | null): number | undefined {
  if (text === null || text === "" || text === "0") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`invalid resourceVersion "${text}"`);
  return n;
}

export async function watch(s: Scope): Promise<Response> {
  const filter = selectorOf(s);
  const storage = s.ctx.storage;
  const startRv = parseRv(s.query.get("resourceVersion"));
  const sendInitial = s.query.get("sendInitialEvents") === "true";
  const bookmarks = s.query.get("allowWatchBookmarks") === "true";
  if (sendInitial && s.query.get("resourceVersionMatch") !== "NotOlderThan") {
    throw badRequest("sendInitialEvents is forbidden for watch unless resourceVersionMatch is set to NotOlderThan");
  }
  const timeoutText = s.query.get("timeoutSeconds");
  // Upstream spreads watch lifetimes over 30–60 minutes so clients do not reconnect in lockstep.
  const timeoutMs = timeoutText ? Number(timeoutText) * 1000 : (1800 + Math.random() * 1800) * 1000;
  const initial = sendInitial || startRv === undefined;
  const prefix = collectionPrefix(s.desc, s.namespace);
  const apiVersion = apiVersionOf(s.desc);
  const matches = (obj: KubeObject) => !filter || filter(obj);
  const includeObject = (s.query.get("includeObject") ?? "Metadata") as IncludeObject;
  const queueLimit = s.ctx.watchQueueLimit ?? MAX_QUEUED_EVENTS;

  let watcher: Watcher | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let ticker: ReturnType<typeof setInterval> | undefined;
  let closed = false;
  let lastRv = startRv ?? 0;

  const body = new ReadableStream<Uint8Array>(
    {
      async start(controller) {
        const close = () => {
          if (closed) return;
          closed = true;
          watcher?.cancel();
          clearTimeout(timer);
          clearInterval(ticker);
          try {
            controller.close();
          } catch {}
        };
        const send = (line: string) => {
          if (closed) return;
          controller.enqueue(encoder.encode(line));
          if ((controller.desiredSize ?? 0) < -queueLimit) close();
        };
        // kubectl get -w asks for Table: each event then carries a one-row Table (columns in the first only).
        let headersSent = false;
        const asTable = (text: string) => {
          const obj = JSON.parse(text);
          const table = toTable(
            s.desc.columns,
            [obj],
            { resourceVersion: obj.metadata?.resourceVersion ?? "" },
            includeObject,
            !headersSent,
          );
          headersSent = true;
          return JSON.stringify(table);
        };
        const encodeObject =
          s.output === "table"
            ? asTable
            : s.output === "metadata"
              ? (t: string) => JSON.stringify(partialMetadata(JSON.parse(t)))
              : (t: string) => t;
        const event = (type: string, text: string) => send(`{"type":"${type}","object":${encodeObject(text)}}\n`);
        const bookmark = (rv: number, annotations?: Record<string, string>) =>
          send(
            `${JSON.stringify({ type: "BOOKMARK", object: { kind: s.desc.kind, apiVersion, metadata: { resourceVersion: String(rv), ...(annotations ? { annotations } : {}) } } })}\n`,
          );
        const fail = (err: unknown) => {
          const status =
            err instanceof StoreError && err.code === "compacted"
              ? gone(`too old resource version: ${startRv ?? lastRv} (${err.compactRevision ?? ""})`).status
              : {
                  kind: "Status",
                  apiVersion: "v1",
                  metadata: {},
                  status: "Failure",
                  message: String(err),
                  reason: "InternalError",
                  code: 500,
                };
          send(`${JSON.stringify({ type: "ERROR", object: status })}\n`);
          close();
        };

        timer = setTimeout(close, timeoutMs);
        try {
          let from = startRv ?? 0;
          if (initial) {
            let cont: string | undefined;
            let revision: number | undefined;
            do {
              const page = await storage.list(s.desc, s.namespace, { limit: 500, continue: cont, revision });
              revision = page.revision;
              for (const kv of page.items) {
                if (filter && !filter(storage.decode(kv))) continue;
                event("ADDED", storage.text(kv));
              }
              cont = page.continue;
            } while (cont && !closed);
            from = revision ?? 0;
            lastRv = from;
            if (sendInitial && bookmarks) bookmark(from, { "k8s.io/initial-events-end": "true" });
          }
          if (closed) return;
          watcher = await storage.store.watch(
            prefix,
            { fromRevision: from },
            (events: StoreEvent[]) => {
              for (const ev of events) {
                if (closed) return;
                lastRv = ev.kv.modRevision;
                const text = storage.text(storage.served(s.desc, ev.kv));
                if (!filter) {
                  event(ev.type === "create" ? "ADDED" : ev.type === "update" ? "MODIFIED" : "DELETED", text);
                  continue;
                }
                const now = ev.type !== "delete" && matches(JSON.parse(text));
                const before = ev.prevKv ? matches(storage.decode(storage.served(s.desc, ev.prevKv))) : false;
                if (ev.type === "delete") {
                  if (before) event("DELETED", text);
                } else if (now && before) event("MODIFIED", text);
                else if (now) event("ADDED", text);
                else if (before) event("DELETED", text);
              }
            },
            fail,
          );
          if (closed) watcher.cancel();
          if (bookmarks) ticker = setInterval(() => bookmark(lastRv), BOOKMARK_INTERVAL_MS);
        } catch (err) {
          fail(err);
        }
      },
      cancel() {
        closed = true;
        watcher?.cancel();
        clearTimeout(timer);
        clearInterval(ticker);
      },
    },
    { highWaterMark: 0 },
  );
  return new Response(body, { status: 200, headers: { "content-type": "application/json" } });
}
