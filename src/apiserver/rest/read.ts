// GET of one object and of collections (label/field selectors, limit/continue at one revision,
// resourceVersion + resourceVersionMatch), in JSON, Table or PartialObjectMetadata form.

import type { KubeObject } from "../../api/types.ts";
import type { KeyValue } from "../../store/types.ts";
import { badRequest, gone } from "../errors.ts";
import { jsonText, listText, partialMetadata, respondObject } from "../output.ts";
import { both, type Predicate, parseFieldSelector, parseLabelSelector } from "../selectors.ts";
import { type IncludeObject, toTable } from "../table.ts";
import { apiVersionOf, listKindOf, type Scope } from "./context.ts";

const includeObject = (s: Scope) => (s.query.get("includeObject") ?? "Metadata") as IncludeObject;

/** Answers with one object in the encoding the client asked for. */
export function respondWith(s: Scope, status: number, obj: KubeObject, text?: string): Response {
  switch (s.output) {
    case "table":
      return respondObject(
        status,
        toTable(s.desc.columns, [obj], { resourceVersion: obj.metadata?.resourceVersion ?? "" }, includeObject(s)),
      );
    case "metadata":
      return respondObject(status, partialMetadata(obj));
    case "yaml":
      return respondObject(status, obj, "yaml");
    default:
      return text ? jsonText(status, text) : respondObject(status, obj);
  }
}

export async function getObject(s: Scope, name: string): Promise<Response> {
  const kv = await s.ctx.storage.get(s.desc, s.namespace, name);
  if (s.output === "json") return jsonText(200, s.ctx.storage.text(kv));
  return respondWith(s, 200, s.ctx.storage.decode(kv));
}

export function selectorOf(s: Scope): Predicate | undefined {
  return both(
    parseLabelSelector(s.query.get("labelSelector")),
    parseFieldSelector(s.query.get("fieldSelector"), s.desc.fields),
  );
}

function parseRevision(text: string | null, what: string): number | undefined {
  if (text === null || text === "" || text === "0") return undefined;
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 0) throw badRequest(`invalid ${what} "${text}"`);
  return n;
}

export interface ListPage {
  items: KeyValue[];
  revision: number;
  continue?: string;
  remaining?: number;
}

/** Reads one page (or all) at one revision, applying `filter`, keeping pages full despite filtering. */
export async function listPage(s: Scope, filter: Predicate | undefined): Promise<ListPage> {
  const limitText = s.query.get("limit");
  const limit = limitText ? Number(limitText) : 0;
  if (!Number.isInteger(limit) || limit < 0) throw badRequest(`invalid limit "${limitText}"`);
  let cont = s.query.get("continue") || undefined;
  const rv = parseRevision(s.query.get("resourceVersion"), "resourceVersion");
  const exact = s.query.get("resourceVersionMatch") === "Exact";
  let revision = cont ? undefined : exact ? rv : undefined;
  const items: KeyValue[] = [];
  for (;;) {
    const want = limit ? limit - items.length : 0;
    const page = await s.ctx.storage
      .list(s.desc, s.namespace, { limit: want, continue: cont, revision })
      .catch((err) => {
        // An exact read at a compacted revision is "too old", as upstream words it (continue tokens say more).
        if (!cont && revision !== undefined && (err as { code?: number }).code === 410) {
          throw gone(`too old resource version: ${revision}`);
        }
        throw err;
      });
    revision = page.revision;
    for (const kv of page.items) if (!filter || filter(s.ctx.storage.decode(kv))) items.push(kv);
    cont = page.continue;
    if (!cont || (limit && items.length >= limit)) {
      return { items, revision: page.revision, continue: cont, remaining: filter ? undefined : page.remaining };
    }
  }
}

export async function listObjects(s: Scope): Promise<Response> {
  const filter = selectorOf(s);
  const page = await listPage(s, filter);
  const meta: Record<string, unknown> = { resourceVersion: String(page.revision) };
  if (page.continue) meta.continue = page.continue;
  if (page.remaining !== undefined && page.continue) meta.remainingItemCount = page.remaining;
  const storage = s.ctx.storage;
  if (s.output === "json") {
    return jsonText(
      200,
      listText(
        apiVersionOf(s.desc),
        listKindOf(s.desc),
        meta,
        page.items.map((kv) => storage.text(kv)),
      ),
    );
  }
  const objects = page.items.map((kv) => storage.decode(kv));
  if (s.output === "table") return respondObject(200, toTable(s.desc.columns, objects, meta, includeObject(s)));
  if (s.output === "metadata") {
    return respondObject(200, {
      kind: "PartialObjectMetadataList",
      apiVersion: "meta.k8s.io/v1",
      metadata: meta,
      items: objects.map(partialMetadata),
    });
  }
  return respondObject(
    200,
    { kind: listKindOf(s.desc), apiVersion: apiVersionOf(s.desc), metadata: meta, items: objects },
    "yaml",
  );
}
