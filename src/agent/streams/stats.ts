// Resource usage for `kubectl top` (the kubelet's Summary API, /stats/summary): node CPU and memory from /proc,
// per-container CPU and memory from CRI ListContainerStats, summed per pod. The API server's metrics.k8s.io
// reads this from every node (CPU in nanocores, memory as working set bytes, as metrics-server does).

import { readFileSync } from "node:fs";
import type { CriClient } from "../cri/client.ts";
import { CONTAINER_NAME, POD_NAME, POD_NAMESPACE, POD_UID } from "../pods/labels.ts";

interface CpuStats {
  time: string;
  usageNanoCores: number;
  usageCoreNanoSeconds: number;
}
interface MemoryStats {
  time: string;
  workingSetBytes: number;
  usageBytes?: number;
  availableBytes?: number;
}

export interface Summary {
  node: { nodeName: string; startTime?: string; cpu: CpuStats; memory: MemoryStats };
  pods: {
    podRef: { name: string; namespace: string; uid: string };
    containers: { name: string; cpu: CpuStats; memory: MemoryStats }[];
    cpu: CpuStats;
    memory: MemoryStats;
  }[];
}

const HZ = 100; // USER_HZ on Linux

let lastNode: { at: number; busyNs: number } | undefined;

function nodeCpu(now: string): CpuStats {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const busyNs = ((total - idle) * 1e9) / HZ;
  const at = Date.now();
  let usageNanoCores = 0;
  if (lastNode && at > lastNode.at)
    usageNanoCores = Math.round(((busyNs - lastNode.busyNs) / (at - lastNode.at)) * 1e3);
  lastNode = { at, busyNs };
  return { time: now, usageNanoCores: Math.max(0, usageNanoCores), usageCoreNanoSeconds: Math.round(busyNs) };
}

function nodeMemory(now: string): MemoryStats {
  const info = readFileSync("/proc/meminfo", "utf8");
  const kb = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB$`, "m").exec(info)?.[1] ?? 0) * 1024;
  const total = kb("MemTotal");
  const available = kb("MemAvailable");
  return {
    time: now,
    workingSetBytes: total - available,
    usageBytes: total - kb("MemFree"),
    availableBytes: available,
  };
}

export async function statsSummary(cri: CriClient, nodeName: string): Promise<Summary> {
  const now = new Date().toISOString();
  const summary: Summary = { node: { nodeName, cpu: nodeCpu(now), memory: nodeMemory(now) }, pods: [] };
  const byPod = new Map<string, Summary["pods"][number]>();
  for (const s of await cri.listContainerStats()) {
    const l = s.attributes?.labels ?? {};
    const uid = l[POD_UID];
    if (!uid) continue;
    let pod = byPod.get(uid);
    if (!pod) {
      pod = {
        podRef: { name: l[POD_NAME] ?? "", namespace: l[POD_NAMESPACE] ?? "", uid },
        containers: [],
        cpu: { time: now, usageNanoCores: 0, usageCoreNanoSeconds: 0 },
        memory: { time: now, workingSetBytes: 0 },
      };
      byPod.set(uid, pod);
    }
    const cpu: CpuStats = {
      time: now,
      usageNanoCores: s.cpu?.usageNanoCores?.value ?? 0,
      usageCoreNanoSeconds: s.cpu?.usageCoreNanoSeconds?.value ?? 0,
    };
    const memory: MemoryStats = { time: now, workingSetBytes: s.memory?.workingSetBytes?.value ?? 0 };
    pod.containers.push({ name: l[CONTAINER_NAME] ?? s.attributes.metadata?.name ?? "", cpu, memory });
    pod.cpu.usageNanoCores += cpu.usageNanoCores;
    pod.cpu.usageCoreNanoSeconds += cpu.usageCoreNanoSeconds;
    pod.memory.workingSetBytes += memory.workingSetBytes;
  }
  summary.pods = [...byPod.values()];
  return summary;
}
