// Native sidecar containers (KEP-753): an init container with `restartPolicy: Always` starts in init order,
// lets the next init container start once it has *started*, keeps running beside the main containers and
// is stopped after them. These predicates are shared by the pod worker, status and termination.

import type { Container, Pod } from "../../api/types.ts";
import type { PodRuntime } from "./runtime.ts";

export function isSidecar(c: Container): boolean {
  return c.restartPolicy === "Always";
}

/** Names of the pod's sidecars, in init order. */
export function sidecarNames(pod: Pod): string[] {
  return (pod.spec?.initContainers ?? []).filter(isSidecar).map((c) => c.name);
}

/**
 * Whether any main container was created in the current sandbox: the pod is then initialized for good (as
 * upstream, which never re-runs init containers of a started pod), and only its sidecars are kept running.
 */
export function mainContainersCreated(pod: Pod, rt: PodRuntime): boolean {
  const id = rt.sandbox?.id;
  return (pod.spec?.containers ?? []).some((c) => rt.containers.get(c.name)?.some((r) => r.sandboxId === id));
}
