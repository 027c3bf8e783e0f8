// Ending pods: graceful termination (preStop hooks, then StopContainer with what is left of the grace period,
// then the sandbox) and the deletion confirmation that lets the API object go; and removing everything CRI
// and the disk still hold for a pod that no longer exists.

import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Pod } from "../../api/types.ts";
import { objectKey } from "../../client/cache.ts";
import { isApiError } from "../../client/client.ts";
import { inNamespace, pods } from "../../client/refs.ts";
import type { PodContext } from "./context.ts";
import { ephemeralNames } from "./ephemeral.ts";
import { handlerTimeout } from "./handler-timeout.ts";
import { runHandler } from "./handlers.ts";
import { podIdentity, podLogDirectory } from "./labels.ts";
import type { ContainerRecord, PodRuntime } from "./runtime.ts";
import { sidecarNames } from "./sidecars.ts";
import { tearDownVolumes } from "./volumes.ts";

const RETRY_MS = 2000;

/**
 * Stops every running container (preStop first) within the grace period, then the pod's sandboxes. Sidecars
 * outlive the main containers: they are stopped after them, one at a time in reverse init order (KEP-753).
 */
export async function killPod(ctx: PodContext, pod: Pod, rt: PodRuntime, gracePeriodSeconds: number): Promise<void> {
  const deadline = Date.now() + gracePeriodSeconds * 1000;
  const specs = [...(pod.spec?.containers ?? []), ...(pod.spec?.initContainers ?? [])];
  const running = [...rt.containers.values()].flat().filter((r) => r.state === "CONTAINER_RUNNING");
  const sidecars = sidecarNames(pod);
  const ephemeral = ephemeralNames(pod);
  const stop = async (r: ContainerRecord) => {
    const c = specs.find((s) => s.name === r.name);
    const field = sidecars.includes(r.name)
      ? "initContainers"
      : ephemeral.includes(r.name)
        ? "ephemeralContainers"
        : "containers";
    ctx.record(pod, "Normal", "Killing", `Stopping container ${r.name}`, `spec.${field}{${r.name}}`);
    if (c?.lifecycle?.preStop) {
      const podIp = rt.sandbox?.network?.ip ?? "";
      await handlerTimeout(
        runHandler(c.lifecycle.preStop, { cri: ctx.cri, containerId: r.id, container: c, podIp }, gracePeriodSeconds),
        deadline - Date.now(),
      );
    }
    const left = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    await ctx.cri.stopContainer(r.id, left).catch(() => {});
  };
  await Promise.all(running.filter((r) => !sidecars.includes(r.name)).map(stop));
  for (const name of [...sidecars].reverse()) await Promise.all(running.filter((r) => r.name === name).map(stop));
  for (const sb of rt.sandboxes) await ctx.cri.stopPodSandbox(sb.id).catch(() => {});
}

/**
 * killPod beside the pod workers, so a long grace period holds up no other pod; one at a time per pod (syncs
 * meanwhile leave it alone: `ctx.terminating`). `after` runs once the containers stopped; a failure is retried
 * by syncing the pod again.
 */
export function killPodInBackground(
  ctx: PodContext,
  pod: Pod,
  rt: PodRuntime,
  gracePeriodSeconds: number,
  after: () => Promise<unknown>,
): void {
  const uid = pod.metadata?.uid ?? "";
  if (ctx.terminating.has(uid)) return;
  ctx.terminating.add(uid);
  void killPod(ctx, pod, rt, gracePeriodSeconds)
    .then(after)
    .catch(() => ctx.requeue(objectKey(pod), RETRY_MS))
    .finally(() => ctx.terminating.delete(uid));
}

/** Confirms a graceful deletion once the pod's containers are gone: delete with grace 0, for this uid only. */
export async function confirmDeletion(ctx: PodContext, pod: Pod): Promise<void> {
  const id = podIdentity(pod);
  try {
    await ctx.client.delete(inNamespace(pods, id.namespace), id.name, {
      gracePeriodSeconds: 0,
      preconditions: { uid: id.uid },
    });
  } catch (err) {
    if (!isApiError(err, 404, 409)) throw err;
  }
}

/** Removes a gone pod's containers, sandboxes, volumes, logs and in-memory state. */
export async function removePod(
  ctx: PodContext,
  uid: string,
  rt: PodRuntime,
  identity?: { name: string; namespace: string },
) {
  for (const r of [...rt.containers.values()].flat()) {
    if (r.state === "CONTAINER_RUNNING") await ctx.cri.stopContainer(r.id, 0).catch(() => {});
    await ctx.cri.removeContainer(r.id).catch(() => {});
  }
  for (const sb of rt.sandboxes) {
    await ctx.cri.stopPodSandbox(sb.id).catch(() => {});
    await ctx.cri.removePodSandbox(sb.id).catch(() => {});
  }
  const podDir = join(ctx.paths.podsDir, uid);
  tearDownVolumes(podDir);
  rmSync(podDir, { recursive: true, force: true });
  if (identity) rmSync(podLogDirectory(ctx.paths.podLogsDir, { ...identity, uid }), { recursive: true, force: true });
  ctx.tokens.forget(uid);
  ctx.probes.retainPod(uid, new Set());
  ctx.restartBackoff.forgetPrefix(`${uid}/`);
  ctx.pullBackoff.forgetPrefix(`${uid}/`);
}
