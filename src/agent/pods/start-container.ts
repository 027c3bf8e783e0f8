// Creates and starts one container of a pod: image present (pull policy, back-off), environment, volume mounts
// plus /etc/hosts and the termination-message file, then CreateContainer/StartContainer and the postStart
// hook. Returns a waiting reason when the container cannot start yet.

import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import type { Container, Pod } from "../../api/types.ts";
import type { Mount, PodSandboxConfig } from "../cri/types.ts";
import { containerConfig } from "./container-config.ts";
import type { PodContext } from "./context.ts";
import { ConfigError, containerEnv } from "./env.ts";
import { targetPidNamespace } from "./ephemeral.ts";
import { runHandler } from "./handlers.ts";
import { ensureImage } from "./pull.ts";
import type { ObjectReader } from "./refs.ts";
import { terminationLogPath, type Waiting } from "./status.ts";
import { containerMounts } from "./volumes.ts";

export interface StartInputs {
  pod: Pod;
  c: Container;
  sandboxId: string;
  sandboxConfig: PodSandboxConfig;
  podIp: string;
  podDir: string;
  volumePaths: Map<string, string>;
  attempt: number;
  reader: ObjectReader;
  fieldPath: string;
  /** An ephemeral container's target: it joins that container's PID namespace. */
  targetId?: string;
}

/** Writes the pod's /etc/hosts (the kubelet manages it so the pod's own name resolves to its IP). */
export function writeEtcHosts(podDir: string, pod: Pod, podIp: string, hostname: string): string {
  const lines = [
    "# Kubernetes-managed hosts file.",
    "127.0.0.1\tlocalhost",
    "::1\tlocalhost ip6-localhost ip6-loopback",
    "fe00::0\tip6-localnet",
    "fe00::0\tip6-mcastprefix",
    "fe00::1\tip6-allnodes",
    "fe00::2\tip6-allrouters",
  ];
  if (podIp) lines.push(`${podIp}\t${hostname}`);
  for (const a of pod.spec?.hostAliases ?? []) lines.push(`${a.ip}\t${(a.hostnames ?? []).join("\t")}`);
  const path = join(podDir, "etc-hosts");
  mkdirSync(podDir, { recursive: true });
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

/** runAsNonRoot without runAsUser: the image's user decides (upstream refuses root and unknown names). */
async function verifyRunAsNonRoot(ctx: PodContext, pod: Pod, c: Container, image: string): Promise<string | undefined> {
  const runAsNonRoot = c.securityContext?.runAsNonRoot ?? pod.spec?.securityContext?.runAsNonRoot;
  const runAsUser = c.securityContext?.runAsUser ?? pod.spec?.securityContext?.runAsUser;
  if (!runAsNonRoot || runAsUser !== undefined) return undefined;
  const img = await ctx.cri.imageStatus(image);
  const uid = img?.uid?.value;
  if (uid === undefined && img?.username) {
    return `container has runAsNonRoot and image has non-numeric user (${img.username}), cannot verify user is non-root (pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})", container: ${c.name})`;
  }
  if (!uid) {
    return `container has runAsNonRoot and image will run as root (pod: "${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})", container: ${c.name})`;
  }
  return undefined;
}

/** The kubelet's events for an image it could not get: what went wrong, then `Error: <reason>`. */
function recordPullFailure(ctx: PodContext, inp: StartInputs, waiting: Waiting): void {
  const { pod, c, fieldPath } = inp;
  if (waiting.reason === "ImagePullBackOff") {
    ctx.record(pod, "Normal", "BackOff", `Back-off pulling image "${c.image}"`, fieldPath);
  } else if (waiting.reason === "ErrImagePull") {
    ctx.record(pod, "Warning", "Failed", `Failed to pull image "${c.image}": ${waiting.message ?? ""}`, fieldPath);
  } else {
    ctx.record(pod, "Warning", waiting.reason, waiting.message ?? "", fieldPath);
  }
  ctx.record(pod, "Warning", "Failed", `Error: ${waiting.reason}`, fieldPath);
}

export async function startContainer(ctx: PodContext, inp: StartInputs): Promise<Waiting | undefined> {
  const { pod, c } = inp;
  const uid = pod.metadata?.uid ?? "";
  const started = performance.now();
  const pull = await ensureImage(ctx.cri, pod, c, inp.reader, ctx.pullBackoff, `${uid}/${c.name}`, ctx.registries, () =>
    ctx.record(pod, "Normal", "Pulling", `Pulling image "${c.image}"`, inp.fieldPath),
  );
  if (!pull.ok) {
    recordPullFailure(ctx, inp, pull.waiting);
    return pull.waiting;
  }
  // The kubelet's words, which `kubectl describe pod` users know.
  const seconds = `${((performance.now() - started) / 1000).toFixed(3)}s`;
  ctx.record(
    pod,
    "Normal",
    "Pulled",
    pull.pulled
      ? `Successfully pulled image "${c.image}" in ${seconds} (${seconds} including waiting)`
      : `Container image "${c.image}" already present on machine`,
    inp.fieldPath,
  );
  const nonRoot = await verifyRunAsNonRoot(ctx, pod, c, pull.imageRef);
  if (nonRoot) {
    ctx.record(pod, "Warning", "Failed", `Error: ${nonRoot}`, inp.fieldPath);
    return { reason: "CreateContainerConfigError", message: nonRoot };
  }

  let config: ReturnType<typeof containerConfig>;
  try {
    const env = await containerEnv(c, {
      pod,
      nodeIp: ctx.nodeIp(),
      dataDir: ctx.config.dataDir,
      reader: inp.reader,
      serviceEnv: ctx.serviceEnv(),
    });
    const mounts: Mount[] = containerMounts(c, pod, inp.volumePaths, env);
    const has = (p: string) => mounts.some((m) => m.containerPath === p);
    if (!pod.spec?.hostNetwork && !has("/etc/hosts")) {
      const hosts = writeEtcHosts(inp.podDir, pod, inp.podIp, inp.sandboxConfig.hostname ?? "");
      mounts.push({ containerPath: "/etc/hosts", hostPath: hosts });
    }
    const termPath = c.terminationMessagePath ?? "/dev/termination-log";
    if (!has(termPath)) {
      const hostFile = terminationLogPath(inp.podDir, c.name, inp.attempt);
      mkdirSync(dirname(hostFile), { recursive: true });
      writeFileSync(hostFile, "", { mode: 0o666 });
      mounts.push({ containerPath: termPath, hostPath: hostFile });
    }
    config = containerConfig(c, pod, { image: pull.imageRef, env, mounts, attempt: inp.attempt });
    const sc = config.linux?.securityContext;
    if (inp.targetId && sc) sc.namespaceOptions = targetPidNamespace(sc.namespaceOptions, inp.targetId);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    ctx.record(pod, "Warning", "Failed", `Error: ${err.message}`, inp.fieldPath);
    return { reason: "CreateContainerConfigError", message: err.message };
  }

  let id: string;
  try {
    id = await ctx.cri.createContainer(inp.sandboxId, config, inp.sandboxConfig);
  } catch (err) {
    ctx.record(pod, "Warning", "Failed", `Error: ${(err as Error).message}`, inp.fieldPath);
    return { reason: "CreateContainerError", message: (err as Error).message };
  }
  ctx.record(pod, "Normal", "Created", `Created container ${c.name}`, inp.fieldPath);
  try {
    await ctx.cri.startContainer(id);
  } catch (err) {
    // The container exists and exited: the restart logic takes over, as upstream (RunContainerError).
    ctx.record(pod, "Warning", "Failed", `Error: ${(err as Error).message}`, inp.fieldPath);
    return undefined;
  }
  ctx.record(pod, "Normal", "Started", `Started container ${c.name}`, inp.fieldPath);

  if (c.lifecycle?.postStart) {
    const res = await runHandler(
      c.lifecycle.postStart,
      { cri: ctx.cri, containerId: id, container: c, podIp: inp.podIp },
      30,
    );
    if (!res.ok) {
      ctx.record(pod, "Warning", "FailedPostStartHook", res.message, inp.fieldPath);
      await ctx.cri.stopContainer(id, pod.spec?.terminationGracePeriodSeconds ?? 30).catch(() => {});
    }
  }
  return undefined;
}
