// autoscaling/v1 HorizontalPodAutoscaler: the same stored objects as autoscaling/v2, in the older shape
// (hpa-conversion.ts). `kubectl autoscale` creates this version; the columns are v2's, read off the v2 shape.

import v2 from "./horizontalpodautoscalers.ts";
import { hpaV1ToV2, hpaV2ToV1 } from "./hpa-conversion.ts";
import { columnsThrough, describe } from "./types.ts";

export default describe({
  ...v2,
  version: "v1",
  // v2's defaulting runs on the stored (v2) shape, after conversion.
  defaults: undefined,
  storedAs: {
    group: v2.group,
    plural: v2.plural,
    fromStorage: hpaV2ToV1,
    toStorage: (obj) => {
      const stored = hpaV1ToV2(obj);
      v2.defaults?.(stored);
      return stored;
    },
  },
  columns: columnsThrough(v2.columns, hpaV1ToV2),
});
