// Response encodings a client may ask for in Accept: plain JSON, Table (server-side printing),
// PartialObjectMetadata(List), or YAML; and the builders for object/list bodies from stored JSON text.

import { stringify } from "yaml";
import type { KubeObject } from "../api/types.ts";
import { notAcceptable } from "./errors.ts";
import { completeResponse } from "./node-adapter.ts";

export type OutputKind = "json" | "table" | "metadata" | "yaml";

const cache = new Map<string, OutputKind>();

/** Picks the first acceptable media type in the Accept header (cached per distinct header). */
export function outputKind(accept: string | null): OutputKind {
  if (!accept) return "json";
  const hit = cache.get(accept);
  if (hit) return hit;
  let kind: OutputKind | undefined;
  for (const part of accept.split(",")) {
    const [type, ...params] = part.split(";").map((p) => p.trim());
    const as = params.find((p) => p.startsWith("as="))?.slice(3);
    if (type === "application/json" || type === "*/*" || type === "application/*") {
      if (as === "Table") kind = "table";
      else if (as === "PartialObjectMetadata" || as === "PartialObjectMetadataList") kind = "metadata";
      else if (!as) kind = "json";
    } else if (type === "application/yaml") kind = as ? undefined : "yaml";
    if (kind) break;
  }
  if (!kind) {
    // Protobuf-only clients: upstream answers 406; anything mixed with JSON falls through to JSON above.
    if (accept.includes("protobuf") && !accept.includes("json"))
      throw notAcceptable(`only the following media types are accepted: application/json, application/yaml`);
    kind = "json";
  }
  if (cache.size < 256) cache.set(accept, kind);
  return kind;
}

const JSON_HEADERS = { "content-type": "application/json" };

export function jsonText(status: number, text: string, headers: Record<string, string> = {}): Response {
  return completeResponse(text, { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function respondObject(
  status: number,
  value: unknown,
  kind: OutputKind = "json",
  headers: Record<string, string> = {},
): Response {
  if (kind === "yaml")
    return new Response(stringify(value), { status, headers: { "content-type": "application/yaml", ...headers } });
  return jsonText(status, JSON.stringify(value), headers);
}

export function partialMetadata(obj: KubeObject): KubeObject {
  return { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: obj.metadata };
}

/** A list body assembled from already-encoded items (no re-serialisation of the objects). */
export function listText(
  apiVersion: string,
  listKind: string,
  meta: Record<string, unknown>,
  itemTexts: string[],
): string {
  return `{"kind":${JSON.stringify(listKind)},"apiVersion":${JSON.stringify(apiVersion)},"metadata":${JSON.stringify(meta)},"items":[${itemTexts.join(",")}]}`;
}
