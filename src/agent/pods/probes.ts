// Startup, liveness and readiness probes, one worker per (container, probe) as in the kubelet's prober:
// waits initialDelaySeconds, runs every periodSeconds with timeoutSeconds, and flips its result after
// successThreshold/failureThreshold consecutive outcomes. Liveness and readiness wait for startup to succeed.
// A result change calls `onChange` so the pod worker updates Ready or restarts the container.

import type { Container } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import { runHandler } from "./handlers.ts";

export type ProbeKind = "startup" | "liveness" | "readiness";

interface Worker {
  podUid: string;
  containerId: string;
  result: boolean;
  timer?: ReturnType<typeof setTimeout>;
  stopped: boolean;
}

export interface ProbeChange {
  podUid: string;
  containerId: string;
  container: string;
  kind: ProbeKind;
  result: boolean;
  message: string;
}

export class ProbeManager {
  private workers = new Map<string, Worker>();

  constructor(
    private readonly cri: CriClient,
    private readonly onChange: (change: ProbeChange) => void,
  ) {}

  private key = (containerId: string, kind: ProbeKind) => `${containerId}/${kind}`;

  /** The current result; containers without that probe count as passing. */
  result(containerId: string, c: Container, kind: ProbeKind): boolean {
    if (!c[`${kind}Probe`]) return true;
    return this.workers.get(this.key(containerId, kind))?.result ?? kind === "liveness";
  }

  /** Starts the probes of a running container (no-op for those already running). */
  ensure(podUid: string, containerId: string, c: Container, podIp: () => string, startedAtMs: number): void {
    for (const kind of ["startup", "liveness", "readiness"] as ProbeKind[]) {
      const probe = c[`${kind}Probe`];
      const key = this.key(containerId, kind);
      if (!probe || this.workers.has(key)) continue;
      const w: Worker = { podUid, containerId, result: kind === "liveness", stopped: false };
      this.workers.set(key, w);
      const period = (probe.periodSeconds ?? 10) * 1000;
      const timeout = probe.timeoutSeconds ?? 1;
      const successThreshold = kind === "readiness" ? (probe.successThreshold ?? 1) : 1;
      const failureThreshold = probe.failureThreshold ?? 3;
      let successes = 0;
      let failures = 0;
      const run = async () => {
        if (w.stopped) return;
        const gated = kind !== "startup" && c.startupProbe && !this.result(containerId, c, "startup");
        if (!gated) {
          const res = await runHandler(probe, { cri: this.cri, containerId, container: c, podIp: podIp() }, timeout);
          if (w.stopped) return;
          if (res.ok) {
            successes++;
            failures = 0;
          } else {
            failures++;
            successes = 0;
          }
          const next = res.ok
            ? successes >= successThreshold
              ? true
              : w.result
            : failures >= failureThreshold
              ? false
              : w.result;
          // Startup probes stop once they succeed.
          if (next !== w.result || (kind === "liveness" && !next)) {
            w.result = next;
            this.onChange({ podUid, containerId, container: c.name, kind, result: next, message: res.message });
          }
          if (kind === "startup" && next) return;
        }
        w.timer = setTimeout(run, period);
      };
      const delay = Math.max(0, startedAtMs + (probe.initialDelaySeconds ?? 0) * 1000 - Date.now());
      w.timer = setTimeout(run, delay);
    }
  }

  /** Stops the probes of a pod's containers not in `keep` (they exited or were removed). */
  retainPod(podUid: string, keep: Set<string>): void {
    for (const [key, w] of this.workers) {
      if (w.podUid !== podUid || keep.has(w.containerId)) continue;
      this.stopWorker(key, w);
    }
  }

  private stopWorker(key: string, w: Worker): void {
    w.stopped = true;
    clearTimeout(w.timer);
    this.workers.delete(key);
  }

  stopAll(): void {
    for (const [key, w] of this.workers) this.stopWorker(key, w);
  }
}
