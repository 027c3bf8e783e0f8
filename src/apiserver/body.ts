// Request bodies: a 3 MiB cap (checked before and while reading), JSON or YAML by Content-Type, and
// fieldValidation (duplicate fields; unknown fields when a schema checker is plugged in) — all failures are
// 4xx Status errors, never a crash.

import { parseDocument } from "yaml";
import type { KubeObject } from "../api/types.ts";
import { badRequest, tooLarge, unsupportedMediaType } from "./errors.ts";
import { decodeProtobufObject, PROTOBUF_MEDIA_TYPE } from "./protobuf/decode.ts";

export const MAX_BODY_BYTES = 3 * 1024 * 1024;

export type FieldValidation = "Strict" | "Warn" | "Ignore";

export function fieldValidationOf(param: string | null): FieldValidation {
  if (!param) return "Warn";
  if (param === "Strict" || param === "Warn" || param === "Ignore") return param;
  throw badRequest(`fieldValidation must be one of "Strict", "Warn", "Ignore" (or empty), got "${param}"`);
}

export async function readText(req: Request): Promise<string> {
  return Buffer.from(await readBytes(req)).toString("utf8");
}

export async function readBytes(req: Request): Promise<Uint8Array> {
  const declared = Number(req.headers.get("content-length") ?? "0");
  if (declared > MAX_BODY_BYTES) throw tooLarge(MAX_BODY_BYTES);
  if (!req.body) return new Uint8Array();
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {});
      throw tooLarge(MAX_BODY_BYTES);
    }
    chunks.push(value);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

export function mediaType(req: Request): string {
  return (req.headers.get("content-type") ?? "application/json").split(";")[0].trim().toLowerCase();
}

const isYaml = (type: string) =>
  type === "application/yaml" || type === "application/apply-patch+yaml" || type === "text/yaml";
const isJson = (type: string) => type === "application/json" || type.endsWith("+json") || type === "" || type === "*/*";

export interface ParsedBody {
  value: unknown;
  /** Problems fieldValidation reports: duplicate (and unknown) fields. */
  fieldProblems: string[];
}

/** Reads and parses a request body (JSON, YAML or Kubernetes protobuf by Content-Type). */
export async function readBody(req: Request, checkDuplicates: boolean, type = mediaType(req)): Promise<ParsedBody> {
  const bytes = await readBytes(req);
  if (type === PROTOBUF_MEDIA_TYPE) return { value: decodeProtobufObject(bytes), fieldProblems: [] };
  return parseBody(Buffer.from(bytes).toString("utf8"), type, checkDuplicates);
}

/** Parses JSON or YAML. Duplicate keys are collected only when `checkDuplicates` (YAML parser; slower). */
export function parseBody(text: string, type: string, checkDuplicates: boolean): ParsedBody {
  if (!isYaml(type) && !isJson(type)) throw unsupportedMediaType(type);
  if (text.trim() === "") throw badRequest("the request body is empty; an object was expected");
  if (isJson(type) && !checkDuplicates) {
    try {
      return { value: JSON.parse(text), fieldProblems: [] };
    } catch (err) {
      throw badRequest(`json: cannot unmarshal the request body: ${(err as Error).message}`);
    }
  }
  const doc = parseDocument(text, { uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length) {
    const what = isYaml(type) ? "yaml" : "json";
    throw badRequest(`error converting ${what} to an object: ${doc.errors[0].message.split("\n")[0]}`);
  }
  const fieldProblems = checkDuplicates ? duplicateFields(doc.contents, "") : [];
  return { value: doc.toJS({ maxAliasCount: 100 }), fieldProblems };
}

/** Walks a YAML node tree collecting `duplicate field "path"` messages as upstream words them. */
function duplicateFields(node: unknown, path: string): string[] {
  const out: string[] = [];
  // biome-ignore lint/suspicious/noExplicitAny: yaml's node classes are structurally typed here
  const n = node as any;
  if (n?.items && Array.isArray(n.items)) {
    const seen = new Set<string>();
    n.items.forEach((item: { key?: { value?: unknown }; value?: unknown }, i: number) => {
      if (item && typeof item === "object" && "key" in item) {
        const key = String(item.key?.value ?? item.key);
        const child = path ? `${path}.${key}` : key;
        if (seen.has(key)) out.push(`duplicate field "${child}"`);
        seen.add(key);
        out.push(...duplicateFields(item.value, child));
      } else {
        out.push(...duplicateFields(item, `${path}[${i}]`));
      }
    });
  }
  return out;
}

/** A body that must be one object. */
export function asObject(value: unknown): KubeObject {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw badRequest("the body of the request was in an unknown format - expected a JSON or YAML object");
  }
  return value as KubeObject;
}
