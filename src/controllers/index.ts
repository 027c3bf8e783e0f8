// Starts k3lite's controller manager: one shared informer factory, an event recorder, and every controller
// not disabled, whose workers begin once the informers have synced (src/cli/commands/server.ts starts it).

import { consola } from "consola";
import { createInformerFactory } from "../client/informer.ts";
import type { KubeClient } from "../client/types.ts";
import { type Clock, realClock } from "./clock.ts";
import { startCronJobController } from "./cronjob.ts";
import { startDaemonSetController } from "./daemonset.ts";
import { startDeploymentController } from "./deployment.ts";
import { startDisruptionController } from "./disruption.ts";
import { startEndpointsController } from "./endpoints.ts";
import { startEndpointSliceController } from "./endpointslice.ts";
import { startEphemeralVolumeController } from "./ephemeral.ts";
import { createEventRecorder } from "./events.ts";
import { type Controller, type ControllerContext, sharedInformerView } from "./framework.ts";
import { startGarbageCollector } from "./garbagecollector.ts";
import { startIngressStatusController } from "./ingressstatus.ts";
import { startJobController } from "./job.ts";
import { runWithLeaderElection } from "./leaderelection.ts";
import { startLocalPathProvisioner } from "./localpath.ts";
import { startNamespaceController } from "./namespace.ts";
import { startNodeIpamController } from "./nodeipam.ts";
import { type NodeLifecycleTimings, startNodeLifecycleController } from "./nodelifecycle.ts";
import { startPersistentVolumeController } from "./persistentvolume.ts";
import { metricsApiSource, startPodAutoscalerController } from "./podautoscaler.ts";
import { startPodGCController } from "./podgc.ts";
import { replicationControllerManager, startReplicaSetController } from "./replicaset.ts";
import { startResourceQuotaController } from "./resourcequota.ts";
import { startRootCACertPublisher } from "./rootcacertpublisher.ts";
import { startServiceAccountsController } from "./serviceaccounts.ts";
import { startServiceLBController } from "./servicelb.ts";
import { startStatefulSetController } from "./statefulset.ts";
import { startTTLAfterFinishedController } from "./ttlafterfinished.ts";

export interface ControllersOptions {
  clusterCidr: string;
  serviceCidr: string;
  /** Size of each node's podCIDR (default 24). */
  nodeCidrMaskSize?: number;
  clock?: Clock;
  /** Where the local-path provisioner keeps volumes (<dataDir>/storage). */
  dataDir?: string;
  /** PEM of the cluster CA, published as the kube-root-ca.crt ConfigMap in every namespace. */
  rootCA?: string;
  /** Controller names to leave off (e.g. "cronjob"), as --disable-controller would. */
  disable?: string[];
  /** Heartbeat grace, monitor period and default tolerationSeconds (tests shorten them). */
  nodeLifecycle?: NodeLifecycleTimings;
  /**
   * The client a controller writes with, given its ServiceAccount name (see CONTROLLER_SERVICE_ACCOUNTS);
   * default: `client` for all. Informers and events always use `client`.
   */
  clientFor?: (serviceAccount: string) => KubeClient;
  /** Run only while holding this Lease in kube-system (several servers on one datastore). */
  leaderElection?: { identity: string; lockName?: string };
  /** Workers per controller (default 2). */
  workers?: number;
}

export interface RunningControllers {
  /** Resolves when informers have synced and workers run. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

type Starter = (ctx: ControllerContext, opts: ControllersOptions) => Controller | undefined;

/**
 * The identity (kube-system ServiceAccount, bound to system:controller:<name>) each controller writes as, like
 * kube-controller-manager --use-service-account-credentials: least privilege per controller.
 */
export const CONTROLLER_SERVICE_ACCOUNTS: Record<string, string> = {
  replicaset: "replicaset-controller",
  replicationcontroller: "replication-controller",
  statefulset: "statefulset-controller",
  daemonset: "daemon-set-controller",
  "persistentvolume-binder": "persistent-volume-binder",
  "local-storage": "local-path-provisioner",
  "ephemeral-volume": "ephemeral-volume-controller",
  disruption: "disruption-controller",
  resourcequota: "resourcequota-controller",
  podgc: "pod-garbage-collector",
  deployment: "deployment-controller",
  garbagecollector: "generic-garbage-collector",
  job: "job-controller",
  cronjob: "cronjob-controller",
  "ttl-after-finished": "ttl-after-finished-controller",
  namespace: "namespace-controller",
  endpoints: "endpoint-controller",
  nodeipam: "node-controller",
  nodelifecycle: "node-controller",
  endpointslice: "endpointslice-controller",
  serviceaccount: "service-account-controller",
  "root-ca-cert-publisher": "root-ca-cert-publisher",
  servicelb: "service-lb-controller",
  ingress: "ingress-status-controller",
  horizontalpodautoscaling: "horizontal-pod-autoscaler",
};

/** Every controller by name, in the order they start. */
export const CONTROLLERS: Record<string, Starter> = {
  replicaset: (ctx) => startReplicaSetController(ctx),
  replicationcontroller: (ctx) => startReplicaSetController(ctx, replicationControllerManager),
  deployment: (ctx) => startDeploymentController(ctx),
  garbagecollector: (ctx) => startGarbageCollector(ctx),
  statefulset: (ctx) => startStatefulSetController(ctx),
  daemonset: (ctx) => startDaemonSetController(ctx),
  job: (ctx) => startJobController(ctx),
  cronjob: (ctx) => startCronJobController(ctx),
  "persistentvolume-binder": (ctx) => startPersistentVolumeController(ctx),
  "local-storage": (ctx, opts) => startLocalPathProvisioner(ctx, opts.dataDir),
  "ephemeral-volume": (ctx) => startEphemeralVolumeController(ctx),
  disruption: (ctx) => startDisruptionController(ctx),
  resourcequota: (ctx) => startResourceQuotaController(ctx),
  "ttl-after-finished": (ctx) => startTTLAfterFinishedController(ctx),
  namespace: (ctx) => startNamespaceController(ctx),
  endpoints: (ctx) => startEndpointsController(ctx),
  nodeipam: (ctx, opts) => startNodeIpamController(ctx, opts.clusterCidr, opts.nodeCidrMaskSize),
  nodelifecycle: (ctx, opts) => startNodeLifecycleController(ctx, opts.nodeLifecycle),
  podgc: (ctx) => startPodGCController(ctx),
  endpointslice: (ctx) => startEndpointSliceController(ctx),
  serviceaccount: (ctx) => startServiceAccountsController(ctx),
  "root-ca-cert-publisher": (ctx, opts) => (opts.rootCA ? startRootCACertPublisher(ctx, opts.rootCA) : undefined),
  // k3s's packaged load balancer; `--disable servicelb` leaves LoadBalancer Services Pending, as there.
  // Ports 80 and 443 are the Ingress's unless it is disabled (as Traefik's Service holds them in k3s).
  servicelb: (ctx, opts) =>
    startServiceLBController(ctx, opts.disable?.includes("ingress") ? [] : ["80/TCP", "443/TCP"]),
  // The status half of the Ingress the agents serve; `--disable traefik` leaves it off (src/cli/commands/server.ts).
  ingress: (ctx) => startIngressStatusController(ctx),
  // Scales Deployments, ReplicaSets and StatefulSets on the PodMetrics the server serves (metrics.k8s.io).
  horizontalpodautoscaling: (ctx) => startPodAutoscalerController(ctx, metricsApiSource(ctx.client)),
};

export function startControllers(client: KubeClient, opts: ControllersOptions): RunningControllers {
  if (!opts.leaderElection) return startAll(client, opts);
  let becameReady: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    becameReady = resolve;
  });
  const elector = runWithLeaderElection<RunningControllers>(
    client,
    {
      lockName: opts.leaderElection.lockName ?? "k3lite-controller-manager",
      identity: opts.leaderElection.identity,
      clock: opts.clock,
    },
    {
      onStartedLeading: () => {
        const running = startAll(client, opts);
        running.ready.then(becameReady);
        return running;
      },
      onStoppedLeading: (running) => running.stop(),
    },
  );
  return { ready, stop: () => elector.stop() };
}

/** Starts every enabled controller over a fresh informer factory (a new leader term starts from lists). */
function startAll(client: KubeClient, opts: ControllersOptions): RunningControllers {
  const clock = opts.clock ?? realClock;
  const factory = createInformerFactory(client);
  const recorder = createEventRecorder(client, "k3lite-controller-manager", clock);
  const ctx: ControllerContext = {
    client,
    clock,
    recorder,
    informer: (ref) => sharedInformerView(factory.informer(ref)),
  };
  const disabled = new Set(opts.disable ?? []);
  const controllers = Object.entries(CONTROLLERS)
    .filter(([name]) => !disabled.has(name))
    .map(([name, start]) => {
      const account = CONTROLLER_SERVICE_ACCOUNTS[name];
      return start(opts.clientFor && account ? { ...ctx, client: opts.clientFor(account) } : ctx, opts);
    })
    .filter((c): c is Controller => !!c);
  const abort = new AbortController();
  factory.start();
  const ready = factory
    .waitForSync(abort.signal)
    .then(() => {
      for (const c of controllers) c.run(opts.workers ?? 2);
      consola.debug(`controllers running: ${controllers.map((c) => c.name).join(", ")}`);
    })
    .catch((err) => {
      if (!abort.signal.aborted) throw err;
    });
  return {
    ready,
    async stop() {
      abort.abort();
      factory.stop();
      await Promise.all(controllers.map((c) => c.stop()));
      await recorder.flush();
    },
  };
}
