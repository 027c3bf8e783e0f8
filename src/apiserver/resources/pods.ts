// core/v1 Pod: upstream's defaults (restart/DNS policy, grace period, image pull policy from the tag, QoS),
// validation of containers, the update rule (spec is immutable but for images and a few fields), graceful
// deletion (a bound pod waits for its node agent) and `kubectl get pods` columns.

import { qosClass } from "../../api/qos.ts";
import type { Container, KubeObject, Pod } from "../../api/types.ts";
import { ageColumn, col, nameColumn, wide } from "../table.ts";
import {
  dns1123Label,
  duplicate,
  type FieldError,
  forbiddenField,
  invalidValue,
  notSupported,
  required,
} from "../validation.ts";
import { admitPodPriority } from "./pod-priority.ts";
import { describe } from "./types.ts";

const RESTART_POLICIES = ["Always", "OnFailure", "Never"];
const DNS_POLICIES = ["ClusterFirstWithHostNet", "ClusterFirst", "Default", "None"];
const PULL_POLICIES = ["Always", "IfNotPresent", "Never"];

/** Upstream: `latest` or no tag (and no digest) means Always, anything else IfNotPresent. */
export function defaultPullPolicy(image: string): string {
  if (image.includes("@")) return "IfNotPresent";
  const lastSlash = image.lastIndexOf("/");
  const colon = image.indexOf(":", lastSlash + 1);
  const tag = colon >= 0 ? image.slice(colon + 1) : "";
  return tag === "" || tag === "latest" ? "Always" : "IfNotPresent";
}

function defaultContainer(c: Container): void {
  if (c.image && !c.imagePullPolicy) c.imagePullPolicy = defaultPullPolicy(c.image);
  c.terminationMessagePath ??= "/dev/termination-log";
  c.terminationMessagePolicy ??= "File";
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= "TCP";
}

/** Defaults of a PodSpec; shared with every workload's pod template. */
export function defaultPodSpec(spec: Pod["spec"]): void {
  if (!spec) return;
  spec.restartPolicy ??= "Always";
  spec.dnsPolicy ??= "ClusterFirst";
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= "default-scheduler";
  spec.securityContext ??= {};
  spec.enableServiceLinks ??= true;
  for (const c of spec.initContainers ?? []) defaultContainer(c);
  for (const c of spec.containers ?? []) defaultContainer(c);
  for (const v of spec.volumes ?? []) {
    if (
      !v.emptyDir &&
      !v.hostPath &&
      !v.configMap &&
      !v.secret &&
      !v.persistentVolumeClaim &&
      !v.projected &&
      !v.downwardAPI &&
      Object.keys(v).length === 1
    )
      v.emptyDir = {};
    if (v.configMap) v.configMap.defaultMode ??= 0o644;
    if (v.secret) v.secret.defaultMode ??= 0o644;
  }
}

/** Validates a PodSpec at `path` (also used for pod templates). */
export function validatePodSpec(spec: Pod["spec"], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!spec) return [required(path)];
  const names = new Set<string>();
  const checkContainers = (list: Container[] | undefined, field: string) => {
    (list ?? []).forEach((c, i) => {
      const p = `${path}.${field}[${i}]`;
      if (!c.name) errs.push(required(`${p}.name`));
      else {
        for (const m of dns1123Label(c.name)) errs.push(invalidValue(`${p}.name`, c.name, m));
        if (names.has(c.name)) errs.push(duplicate(`${p}.name`, c.name));
        names.add(c.name);
      }
      if (!c.image) errs.push(required(`${p}.image`));
      if (c.imagePullPolicy && !PULL_POLICIES.includes(c.imagePullPolicy)) {
        errs.push(notSupported(`${p}.imagePullPolicy`, c.imagePullPolicy, PULL_POLICIES));
      }
      // Only init containers take a restartPolicy, and only Always (a native sidecar).
      if (c.restartPolicy != null && field !== "initContainers")
        errs.push(forbiddenField(`${p}.restartPolicy`, "may not be set for non-init containers"));
      else if (c.restartPolicy != null && c.restartPolicy !== "Always")
        errs.push(notSupported(`${p}.restartPolicy`, c.restartPolicy, ["Always"]));
      (c.ports ?? []).forEach((port, j) => {
        const n = port.containerPort;
        if (!Number.isInteger(n) || n < 1 || n > 65535) {
          errs.push(invalidValue(`${p}.ports[${j}].containerPort`, n, "must be between 1 and 65535, inclusive"));
        }
      });
    });
  };
  if (!spec.containers || spec.containers.length === 0) errs.push(required(`${path}.containers`));
  checkContainers(spec.initContainers, "initContainers");
  checkContainers(spec.containers, "containers");
  if (spec.restartPolicy && !RESTART_POLICIES.includes(spec.restartPolicy)) {
    errs.push(notSupported(`${path}.restartPolicy`, spec.restartPolicy, RESTART_POLICIES));
  }
  if (spec.dnsPolicy && !DNS_POLICIES.includes(spec.dnsPolicy))
    errs.push(notSupported(`${path}.dnsPolicy`, spec.dnsPolicy, DNS_POLICIES));
  if (spec.terminationGracePeriodSeconds != null && spec.terminationGracePeriodSeconds < 0) {
    errs.push(
      invalidValue(
        `${path}.terminationGracePeriodSeconds`,
        spec.terminationGracePeriodSeconds,
        "must be greater than or equal to 0",
      ),
    );
  }
  const volumes = new Set<string>();
  (spec.volumes ?? []).forEach((v, i) => {
    if (!v.name) errs.push(required(`${path}.volumes[${i}].name`));
    else if (volumes.has(v.name)) errs.push(duplicate(`${path}.volumes[${i}].name`, v.name));
    volumes.add(v.name);
  });
  return errs;
}

/** Upstream lets a pod update change only images, activeDeadlineSeconds, tolerations (additions) and grace. */
function validatePodUpdate(obj: KubeObject, old: KubeObject): FieldError[] {
  const strip = (spec: KubeObject) => {
    const copy = structuredClone(spec ?? {});
    for (const c of [...(copy.containers ?? []), ...(copy.initContainers ?? [])]) c.image = "";
    copy.activeDeadlineSeconds = undefined;
    copy.tolerations = undefined;
    copy.terminationGracePeriodSeconds = undefined;
    copy.schedulingGates = undefined;
    return JSON.stringify(copy);
  };
  if (strip(obj.spec) === strip(old.spec)) return [];
  return [
    forbiddenField(
      "spec",
      "pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)",
    ),
  ];
}

export const SERVICE_ACCOUNT_MOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount";

/**
 * Upstream's ServiceAccount admission: every pod gets a `kube-api-access-*` projected volume (a bound token,
 * the cluster CA from kube-root-ca.crt and its namespace) mounted where in-cluster clients look for it,
 * unless it opts out with automountServiceAccountToken: false or already mounts something there.
 */
export function mountServiceAccountToken(pod: KubeObject): void {
  const spec = pod.spec;
  if (!spec || spec.automountServiceAccountToken === false) return;
  const containers: Container[] = [...(spec.initContainers ?? []), ...(spec.containers ?? [])];
  if (containers.some((c) => (c.volumeMounts ?? []).some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT_PATH))) return;
  const suffix = Array.from(
    crypto.getRandomValues(new Uint8Array(5)),
    (b) => "bcdfghjklmnpqrstvwxz2456789"[b % 27],
  ).join("");
  const name = `kube-api-access-${suffix}`;
  spec.volumes = [
    ...(spec.volumes ?? []),
    {
      name,
      projected: {
        defaultMode: 0o644,
        sources: [
          { serviceAccountToken: { expirationSeconds: 3607, path: "token" } },
          { configMap: { name: "kube-root-ca.crt", items: [{ key: "ca.crt", path: "ca.crt" }] } },
          {
            downwardAPI: {
              items: [{ path: "namespace", fieldRef: { apiVersion: "v1", fieldPath: "metadata.namespace" } }],
            },
          },
        ],
      },
    },
  ];
  for (const c of containers)
    c.volumeMounts = [...(c.volumeMounts ?? []), { name, mountPath: SERVICE_ACCOUNT_MOUNT_PATH, readOnly: true }];
}

type ContainerStatus = NonNullable<NonNullable<Pod["status"]>["containerStatuses"]>[number];

/** The STATUS column, following kubectl's printPod. */
export function podStatusReason(pod: KubeObject): string {
  let reason: string = pod.status?.reason || pod.status?.phase || "Pending";
  const initStatuses: ContainerStatus[] = pod.status?.initContainerStatuses ?? [];
  let initializing = false;
  const sidecars = new Set(sidecarStatuses(pod).map((s) => s.name));
  initStatuses.forEach((s, i) => {
    if (initializing) return;
    if (s.state?.terminated?.exitCode === 0) return;
    // A started native sidecar does not hold initialization (kubectl's printPod, 1.29+).
    if (sidecars.has(s.name) && s.started) return;
    if (s.state?.terminated) reason = `Init:${s.state.terminated.reason || `ExitCode:${s.state.terminated.exitCode}`}`;
    else if (s.state?.waiting?.reason && s.state.waiting.reason !== "PodInitializing")
      reason = `Init:${s.state.waiting.reason}`;
    else reason = `Init:${i}/${pod.spec?.initContainers?.length ?? 0}`;
    initializing = true;
  });
  const initialized = pod.status?.conditions?.some(
    (c: { type: string; status: string }) => c.type === "Initialized" && c.status === "True",
  );
  if (!initializing || initialized) {
    let hasRunning = false;
    const statuses: ContainerStatus[] = pod.status?.containerStatuses ?? [];
    for (let i = statuses.length - 1; i >= 0; i--) {
      const s = statuses[i];
      if (s.state?.waiting?.reason) reason = s.state.waiting.reason;
      else if (s.state?.terminated?.reason) reason = s.state.terminated.reason;
      else if (s.state?.terminated)
        reason = s.state.terminated.signal
          ? `Signal:${s.state.terminated.signal}`
          : `ExitCode:${s.state.terminated.exitCode}`;
      else if (s.ready && s.state?.running) hasRunning = true;
    }
    if (reason === "Completed" && hasRunning) reason = "Running";
  }
  if (pod.metadata?.deletionTimestamp) reason = pod.status?.reason === "NodeLost" ? "Unknown" : "Terminating";
  return reason;
}

/** Native sidecars (init containers with restartPolicy Always) count among the pod's containers in kubectl's columns. */
function sidecarStatuses(pod: KubeObject): ContainerStatus[] {
  const names = new Set(
    (pod.spec?.initContainers ?? [])
      .filter((c: Container) => c.restartPolicy === "Always")
      .map((c: Container) => c.name),
  );
  return (pod.status?.initContainerStatuses ?? []).filter((s: ContainerStatus) => names.has(s.name));
}

function restarts(pod: KubeObject): string {
  const statuses: ContainerStatus[] = [...sidecarStatuses(pod), ...(pod.status?.containerStatuses ?? [])];
  return String(statuses.reduce((n, s) => n + (s.restartCount ?? 0), 0));
}

export default describe({
  group: "",
  version: "v1",
  kind: "Pod",
  plural: "pods",
  namespaced: true,
  shortNames: ["po"],
  categories: ["all"],
  status: true,
  generation: false,
  subresources: [
    "binding",
    "eviction",
    "log",
    "exec",
    "attach",
    "portforward",
    "proxy",
    "ephemeralcontainers",
    "resize",
  ],
  defaults(pod) {
    defaultPodSpec(pod.spec);
    if (pod.spec) {
      pod.spec.serviceAccountName ??= pod.spec.serviceAccount ?? "default";
      pod.spec.serviceAccount ??= pod.spec.serviceAccountName;
      pod.spec.tolerations ??= [];
      // The DefaultTolerationSeconds admission plugin: evict from a not-ready/unreachable node after 5 minutes.
      for (const key of ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]) {
        if (!pod.spec.tolerations.some((t: { key?: string }) => t.key === key)) {
          pod.spec.tolerations.push({ key, operator: "Exists", effect: "NoExecute", tolerationSeconds: 300 });
        }
      }
    }
  },
  beforeCreate: async (pod, ctx) => admitPodPriority(pod, await ctx.priorityClasses()),
  prepareCreate(pod) {
    pod.status = { phase: "Pending", qosClass: pod.spec ? qosClass(pod.spec) : "BestEffort" };
    mountServiceAccountToken(pod);
  },
  // Pods not bound to a node, or already finished, have nothing to stop: they go at once (upstream).
  gracePeriod(pod, requested) {
    if (!pod.spec?.nodeName) return 0;
    if (pod.status?.phase === "Succeeded" || pod.status?.phase === "Failed") return 0;
    return requested ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
  },
  validate: (pod) => validatePodSpec(pod.spec, "spec"),
  validateUpdate: validatePodUpdate,
  fields: (pod) => ({
    "spec.nodeName": pod.spec?.nodeName ?? "",
    "spec.restartPolicy": pod.spec?.restartPolicy,
    "spec.schedulerName": pod.spec?.schedulerName,
    "spec.serviceAccountName": pod.spec?.serviceAccountName,
    "spec.hostNetwork": String(pod.spec?.hostNetwork ?? false),
    "status.phase": pod.status?.phase,
    "status.podIP": pod.status?.podIP ?? "",
    "status.nominatedNodeName": pod.status?.nominatedNodeName ?? "",
  }),
  columns: [
    nameColumn,
    col("Ready", (p) => {
      const sidecars = sidecarStatuses(p);
      const statuses: ContainerStatus[] = [
        ...sidecars.filter((s) => s.started),
        ...(p.status?.containerStatuses ?? []),
      ];
      const total =
        (p.spec?.containers?.length ?? 0) +
        ((p.spec?.initContainers ?? []) as Container[]).filter((c) => c.restartPolicy === "Always").length;
      return `${statuses.filter((s) => s.ready).length}/${total}`;
    }),
    col("Status", podStatusReason),
    col("Restarts", restarts),
    ageColumn,
    wide("IP", (p) => p.status?.podIP || "<none>"),
    wide("Node", (p) => p.spec?.nodeName || "<none>"),
    wide("Nominated Node", (p) => p.status?.nominatedNodeName || "<none>"),
    wide("Readiness Gates", (p) => {
      const gates: { conditionType: string }[] = p.spec?.readinessGates ?? [];
      if (!gates.length) return "<none>";
      const conds: { type: string; status: string }[] = p.status?.conditions ?? [];
      return `${gates.filter((g) => conds.some((c) => c.type === g.conditionType && c.status === "True")).length}/${gates.length}`;
    }),
  ],
});
