// batch/v1 CronJob: defaults (concurrencyPolicy Allow, history limits), schedule required, and kubectl's columns.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, nameColumn, podTemplateColumns, since } from "../table.ts";
import { type FieldError, required } from "../validation.ts";
import { describe } from "./types.ts";
import { defaultTemplate } from "./workload.ts";

function validate(cj: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!cj.spec?.schedule) errs.push(required("spec.schedule"));
  if (!cj.spec?.jobTemplate) errs.push(required("spec.jobTemplate"));
  return errs;
}

export default describe({
  group: "batch",
  version: "v1",
  kind: "CronJob",
  plural: "cronjobs",
  namespaced: true,
  shortNames: ["cj"],
  categories: ["all"],
  status: true,
  defaults(cj) {
    cj.spec ??= {};
    const spec = cj.spec;
    spec.concurrencyPolicy ??= "Allow";
    spec.suspend ??= false;
    spec.successfulJobsHistoryLimit ??= 3;
    spec.failedJobsHistoryLimit ??= 1;
    defaultTemplate(spec.jobTemplate?.spec?.template);
  },
  validate,
  columns: [
    nameColumn,
    col("Schedule", (c) => c.spec?.schedule ?? ""),
    col("Timezone", (c) => c.spec?.timeZone ?? "<none>"),
    col("Suspend", (c) => String(c.spec?.suspend ?? false), { type: "boolean" }),
    col("Active", (c) => (c.status?.active ?? []).length, { type: "integer" }),
    col("Last Schedule", (c, now) => (c.status?.lastScheduleTime ? since(c.status.lastScheduleTime, now) : "<none>")),
    ageColumn,
    ...podTemplateColumns((c) => c.spec?.jobTemplate?.spec?.template),
  ],
});
