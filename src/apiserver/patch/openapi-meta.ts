// Adapts the openapi module's per-kind patch metadata (src/apiserver/openapi/patch-meta.ts) to PatchMeta.

import { type GroupVersionKind, patchMetaFor } from "../openapi/patch-meta.ts";
import type { PatchMeta } from "./meta.ts";

/** PatchMeta of a built-in kind; for kinds the schemas do not know every answer is empty (replace/atomic). */
export function patchMetaForKind(gvk: GroupVersionKind): PatchMeta {
	return {
		strategyFor(path) {
			const meta = patchMetaFor(gvk, path);
			return meta ? { strategy: meta.strategy, mergeKey: meta.mergeKey } : {};
		},
	};
}
