// kube-scheduler for k3lite: watches pods and nodes through the client, queues pending pods that name this
// scheduler, runs each through the framework's plugins, binds it with pods/binding, and reports failures as
// the PodScheduled=False condition and a FailedScheduling event with upstream's wording.

import { consola } from "consola";
import type { core, Namespace, Node, Pod, policy } from "../api/types.ts";
import { objectKey } from "../client/cache.ts";
import { isApiError } from "../client/client.ts";
import { createInformerFactory, type Informer, type InformerFactory } from "../client/informer.ts";
import { inNamespace, namespaces, nodes, poddisruptionbudgets, pods, priorityclasses } from "../client/refs.ts";
import type { KubeClient, ResourceRef } from "../client/types.ts";
import { realClock } from "../controllers/clock.ts";
import { createEventRecorder, type EventRecorder } from "../controllers/events.ts";
import { isTerminal, SchedulerCache } from "./cache.ts";
import { SchedulingCycle } from "./cycle.ts";
import { type CycleState, type Diagnosis, fitErrorMessage, type Plugin } from "./framework.ts";
import { newPodInfo, type PodInfo } from "./nodeinfo.ts";
import { Nominator } from "./nominator.ts";
import { defaultBinder } from "./plugins/defaultbinder.ts";
import { defaultPreemption } from "./plugins/defaultpreemption.ts";
import { DEFAULT_PLUGINS } from "./plugins/registry.ts";
import { type PriorityClassLister, podPriority } from "./priority.ts";
import { type QueuedPod, SchedulingQueue } from "./queue.ts";
import { volumeBindingFromInformers } from "./volumes.ts";

export const DEFAULT_SCHEDULER_NAME = "default-scheduler";
const log = consola.withTag("scheduler");

export interface SchedulerOptions {
  schedulerName?: string;
  /** Share informers with other components in the same process; otherwise the scheduler makes its own. */
  informers?: InformerFactory;
  recorder?: EventRecorder;
  /** Filter/score plugins (default: the upstream default set). */
  plugins?: Plugin[];
  percentageOfNodesToScore?: number;
  /** Bindings in flight at once; the scheduling loop waits beyond this. */
  maxConcurrentBinds?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  /** Turn off PostFilter preemption. */
  disablePreemption?: boolean;
}

export interface SchedulerHandle {
  /** Resolves once the caches are filled and scheduling has begun. */
  ready: Promise<void>;
  /** Stops scheduling; resolves when bindings and events in flight are written. */
  stop(): Promise<void>;
  /** Pods waiting in each part of the queue. */
  queueCounts(): ReturnType<SchedulingQueue["counts"]>;
}

export function startScheduler(client: KubeClient, opts: SchedulerOptions = {}): SchedulerHandle {
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const factory = opts.informers ?? createInformerFactory(client);
  const recorder = opts.recorder ?? createEventRecorder(client, schedulerName, realClock);
  const podInformer = factory.informer<Pod>(pods);
  const nodeInformer = factory.informer<Node>(nodes);
  const nsInformer = factory.informer<Namespace>(namespaces);
  let classes: PriorityClassLister | undefined;
  let budgets: Informer<policy.PodDisruptionBudget> | undefined;
  const priorityOf = (pod: Pod) => podPriority(pod, classes);

  const cache = new SchedulerCache(priorityOf, (name) => nsInformer.getByName(undefined, name));
  const queue = new SchedulingQueue(priorityOf, {
    initialBackoffMs: opts.initialBackoffMs,
    maxBackoffMs: opts.maxBackoffMs,
  });
  const nominator = new Nominator();
  const hasClaims = (p: Pod) => (p.spec?.volumes ?? []).some((v) => v.persistentVolumeClaim || v.ephemeral);
  const filterPlugins = opts.plugins ?? [
    ...DEFAULT_PLUGINS,
    volumeBindingFromInformers(client, factory, () => queue.moveAllToActiveOrBackoff(hasClaims)),
  ];
  const cycle = new SchedulingCycle(filterPlugins, {
    percentageOfNodesToScore: opts.percentageOfNodesToScore,
    nominatedPods: (node) => nominator.podsOn(node),
  });
  const binder = defaultBinder(client);
  const podEvent = (pod: Pod, type: "Normal" | "Warning", reason: string, message: string) =>
    recorder.event({ ...pod, apiVersion: "v1", kind: "Pod" }, type, reason, message);
  const preemption = opts.disablePreemption
    ? undefined
    : defaultPreemption({
        client,
        plugins: () => filterPlugins,
        nominatedPods: (node) => nominator.podsOn(node),
        clearNomination: async (pod) => {
          nominator.delete(objectKey(pod));
          await patchStatus(pod, { nominatedNodeName: null }).catch(() => {});
        },
        event: podEvent,
        disruptionBudgets: () => budgets?.list() ?? [],
      });

  let running = true;
  const binds = new Set<Promise<void>>();
  const maxBinds = opts.maxConcurrentBinds ?? 64;
  const responsible = (pod: Pod) => (pod.spec?.schedulerName || DEFAULT_SCHEDULER_NAME) === schedulerName;
  const assigned = (pod: Pod) => !!pod.spec?.nodeName;

  function patchStatus(pod: Pod, status: Record<string, unknown>) {
    const ref = inNamespace(pods, pod.metadata?.namespace);
    return client.patch(ref, pod.metadata?.name as string, { status }, "merge", undefined, "status");
  }

  function trackNomination(pod: Pod) {
    const nominated = pod.status?.nominatedNodeName;
    if (nominated) nominator.set(newPodInfo(pod, priorityOf(pod)), nominated);
    else nominator.delete(objectKey(pod));
  }

  /** Queues a pending pod (or refreshes it in the queue); gated pods wait outside it until their gates go. */
  function enqueue(pod: Pod) {
    if (pod.spec?.schedulingGates?.length) {
      queue.delete(pod);
      void reportGated(pod);
      return;
    }
    trackNomination(pod);
    queue.update(pod);
  }

  async function reportGated(pod: Pod) {
    const existing = pod.status?.conditions?.find((c) => c.type === "PodScheduled");
    if (existing?.reason === "SchedulingGated") return;
    const condition = {
      type: "PodScheduled",
      status: "False",
      reason: "SchedulingGated",
      message: "Scheduling is blocked due to non-empty scheduling gates",
      lastTransitionTime: new Date().toISOString(),
    };
    const conditions = [...(pod.status?.conditions ?? []).filter((c) => c.type !== "PodScheduled"), condition];
    await patchStatus(pod, { conditions }).catch(() => {});
  }

  podInformer.addEventHandler({
    add(pod) {
      if (assigned(pod)) {
        cache.addPod(pod);
        // A new pod can satisfy pending pods' required pod affinity.
        queue.moveAllToActiveOrBackoff(
          (p) => !!p.spec?.affinity?.podAffinity?.requiredDuringSchedulingIgnoredDuringExecution,
        );
      } else if (responsible(pod) && !isTerminal(pod) && !pod.metadata?.deletionTimestamp) enqueue(pod);
    },
    update(oldPod, pod) {
      if (assigned(pod)) {
        if (!assigned(oldPod)) {
          queue.delete(pod);
          nominator.delete(objectKey(pod));
        }
        cache.updatePod(pod);
        if (isTerminal(pod) && !isTerminal(oldPod)) queue.moveAllToActiveOrBackoff();
      } else if (responsible(pod)) {
        if (pod.metadata?.deletionTimestamp || isTerminal(pod)) queue.delete(pod);
        else enqueue(pod);
      }
    },
    delete(pod) {
      nominator.delete(objectKey(pod));
      if (assigned(pod)) {
        cache.removePod(pod);
        queue.moveAllToActiveOrBackoff();
      } else queue.delete(pod);
    },
  });
  nodeInformer.addEventHandler({
    add(node) {
      cache.addNode(node);
      queue.moveAllToActiveOrBackoff();
    },
    update(oldNode, node) {
      cache.updateNode(node);
      if (schedulingRelevant(oldNode) !== schedulingRelevant(node)) queue.moveAllToActiveOrBackoff();
    },
    delete(node) {
      cache.removeNode(node);
    },
  });

  async function recordFailure(qp: QueuedPod, podInfo: PodInfo, message: string, nominatedNodeName?: string) {
    const pod = podInfo.pod;
    podEvent(pod, "Warning", "FailedScheduling", message);
    const conditions = [...(pod.status?.conditions ?? [])];
    const i = conditions.findIndex((c) => c.type === "PodScheduled");
    const existing = conditions[i];
    const nominationChanged = nominatedNodeName !== undefined && nominatedNodeName !== pod.status?.nominatedNodeName;
    if (
      existing?.status === "False" &&
      existing.reason === "Unschedulable" &&
      existing.message === message &&
      !nominationChanged
    )
      return;
    const condition: core.PodCondition = {
      type: "PodScheduled",
      status: "False",
      reason: "Unschedulable",
      message,
      lastProbeTime: null as unknown as string,
      lastTransitionTime: existing?.status === "False" ? existing.lastTransitionTime : new Date().toISOString(),
    };
    if (i >= 0) conditions[i] = condition;
    else conditions.push(condition);
    const status: Record<string, unknown> = { conditions };
    if (nominationChanged) status.nominatedNodeName = nominatedNodeName;
    await patchStatus(pod, status).catch((err) => {
      if (!isApiError(err, 404)) log.debug(`updating status of ${qp.key}: ${err}`);
    });
  }

  async function bind(qp: QueuedPod, podInfo: PodInfo, nodeName: string, state: CycleState) {
    const pod = podInfo.pod;
    try {
      for (const p of filterPlugins) await p.preBind?.(state, pod, nodeName);
      await binder.bind?.(pod, nodeName);
      podEvent(pod, "Normal", "Scheduled", `Successfully assigned ${qp.key} to ${nodeName}`);
    } catch (err) {
      cache.forget(qp.key);
      queue.moveAllToActiveOrBackoff();
      if (isApiError(err, 404, 409)) return; // deleted meanwhile, or bound by someone else
      log.warn(`binding ${qp.key} to ${nodeName} failed: ${(err as Error).message}`);
      podEvent(pod, "Warning", "FailedScheduling", `Binding rejected: ${(err as Error).message}`);
      queue.addBackoff(qp);
    }
  }

  async function scheduleOne(qp: QueuedPod) {
    const latest = podInformer.get(qp.key);
    if (!latest || assigned(latest) || latest.metadata?.deletionTimestamp || cache.isAssumed(qp.key)) {
      queue.done(qp.key);
      return;
    }
    const podCycle = queue.schedulingCycle;
    const podInfo = newPodInfo(latest, priorityOf(latest));
    const result = cycle.run(podInfo, cache.snapshot());
    if (result.kind === "scheduled") {
      cache.assume(podInfo, result.nodeName);
      nominator.delete(qp.key);
      queue.done(qp.key);
      const p = bind(qp, podInfo, result.nodeName, result.state).finally(() => binds.delete(p));
      binds.add(p);
      if (binds.size >= maxBinds) await Promise.race(binds);
      return;
    }
    if (result.kind === "noNodes") {
      queue.addUnschedulable(qp, podCycle);
      void recordFailure(qp, podInfo, "no nodes available to schedule pods");
      return;
    }
    const diagnosis: Diagnosis = result.diagnosis;
    let nominated: string | undefined;
    if (preemption?.postFilter) {
      const post = await preemption.postFilter(result.state, latest, diagnosis);
      if (post.nominatedNodeName) {
        nominated = post.nominatedNodeName;
        nominator.set(podInfo, nominated);
      } else if (post.status.reasons.length) diagnosis.postFilterMsg = post.status.reasons.join(", ");
    }
    queue.addUnschedulable(qp, podCycle);
    void recordFailure(qp, podInfo, fitErrorMessage(diagnosis), nominated);
  }

  async function loop() {
    let lastYield = Date.now();
    while (running) {
      const qp = await queue.pop();
      if (!qp) break;
      try {
        await scheduleOne(qp);
      } catch (err) {
        log.error(`scheduling ${qp.key}: ${(err as Error).stack ?? err}`);
        queue.addUnschedulable(qp, queue.schedulingCycle);
      }
      // Let watch events and binding answers in between long runs of synchronous cycles.
      if (Date.now() - lastYield > 10) {
        await new Promise((resolve) => setImmediate(resolve));
        lastYield = Date.now();
      }
    }
  }

  const ready = (async () => {
    const serves = (ref: ResourceRef) =>
      client.list(ref, { limit: 1 }).then(
        () => true,
        () => false,
      );
    const [served, pdbServed] = await Promise.all([serves(priorityclasses), serves(poddisruptionbudgets)]);
    if (pdbServed) budgets = factory.informer<policy.PodDisruptionBudget>(poddisruptionbudgets);
    if (served) {
      // Priorities must be known before the first pod is cached, ordered or preempts.
      const classInformer = factory.informer(priorityclasses);
      classInformer.start();
      await classInformer.waitForSync();
      classes = classInformer;
    }
    factory.start();
    await Promise.all([podInformer.waitForSync(), nodeInformer.waitForSync()]);
    if (!running) return;
    void loop();
  })();
  ready.catch((err) => log.error(`scheduler failed to start: ${err}`));

  return {
    ready,
    async stop() {
      running = false;
      queue.close();
      if (!opts.informers) factory.stop();
      // Let bindings and events already sent finish, so nothing writes after the caller stops the server.
      await Promise.allSettled([...binds]);
      if (!opts.recorder) await recorder.flush();
    },
    queueCounts: () => queue.counts(),
  };
}

/** The parts of a Node that filters read; heartbeats and other status churn do not requeue pods. */
function schedulingRelevant(node: Node): string {
  return JSON.stringify([
    node.metadata?.labels,
    node.spec?.taints,
    node.spec?.unschedulable,
    node.status?.allocatable,
    (node.status?.conditions ?? []).map((c) => [c.type, c.status]),
  ]);
}
