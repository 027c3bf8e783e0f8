// Everything a pod worker needs, built once by the pod manager and shared by all workers.

import type { KubeClient } from "../../client/types.ts";
import type { AgentConfig } from "../config.ts";
import type { CriClient } from "../cri/client.ts";
import type { Registries } from "../cri/registries.ts";
import type { AgentPaths } from "../paths.ts";
import type { Backoff } from "./backoff.ts";
import type { EventRecorder } from "./events.ts";
import type { ProbeManager } from "./probes.ts";
import type { PodRuntime } from "./runtime.ts";
import type { StatusCache } from "./status-cache.ts";
import type { TokenSource } from "./tokens.ts";

export interface PodContext {
  cri: CriClient;
  client: KubeClient;
  config: AgentConfig;
  paths: AgentPaths;
  nodeIp: () => string;
  record: EventRecorder;
  probes: ProbeManager;
  tokens: TokenSource;
  restartBackoff: Backoff;
  pullBackoff: Backoff;
  /** KUBERNETES_SERVICE_* for pods (empty until the kubernetes Service is known). */
  serviceEnv: () => Record<string, string>;
  /** Pods (by uid) whose graceful termination is under way. */
  terminating: Set<string>;
  /** Containers whose liveness probe failed: the worker restarts them. */
  livenessFailed: Map<string, string>;
  /** registries.yaml: credentials for pulls no imagePullSecret covers. */
  registries: Registries;
  requeue(key: string, delayMs: number): void;
  /** The statuses this agent wrote last (compared with before writing again). */
  statuses: StatusCache;
  /** A sync read these container states: the relist (PLEG) need not sync the pod again for them. */
  observed(rt: PodRuntime): void;
}
