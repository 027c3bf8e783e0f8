// What CRI knows about one pod right now: its sandboxes (newest first, with the latest one's status and IP)
// and every container it ran, grouped by name, newest first, with exit codes and times. The pod worker
// reconciles against this, so nothing here needs remembering across agent restarts.

import type { CriClient } from "../cri/client.ts";
import type { ContainerState, PodSandbox, PodSandboxStatus } from "../cri/types.ts";
import { CONTAINER_HASH, CONTAINER_NAME, POD_UID, TERMINATION_MESSAGE_PATH } from "./labels.ts";

export interface ContainerRecord {
  id: string;
  name: string;
  sandboxId: string;
  attempt: number;
  state: ContainerState;
  createdAt: number; // ns
  startedAt: number; // ns
  finishedAt: number; // ns
  exitCode: number;
  reason: string;
  message: string;
  image: string;
  imageRef: string;
  hash: string;
  logPath: string;
  terminationMessagePath: string;
}

export interface PodRuntime {
  sandboxes: PodSandbox[];
  /** The newest sandbox's status (undefined when there is none). */
  sandbox?: PodSandboxStatus;
  containers: Map<string, ContainerRecord[]>;
}

export async function podRuntime(cri: CriClient, uid: string): Promise<PodRuntime> {
  const [sandboxes, containers] = await Promise.all([
    cri.listPodSandbox({ labelSelector: { [POD_UID]: uid } }),
    containerRecords(cri, uid),
  ]);
  sandboxes.sort((a, b) => b.createdAt - a.createdAt);
  const newest = sandboxes[0];
  const sandbox = newest ? await cri.podSandboxStatus(newest.id).catch(() => undefined) : undefined;
  return { sandboxes, sandbox, containers };
}

/** `rt` after RunPodSandbox made `sandboxId`: one status call instead of listing everything again. */
export async function withNewSandbox(cri: CriClient, rt: PodRuntime, sandboxId: string): Promise<PodRuntime> {
  const sandbox = await cri.podSandboxStatus(sandboxId);
  const { network: _, ...listed } = sandbox;
  return { ...rt, sandboxes: [listed, ...rt.sandboxes], sandbox };
}

/** `rt` with its containers read again (after this sync started or stopped some; the sandbox is unchanged). */
export async function withContainers(cri: CriClient, rt: PodRuntime, uid: string): Promise<PodRuntime> {
  return { ...rt, containers: await containerRecords(cri, uid) };
}

async function containerRecords(cri: CriClient, uid: string): Promise<Map<string, ContainerRecord[]>> {
  const containers = await cri.listContainers({ labelSelector: { [POD_UID]: uid } });
  const records = await Promise.all(
    containers.map(async (c): Promise<ContainerRecord | undefined> => {
      const s = await cri.containerStatus(c.id).catch(() => undefined);
      if (!s) return undefined;
      return {
        id: c.id,
        name: c.labels[CONTAINER_NAME] ?? c.metadata.name,
        sandboxId: c.podSandboxId,
        attempt: c.metadata.attempt ?? 0,
        state: s.state,
        createdAt: s.createdAt,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
        exitCode: s.exitCode,
        reason: s.reason,
        message: s.message,
        image: s.image?.image ?? c.image?.image ?? "",
        imageRef: s.imageRef || c.imageRef,
        hash: c.annotations[CONTAINER_HASH] ?? "",
        logPath: s.logPath,
        terminationMessagePath: c.annotations[TERMINATION_MESSAGE_PATH] ?? "",
      };
    }),
  );
  const byName = new Map<string, ContainerRecord[]>();
  for (const r of records) {
    if (!r) continue;
    const list = byName.get(r.name) ?? [];
    list.push(r);
    byName.set(r.name, list);
  }
  for (const list of byName.values()) list.sort((a, b) => b.attempt - a.attempt || b.createdAt - a.createdAt);
  return byName;
}

/** The newest container of `name` in the current sandbox. */
export function currentContainer(rt: PodRuntime, name: string): ContainerRecord | undefined {
  const id = rt.sandbox?.id;
  return rt.containers.get(name)?.find((c) => c.sandboxId === id);
}

/** The restart count the next container of `name` gets: one more than the newest attempt (0 for the first). */
export function nextAttempt(rt: PodRuntime, name: string): number {
  const newest = rt.containers.get(name)?.[0];
  return newest ? newest.attempt + 1 : 0;
}

export const nsToIso = (ns: number) =>
  ns > 0 ? new Date(Math.floor(ns / 1e6)).toISOString().replace(/\.\d+Z$/, "Z") : undefined;
