// Key-range helpers shared by the backends: the half-open range a prefix covers, and the opaque `continue` token
// that pins every page of a paginated list to the first page's revision.
import { StoreError } from "./types.ts";

/** Above every key a Kubernetes path can hold; the upper bound for the empty prefix. */
const TOP = "\u{10FFFF}";

/** [start, end) such that a key is under `prefix` iff start <= key < end (in code point order, as SQLite compares). */
export function prefixRange(prefix: string): [string, string] {
  if (prefix === "") return ["", TOP];
  const last = prefix.charCodeAt(prefix.length - 1);
  return [prefix, prefix.slice(0, -1) + String.fromCharCode(last + 1)];
}

export interface ContinuePoint {
  /** The revision the first page was read at. */
  revision: number;
  /** The last key returned; the next page starts after it. */
  key: string;
}

export function encodeContinue(point: ContinuePoint): string {
  return Buffer.from(JSON.stringify({ v: 1, rev: point.revision, key: point.key })).toString("base64url");
}

export function decodeContinue(token: string): ContinuePoint {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    if (parsed?.v === 1 && Number.isSafeInteger(parsed.rev) && parsed.rev >= 0 && typeof parsed.key === "string") {
      return { revision: parsed.rev, key: parsed.key };
    }
  } catch {
    // fall through to the error below
  }
  throw new StoreError("bad-continue", `continue token ${JSON.stringify(token)} is not one this store issued`);
}
