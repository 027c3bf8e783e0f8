// The Node's conditions from real measurements, with upstream's reasons and messages. Thresholds follow the
// kubelet's default hard eviction thresholds (memory.available < 100Mi, nodefs.available < 10%).

import type { core } from "../../api/types.ts";
import { diskAvailable, memoryAvailable, pidUsage } from "./machine.ts";

export interface NodeHealth {
  runtimeReady: boolean;
  networkReady: boolean;
  runtimeMessage?: string;
}

type Condition = core.NodeCondition;

function condition(type: string, pressure: boolean, reasons: [string, string, string, string]): Condition {
  const [trueReason, trueMessage, falseReason, falseMessage] = reasons;
  return {
    type,
    status: pressure ? "True" : "False",
    reason: pressure ? trueReason : falseReason,
    message: pressure ? trueMessage : falseMessage,
  };
}

/** Current conditions; lastTransitionTime is carried over from `previous` when the status did not change. */
export function nodeConditions(health: NodeHealth, dataDir: string, previous: Condition[] = []): Condition[] {
  const memory = memoryAvailable() < 100 * 2 ** 20;
  const disk = diskAvailable(dataDir);
  const diskPressure = disk.available / disk.capacity < 0.1;
  const pids = pidUsage();
  const pidPressure = pids.used > pids.max * 0.9;
  const ready = health.runtimeReady && health.networkReady;
  const now = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const conditions = [
    condition("MemoryPressure", memory, [
      "KubeletHasInsufficientMemory",
      "kubelet has insufficient memory available",
      "KubeletHasSufficientMemory",
      "kubelet has sufficient memory available",
    ]),
    condition("DiskPressure", diskPressure, [
      "KubeletHasDiskPressure",
      "kubelet has disk pressure",
      "KubeletHasNoDiskPressure",
      "kubelet has no disk pressure",
    ]),
    condition("PIDPressure", pidPressure, [
      "KubeletHasInsufficientPID",
      "kubelet has insufficient PID available",
      "KubeletHasSufficientPID",
      "kubelet has sufficient PID available",
    ]),
    {
      type: "Ready",
      status: ready ? "True" : "False",
      reason: ready ? "KubeletReady" : "KubeletNotReady",
      message: ready
        ? "kubelet is posting ready status"
        : (health.runtimeMessage ?? "container runtime network not ready"),
    },
  ];
  return conditions.map((c) => {
    const prev = previous.find((p) => p.type === c.type);
    const lastTransitionTime = prev && prev.status === c.status ? prev.lastTransitionTime : now;
    return { ...c, lastHeartbeatTime: now, lastTransitionTime };
  });
}
