// applyPatch: one entry for the three classic PATCH content types.

import type { KubeObject } from "../../api/types.ts";
import { applyJsonPatch } from "./json-patch.ts";
import { applyMergePatch } from "./merge-patch.ts";
import type { PatchMeta } from "./meta.ts";
import { applyStrategicPatch } from "./strategic.ts";

export type PatchType = "json" | "merge" | "strategic";

export function applyPatch(input: {
  current: KubeObject;
  patch: unknown;
  patchType: PatchType;
  meta?: PatchMeta;
}): KubeObject {
  switch (input.patchType) {
    case "json":
      return applyJsonPatch(input.current, input.patch);
    case "merge":
      return applyMergePatch(input.current, input.patch);
    case "strategic":
      return applyStrategicPatch(input.current, input.patch, input.meta);
  }
}
