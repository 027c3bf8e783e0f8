// autoscaling/v1 HorizontalPodAutoscaler: the same stored objects as autoscaling/v2, in the older shape
// (hpa-conversion.ts). `kubectl autoscale` creates this version; the columns are v2's, read off the v2 shape.

import type { KubeObject } from "../../api/types.ts";
import v2 from "./horizontalpodautoscalers.ts";
import { hpaV1ToV2, hpaV2ToV1 } from "./hpa-conversion.ts";
import { describe, type TableColumn } from "./types.ts";

const columns: TableColumn[] = (v2.columns ?? []).map((c) => ({
  ...c,
  cell: (h: KubeObject, now: number) => c.cell(hpaV1ToV2(h), now),
}));

export default describe({
  group: "autoscaling",
  version: "v1",
  kind: "HorizontalPodAutoscaler",
  plural: "horizontalpodautoscalers",
  namespaced: true,
  shortNames: ["hpa"],
  categories: ["all"],
  status: true,
  storedAs: {
    group: "autoscaling",
    plural: "horizontalpodautoscalers",
    fromStorage: hpaV2ToV1,
    toStorage: (obj) => {
      const stored = hpaV1ToV2(obj);
      v2.defaults?.(stored);
      return stored;
    },
  },
  columns,
});
