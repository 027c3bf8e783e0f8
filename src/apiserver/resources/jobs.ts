// batch/v1 Job: defaults (completions/parallelism 1, backoffLimit 6, restartPolicy must be OnFailure/Never),
// the generated selector and controller-uid labels as upstream, and STATUS/COMPLETIONS/DURATION columns.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, humanDuration, nameColumn, podTemplateColumns } from "../table.ts";
import { type FieldError, notSupported } from "../validation.ts";
import { describe } from "./types.ts";
import { defaultTemplate, validateSelectorAndTemplate } from "./workload.ts";

function jobStatus(job: KubeObject): string {
  const conds: { type: string; status: string }[] = job.status?.conditions ?? [];
  const has = (t: string) => conds.some((c) => c.type === t && c.status === "True");
  if (has("Complete")) return "Complete";
  if (has("Failed")) return "Failed";
  if (job.metadata?.deletionTimestamp) return "Terminating";
  if (has("FailureTarget")) return "FailureTarget";
  if (has("SuccessCriteriaMet")) return "SuccessCriteriaMet";
  if (has("Suspended")) return "Suspended";
  return "Running";
}

function duration(job: KubeObject, now: number): string {
  const start = job.status?.startTime;
  if (!start) return "";
  const end = job.status?.completionTime ? Date.parse(job.status.completionTime) : now;
  return humanDuration(end - Date.parse(start));
}

function validate(job: KubeObject): FieldError[] {
  const errs = validateSelectorAndTemplate(job.spec, "spec.template", false);
  const rp = job.spec?.template?.spec?.restartPolicy;
  if (rp && rp !== "OnFailure" && rp !== "Never")
    errs.push(notSupported("spec.template.spec.restartPolicy", rp, ["OnFailure", "Never"]));
  return errs;
}

export default describe({
  group: "batch",
  version: "v1",
  kind: "Job",
  plural: "jobs",
  namespaced: true,
  categories: ["all"],
  status: true,
  defaults(job) {
    job.spec ??= {};
    const spec = job.spec;
    spec.completions ??= 1;
    spec.parallelism ??= 1;
    spec.backoffLimit ??= 6;
    spec.completionMode ??= "NonIndexed";
    spec.suspend ??= false;
    spec.podReplacementPolicy ??= "TerminatingOrFailed";
    spec.manualSelector ??= undefined;
    // Upstream generates a selector on the job's uid; the uid is known only at create, see prepareCreate.
    defaultTemplate(spec.template);
  },
  prepareCreate(job) {
    job.status = {};
    const spec = job.spec ?? {};
    if (!spec.manualSelector && job.metadata?.uid) {
      const uid = job.metadata.uid;
      const labels = {
        "batch.kubernetes.io/controller-uid": uid,
        "batch.kubernetes.io/job-name": job.metadata.name,
        "controller-uid": uid,
        "job-name": job.metadata.name,
      };
      spec.selector = { matchLabels: { "batch.kubernetes.io/controller-uid": uid } };
      if (spec.template) {
        spec.template.metadata ??= {};
        spec.template.metadata.labels = { ...spec.template.metadata.labels, ...labels };
      }
    }
  },
  validate,
  columns: [
    nameColumn,
    col("Status", jobStatus),
    col("Completions", (j) => `${j.status?.succeeded ?? 0}/${j.spec?.completions ?? 1}`),
    col("Duration", duration),
    ageColumn,
    ...podTemplateColumns((j) => j.spec?.template),
  ],
});
