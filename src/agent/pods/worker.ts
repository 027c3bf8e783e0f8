// syncPod: one idempotent pass that moves a pod on this node toward its spec, like the kubelet's SyncPod —
// sandbox (a new one if it died), volumes, init containers in order (sidecars kept running), containers with
// restart policy and CrashLoopBackOff, liveness restarts, probes, the active deadline — then writes the status if
// it changed. Everything is read back
// from CRI each pass, so an agent restart adopts running containers instead of restarting them.

import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Container, Pod } from "../../api/types.ts";
import { inNamespace, pods } from "../../client/refs.ts";
import type { PodContext } from "./context.ts";
import { activeDeadlineLeft, DEADLINE_EXCEEDED } from "./deadline.ts";
import { ConfigError } from "./env.ts";
import { ephemeralFieldPath, ephemeralToStart } from "./ephemeral.ts";
import { containerHash, podIdentity } from "./labels.ts";
import { objectReader } from "./refs.ts";
import {
  type ContainerRecord,
  currentContainer,
  nextAttempt,
  type PodRuntime,
  podRuntime,
  withContainers,
  withNewSandbox,
} from "./runtime.ts";
import { sandboxConfig } from "./sandbox.ts";
import { isSidecar, mainContainersCreated } from "./sidecars.ts";
import { startContainer } from "./start-container.ts";
import { computePodStatus, podStatusChanged, type Waiting } from "./status.ts";
import { confirmDeletion, killPod, killPodInBackground } from "./terminate.ts";
import { setUpVolumes } from "./volumes.ts";

const RETRY_MS = 2000;

export async function syncPod(ctx: PodContext, pod: Pod, key: string): Promise<void> {
  const id = podIdentity(pod);
  let rt = await podRuntime(ctx.cri, id.uid);

  if (pod.metadata?.deletionTimestamp) {
    const grace = pod.metadata.deletionGracePeriodSeconds ?? pod.spec?.terminationGracePeriodSeconds ?? 30;
    killPodInBackground(ctx, pod, rt, grace, () => confirmDeletion(ctx, pod));
    return;
  }
  const prevPhase = pod.status?.phase;
  if (prevPhase === "Succeeded" || prevPhase === "Failed") {
    if (ctx.terminating.has(id.uid)) return;
    if (rt.sandboxes.some((s) => s.state === "SANDBOX_READY")) await killPod(ctx, pod, rt, 0);
    return;
  }

  const left = activeDeadlineLeft(ctx.statuses.newest(pod));
  if (left !== undefined && left <= 0) return killPastDeadline(ctx, pod, rt, key);
  // Later deadlines are met by a later sync (the manager resyncs every pod every 10 s).
  if (left !== undefined && left < 10_000) ctx.requeue(key, left + 50);

  const waiting = new Map<string, Waiting>();
  const settings = {
    podLogsDir: ctx.paths.podLogsDir,
    nodeName: ctx.config.nodeName,
    clusterDns: ctx.config.clusterDns,
    clusterDomain: ctx.config.clusterDomain,
  };
  const attempt = rt.sandboxes[0]
    ? (rt.sandboxes[0].metadata.attempt ?? 0) + (rt.sandbox?.state === "SANDBOX_READY" ? 0 : 1)
    : 0;
  const sbConfig = sandboxConfig(pod, settings, attempt);

  const needSandbox = rt.sandbox?.state !== "SANDBOX_READY";
  if (needSandbox && rt.sandboxes.length && allDone(pod, rt)) return writeStatus(ctx, pod, rt, waiting);
  const podDir = join(ctx.paths.podsDir, id.uid);
  const reader = objectReader(ctx.client);
  // Volumes need no sandbox: set them up while containerd makes one (the kubelet mounts them first, too).
  const volumes = setUpVolumes({
    pod,
    podDir,
    nodeIp: ctx.nodeIp(),
    dataDir: ctx.config.dataDir,
    reader,
    tokens: ctx.tokens,
  }).then(
    (paths) => ({ paths, err: undefined }),
    (err: Error) => ({ paths: undefined, err }),
  );

  if (needSandbox) {
    // A dead sandbox takes its containers with it: stop what is left, then start over in a new one.
    if (rt.sandboxes.length) await killPod(ctx, pod, rt, 0);
    mkdirSync(sbConfig.logDirectory as string, { recursive: true });
    try {
      rt = await withNewSandbox(ctx.cri, rt, await ctx.cri.runPodSandbox(sbConfig));
    } catch (err) {
      ctx.record(pod, "Warning", "FailedCreatePodSandBox", `Failed to create pod sandbox: ${(err as Error).message}`);
      ctx.requeue(key, RETRY_MS);
      await volumes;
      return writeStatus(ctx, pod, rt, waiting);
    }
  }
  const sandboxId = rt.sandbox?.id as string;
  const podIp = pod.spec?.hostNetwork ? ctx.nodeIp() : (rt.sandbox?.network?.ip ?? "");

  const { paths: volumePaths, err: volumeErr } = await volumes;
  if (!volumePaths) {
    const message = volumeErr?.message;
    ctx.record(pod, "Warning", "FailedMount", `MountVolume.SetUp failed: ${message}`);
    if (!(volumeErr instanceof ConfigError)) console.error(volumeErr);
    ctx.requeue(key, RETRY_MS);
    return writeStatus(ctx, pod, rt, waiting);
  }

  // Whether this pass started or stopped a container (then CRI is read again before the status is computed).
  let touched = false;
  const start = async (c: Container, fieldPath: string, targetId?: string) => {
    touched = true;
    const w = await startContainer(ctx, {
      pod,
      c,
      sandboxId,
      sandboxConfig: sbConfig,
      podIp,
      podDir,
      volumePaths,
      attempt: nextAttempt(rt, c.name),
      reader,
      fieldPath,
      targetId,
    });
    if (w) {
      waiting.set(c.name, w);
      // After a failed pull, sync again soon (showing ImagePullBackOff), then when the back-off ends.
      const left = ctx.pullBackoff.remaining(`${id.uid}/${c.name}`);
      ctx.requeue(key, w.reason === "ImagePullBackOff" ? Math.max(left, 100) : RETRY_MS);
    }
  };

  /**
   * Keeps container `c` running: a restart after a failed liveness/startup probe or a spec change, a start
   * (after any back-off) when `restartOnExit` allows. Whether it runs after this pass.
   */
  const keepRunning = async (
    c: Container,
    fieldPath: string,
    restartOnExit: (exited: ContainerRecord) => boolean,
  ): Promise<boolean> => {
    const cur = currentContainer(rt, c.name);
    if (cur?.state === "CONTAINER_RUNNING") {
      const why =
        ctx.livenessFailed.get(cur.id) ?? (cur.hash && cur.hash !== containerHash(c) ? "spec changed" : undefined);
      if (!why) return true;
      ctx.livenessFailed.delete(cur.id);
      touched = true;
      ctx.record(pod, "Normal", "Killing", `Container ${c.name} ${why}, will be restarted`, fieldPath);
      await ctx.cri.stopContainer(cur.id, pod.spec?.terminationGracePeriodSeconds ?? 30).catch(() => {});
      ctx.requeue(key, 0);
      return false;
    }
    if (cur?.state === "CONTAINER_EXITED") {
      if (!restartOnExit(cur) || inBackoff(ctx, pod, c, cur, waiting, key)) return false;
    }
    if (cur?.state === "CONTAINER_CREATED") {
      touched = true;
      await ctx.cri.startContainer(cur.id).catch(() => {});
      return true;
    }
    await start(c, fieldPath);
    return !waiting.has(c.name);
  };

  // Init containers, one at a time, in order; a sidecar lets the next one start once it has started. Once a
  // main container exists only the sidecars are looked after (restarted whatever the pod's restartPolicy),
  // until the main containers are done for good.
  const podStarted = mainContainersCreated(pod, rt);
  const mainDone = allDone(pod, rt);
  let initialized = true;
  for (const c of pod.spec?.initContainers ?? []) {
    const cur = currentContainer(rt, c.name);
    if (isSidecar(c)) {
      const running = !mainDone && (await keepRunning(c, `spec.initContainers{${c.name}}`, () => true));
      if (podStarted) continue;
      // Without a startup probe a running sidecar counts as started at once (upstream too).
      const started = running && (!c.startupProbe || (cur !== undefined && ctx.probes.result(cur.id, c, "startup")));
      if (started) continue;
      // Not started yet: its start, back-off or startup probe result brings the pod back here.
      initialized = false;
      break;
    }
    if (podStarted || (cur?.state === "CONTAINER_EXITED" && cur.exitCode === 0)) continue;
    initialized = false;
    if (cur?.state === "CONTAINER_RUNNING" || cur?.state === "CONTAINER_CREATED") break;
    if (cur?.state === "CONTAINER_EXITED") {
      if (pod.spec?.restartPolicy === "Never") break;
      if (inBackoff(ctx, pod, c, cur, waiting, key)) break;
    }
    await start(c, `spec.initContainers{${c.name}}`);
    ctx.requeue(key, 200);
    break;
  }

  if (initialized) {
    const policy = pod.spec?.restartPolicy ?? "Always";
    const restart = (exited: ContainerRecord) =>
      policy === "Always" || (policy === "OnFailure" && exited.exitCode !== 0);
    await Promise.all((pod.spec?.containers ?? []).map((c) => keepRunning(c, `spec.containers{${c.name}}`, restart)));
  }

  // Ephemeral containers start whatever the init state (as upstream), once each.
  for (const e of ephemeralToStart(pod, rt)) await start(e.container, ephemeralFieldPath(e.container.name), e.targetId);

  if (touched) {
    const before = new Map([...rt.containers.values()].flat().map((r) => [r.id, r.state]));
    rt = await withContainers(ctx.cri, rt, id.uid);
    // A container that exited since this pass began (one just started may already be gone) is this pass's to
    // act on: the relist will not report it again once it is marked observed below.
    const exited = [...rt.containers.values()]
      .flat()
      .some((r) => r.state === "CONTAINER_EXITED" && before.get(r.id) !== r.state);
    if (exited) ctx.requeue(key, 100);
  }
  ctx.observed(rt);
  const live = new Set(
    [...rt.containers.values()]
      .flat()
      .filter((r) => r.state === "CONTAINER_RUNNING")
      .map((r) => r.id),
  );
  ctx.probes.retainPod(id.uid, live);
  // Probes start with the container: one started by this pass is probed now, not after the next sync (its
  // start was read here, so the relist will not bring the pod back for it).
  for (const c of [...(pod.spec?.initContainers ?? []).filter(isSidecar), ...(pod.spec?.containers ?? [])]) {
    const cur = currentContainer(rt, c.name);
    if (cur?.state === "CONTAINER_RUNNING" && !ctx.livenessFailed.has(cur.id))
      ctx.probes.ensure(id.uid, cur.id, c, () => podIp, Math.floor(cur.startedAt / 1e6));
  }
  await pruneExited(ctx, rt);
  await writeStatus(ctx, pod, rt, waiting);
}

/** A pod past its active deadline: stopped within its grace period, then reported Failed (DeadlineExceeded). */
function killPastDeadline(ctx: PodContext, pod: Pod, rt: PodRuntime, key: string): void {
  ctx.record(pod, "Normal", DEADLINE_EXCEEDED.reason, DEADLINE_EXCEEDED.message);
  killPodInBackground(ctx, pod, rt, pod.spec?.terminationGracePeriodSeconds ?? 30, async () => {
    await writeStatus(ctx, pod, await podRuntime(ctx.cri, pod.metadata?.uid ?? ""), new Map(), DEADLINE_EXCEEDED);
    // A deletion that came meanwhile was left for now.
    ctx.requeue(key, 0);
  });
}

/** CrashLoopBackOff: whether container `c` must wait before its next restart (and requeues when it may). */
function inBackoff(
  ctx: PodContext,
  pod: Pod,
  c: Container,
  cur: ContainerRecord,
  waiting: Map<string, Waiting>,
  key: string,
) {
  const bkey = `${pod.metadata?.uid}/${c.name}`;
  const finishedMs = Math.floor(cur.finishedAt / 1e6);
  ctx.restartBackoff.reset(bkey, finishedMs - Math.floor(cur.startedAt / 1e6));
  const left = ctx.restartBackoff.remaining(bkey, finishedMs);
  if (left > 0) {
    const delay = Math.round(ctx.restartBackoff.delayOf(bkey) / 1000);
    const message = `back-off ${delay}s restarting failed container=${c.name} pod=${pod.metadata?.name}_${pod.metadata?.namespace}(${pod.metadata?.uid})`;
    waiting.set(c.name, { reason: "CrashLoopBackOff", message });
    ctx.requeue(key, left + 50);
    return true;
  }
  ctx.restartBackoff.next(bkey);
  return false;
}

/** All containers finished and none will restart (Never / OnFailure after success): no new sandbox. */
function allDone(pod: Pod, rt: PodRuntime): boolean {
  const policy = pod.spec?.restartPolicy ?? "Always";
  if (policy === "Always") return false;
  return (pod.spec?.containers ?? []).every((c) => {
    const r = rt.containers.get(c.name)?.[0];
    return r?.state === "CONTAINER_EXITED" && (policy === "Never" || r.exitCode === 0);
  });
}

/** Keeps the newest two containers per name (the current one and the previous, for logs --previous). */
async function pruneExited(ctx: PodContext, rt: PodRuntime): Promise<void> {
  for (const list of rt.containers.values()) {
    for (const old of list.slice(2))
      if (old.state !== "CONTAINER_RUNNING") await ctx.cri.removeContainer(old.id).catch(() => {});
  }
}

async function writeStatus(
  ctx: PodContext,
  pod: Pod,
  rt: PodRuntime,
  waiting: Map<string, Waiting>,
  terminal?: { phase: "Succeeded" | "Failed"; reason: string; message: string },
): Promise<void> {
  const uid = pod.metadata?.uid ?? "";
  // The informer may not have delivered our last write yet: compare with the newest status we know of, or
  // every sync in that window would write the same status again (with fresh condition times).
  const known = ctx.statuses.newest(pod);
  const status = computePodStatus({
    pod: known,
    rt,
    nodeIp: ctx.nodeIp(),
    waiting,
    podDir: join(ctx.paths.podsDir, uid),
    ready: (c, r) => ctx.probes.result(r.id, c, "readiness"),
    started: (c, r) => ctx.probes.result(r.id, c, "startup"),
    ...(terminal ? { terminalPhase: terminal.phase, reason: terminal.reason, message: terminal.message } : {}),
  });
  if (!podStatusChanged(known.status, status)) return;
  const id = podIdentity(pod);
  const written = await ctx.client.patch<Pod>(
    inNamespace(pods, id.namespace),
    id.name,
    { status },
    "merge",
    undefined,
    "status",
  );
  ctx.statuses.wrote(written);
  // Terminal pods release their sandbox (and IP) at once. Only sidecars may still run (a job's main containers
  // are done): they get their grace period, and the final status shows them stopped.
  if ((status.phase === "Succeeded" || status.phase === "Failed") && rt.sandbox?.state === "SANDBOX_READY") {
    killPodInBackground(ctx, written, rt, pod.spec?.terminationGracePeriodSeconds ?? 30, async () =>
      writeStatus(ctx, written, await podRuntime(ctx.cri, uid), new Map()),
    );
  }
}
