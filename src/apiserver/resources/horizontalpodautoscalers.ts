// autoscaling/v2 HorizontalPodAutoscaler (the autoscaler is src/controllers/podautoscaler.ts).

import type { autoscaling } from "../../api/types.ts";
import { ageColumn, col, nameColumn } from "../table.ts";
import { defaultHpa } from "./hpa-conversion.ts";
import { hpaTargets } from "./hpa-targets.ts";
import { describe } from "./types.ts";

type Hpa = autoscaling.HorizontalPodAutoscaler;

export default describe({
  group: "autoscaling",
  version: "v2",
  kind: "HorizontalPodAutoscaler",
  plural: "horizontalpodautoscalers",
  namespaced: true,
  shortNames: ["hpa"],
  categories: ["all"],
  status: true,
  defaults: defaultHpa,
  columns: [
    nameColumn,
    col("Reference", (h) => `${h.spec?.scaleTargetRef?.kind}/${h.spec?.scaleTargetRef?.name}`),
    col("Targets", (h) => hpaTargets(h as Hpa)),
    col("MinPods", (h) => h.spec?.minReplicas ?? 1, { type: "integer" }),
    col("MaxPods", (h) => h.spec?.maxReplicas ?? 0, { type: "integer" }),
    col("Replicas", (h) => h.status?.currentReplicas ?? 0, { type: "integer" }),
    ageColumn,
  ],
});
