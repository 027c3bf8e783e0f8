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
  /** Live keys after `key` at `revision`: fixed once counted, since nothing changes at a past revision. */
  remaining: number;
}

export function encodeContinue(point: ContinuePoint): string {
  const body = { v: 1, rev: point.revision, key: point.key, left: point.remaining };
  return Buffer.from(JSON.stringify(body)).toString("base64url");
}

export function decodeContinue(token: string): ContinuePoint {
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8"));
    const { v, rev, key, left } = parsed ?? {};
    if (v === 1 && Number.isSafeInteger(rev) && rev >= 0 && typeof key === "string" && Number.isSafeInteger(left)) {
      return { revision: rev, key, remaining: left };
    }
  } catch {
    // fall through to the error below
  }
  throw new StoreError("bad-continue", `continue token ${JSON.stringify(token)} is not one this store issued`);
}
