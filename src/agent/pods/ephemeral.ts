// Ephemeral containers (`kubectl debug`): each runs once in the pod's sandbox, never restarted, optionally in
// the PID namespace of a target container. These helpers are shared by the pod worker, status and termination.

import type { Container, core, Pod } from "../../api/types.ts";
import type { NamespaceOption } from "../cri/types.ts";
import { currentContainer, type PodRuntime } from "./runtime.ts";

export const ephemeralFieldPath = (name: string) => `spec.ephemeralContainers{${name}}`;

/** The container part of an ephemeral container (its extra field, the target, is the worker's business). */
export function asContainer(ec: core.EphemeralContainer): Container {
  const { targetContainerName: _, ...c } = ec;
  return c as Container;
}

export function ephemeralNames(pod: Pod): string[] {
  return (pod.spec?.ephemeralContainers ?? []).map((c) => c.name);
}

export interface EphemeralStart {
  container: Container;
  /** The running target's container ID, whose PID namespace it joins. */
  targetId?: string;
}

/**
 * The ephemeral containers to start now: never run before (in any sandbox — upstream never restarts them), and
 * whose target, if named, is running in the current sandbox (otherwise a later sync starts them).
 */
export function ephemeralToStart(pod: Pod, rt: PodRuntime): EphemeralStart[] {
  const out: EphemeralStart[] = [];
  for (const ec of pod.spec?.ephemeralContainers ?? []) {
    if (rt.containers.get(ec.name)?.length) continue;
    if (!ec.targetContainerName) {
      out.push({ container: asContainer(ec) });
      continue;
    }
    const target = currentContainer(rt, ec.targetContainerName);
    if (target?.state === "CONTAINER_RUNNING") out.push({ container: asContainer(ec), targetId: target.id });
  }
  return out;
}

/** CRI's way of sharing a target's process namespace (NamespaceMode TARGET with the target's ID). */
export function targetPidNamespace(ns: NamespaceOption | undefined, targetId: string): NamespaceOption {
  return { ...ns, pid: "TARGET", targetId };
}
