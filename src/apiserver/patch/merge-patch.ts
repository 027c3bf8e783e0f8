// RFC 7386 JSON Merge Patch (application/merge-patch+json): objects merge recursively, null deletes, anything
// else (lists included) replaces.

import type { KubeObject } from "../../api/types.ts";
import { badPatch } from "./errors.ts";
import { cloneJson, isObject, type JsonObject } from "./json.ts";

export function applyMergePatch(current: KubeObject, patch: unknown): KubeObject {
  if (!isObject(patch)) throw badPatch("merge patch must be a JSON object");
  return mergeInto(cloneJson(current), patch) as KubeObject;
}

/** Merges `patch` into `target` (which this owns and may mutate); returns the result. */
function mergeInto(target: unknown, patch: unknown): unknown {
  if (!isObject(patch)) return patch;
  const out: JsonObject = isObject(target) ? target : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    // Values not in the target still go through the merge so nulls nested in them are dropped.
    else out[k] = mergeInto(out[k], v);
  }
  return out;
}
