// The node agent (k3lite's kubelet): brings up the container runtime (our own supervised containerd, or an
// existing CRI socket) and the pod network, registers the Node, keeps its Lease and status fresh, and runs
// the pods bound to it. Reaches the cluster only through the KubeClient it is given.

import { join } from "node:path";
import { consola } from "consola";
import type { Node } from "../api/types.ts";
import type { KubeClient } from "../client/types.ts";
import { setupPodNetwork } from "../network/cni.ts";
import { startClusterNetwork } from "./cluster-network.ts";
import type { AgentConfig } from "./config.ts";
import { type CriClient, createCriClient } from "./cri/client.ts";
import { type Containerd, startContainerd, waitForRuntime } from "./cri/containerd.ts";
import { importStartupImages } from "./cri/images.ts";
import { loadRegistries, writeRegistryHosts } from "./cri/registries.ts";
import { startLeaseHeartbeat } from "./node/lease.ts";
import { defaultRouteIp } from "./node/machine.ts";
import { nodeStatus, registerNode, statusChanged, updateNodeStatus } from "./node/node.ts";
import { agentPaths } from "./paths.ts";
import { startPodManager } from "./pods/manager.ts";
import { type StreamingServer, startStreamingServer } from "./streams/server.ts";

const log = consola.withTag("agent");
const STATUS_CHECK_MS = 10_000;
const STATUS_REPORT_MS = 60_000;

export interface Agent {
  /** The CRI endpoint in use. */
  runtimeEndpoint: string;
  /** The port of the logs/exec/port-forward endpoint. */
  kubeletPort: number;
  /**
   * Stops syncing pods, leaving containerd and the pods running: a clean-up that removes every sandbox through
   * CRI calls this first, or the still-running agent recreates what it removes (and those pods outlive it).
   */
  stopPods(): Promise<void>;
  /** Stops the agent and its containerd; pods keep running (a restarted agent adopts them). */
  stop(): Promise<void>;
}

/** The images on the node, largest first (at most 50, as the kubelet reports), for the scheduler's ImageLocality. */
async function nodeImages(cri: CriClient): Promise<{ names: string[]; sizeBytes: number }[]> {
  return (await cri.listImages())
    .map((i) => ({ names: [...i.repoDigests, ...i.repoTags], sizeBytes: i.size }))
    .filter((i) => i.names.length > 0)
    .sort((a, b) => b.sizeBytes - a.sizeBytes)
    .slice(0, 50);
}

async function runtimeHealth(
  cri: CriClient,
): Promise<{ runtimeReady: boolean; networkReady: boolean; runtimeMessage?: string }> {
  try {
    const { conditions } = await cri.status();
    const get = (t: string) => conditions.find((c) => c.type === t);
    const rt = get("RuntimeReady");
    const net = get("NetworkReady");
    return {
      runtimeReady: rt?.status === true,
      networkReady: net?.status === true,
      runtimeMessage:
        [rt, net]
          .filter((c) => c && !c.status)
          .map((c) => `${c?.type}=false reason:${c?.reason} message:${c?.message}`)
          .join("; ") || undefined,
    };
  } catch (err) {
    return {
      runtimeReady: false,
      networkReady: false,
      runtimeMessage: `container runtime is down: ${(err as Error).message}`,
    };
  }
}

export interface AgentClients {
  /** Reads certificate Secrets for Ingress HTTPS (the server's own node; the node identity may not read Secrets). */
  ingressSecrets?: KubeClient;
}

export async function startAgent(config: AgentConfig, client: KubeClient, clients: AgentClients = {}): Promise<Agent> {
  const started = Date.now();
  const paths = agentPaths(config.dataDir);
  const nodeIp = config.nodeIp ?? defaultRouteIp() ?? "127.0.0.1";
  const cleanups: (() => Promise<void> | void)[] = [];
  const registries = loadRegistries(config.privateRegistry);
  const stop = async () => {
    for (const fn of cleanups.reverse())
      await Promise.resolve(fn()).catch((err) => log.warn(`stopping: ${err.message}`));
  };

  try {
    let endpoint: string;
    let podCidr: string | undefined;
    const network = (cidr?: string) =>
      setupPodNetwork({
        confDir: paths.cniConfDir,
        ipamDataDir: join(paths.agentDir, "cni/networks"),
        clusterCidr: config.clusterCidr,
        podCidr: cidr,
        bridge: config.podNetworkBridge,
      });
    if (config.containerRuntimeEndpoint) {
      endpoint = config.containerRuntimeEndpoint.startsWith("unix:")
        ? config.containerRuntimeEndpoint
        : `unix://${config.containerRuntimeEndpoint}`;
      await waitForRuntime(undefined, endpoint, 30_000);
    } else {
      podCidr = (await network()).podCidr;
      writeRegistryHosts(paths.containerdCertsDir, registries);
      const containerd: Containerd = await startContainerd(paths, { ociRuntime: config.ociRuntime });
      cleanups.push(() => containerd.stop());
      endpoint = containerd.endpoint;
      await importStartupImages(paths.containerdSocket, paths.imagesDir);
    }
    const cri = createCriClient(endpoint);
    cleanups.push(() => cri.close());
    const v = await cri.version();
    const runtimeVersion = `${v.runtimeName}://${v.runtimeVersion}`;
    log.info(`container runtime ${runtimeVersion} ready at ${endpoint} after ${Date.now() - started} ms`);

    const streaming: StreamingServer = await startStreamingServer({
      cri,
      runtimeEndpoint: endpoint,
      paths,
      port: config.kubeletPort ?? 10250,
      nodeName: config.nodeName,
      nodeIp,
      clientCa: config.clientCaPem,
    });
    cleanups.push(() => streaming.stop());

    let node: Node = await registerNode(
      client,
      { ...config, nodeIp, kubeletPort: streaming.port },
      nodeStatus({ ...config, nodeIp, kubeletPort: streaming.port }, runtimeVersion, await runtimeHealth(cri)),
    );
    log.info(`node ${config.nodeName} registered after ${Date.now() - started} ms`);
    const lease = startLeaseHeartbeat(client, () => node);
    cleanups.push(() => lease.stop());

    // Node status: measured every 10 s, written on change or every 60 s.
    let lastReport = Date.now();
    let statusBusy = false;
    const statusTick = async () => {
      if (statusBusy) return;
      statusBusy = true;
      try {
        const next = nodeStatus(
          { ...config, nodeIp, kubeletPort: streaming.port },
          runtimeVersion,
          await runtimeHealth(cri),
          node,
        );
        next.images = await nodeImages(cri).catch(() => next.images);
        if (statusChanged(node.status, next) || Date.now() - lastReport >= STATUS_REPORT_MS) {
          node = await updateNodeStatus(client, config.nodeName, next);
          lastReport = Date.now();
        }
        const assigned = node.spec?.podCIDR;
        if (assigned && assigned !== podCidr && !config.containerRuntimeEndpoint) {
          log.info(`node pod CIDR is ${assigned}`);
          podCidr = (await network(assigned)).podCidr;
        }
      } catch (err) {
        log.warn(`updating node status: ${(err as Error).message}`);
      } finally {
        statusBusy = false;
      }
    };
    const statusTimer = setInterval(statusTick, STATUS_CHECK_MS);
    cleanups.push(() => clearInterval(statusTimer));

    for (const stopPart of await startClusterNetwork(client, config, clients.ingressSecrets)) cleanups.push(stopPart);
    const podManager = startPodManager({ client, cri, config, paths, nodeIp: () => nodeIp, registries });
    cleanups.push(() => podManager.stop());
    streaming.setPodLister(() => podManager.informer.list());
    return { runtimeEndpoint: endpoint, kubeletPort: streaming.port, stopPods: () => podManager.stop(), stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
