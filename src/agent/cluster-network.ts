// The node's share of Service networking, started by the agent when the commands ask for it: Service IPs and
// NodePorts routed to endpoints (src/network/proxy, kube-proxy's job), cluster DNS answered on the --cluster-dns
// IP of this node (src/network/dns, CoreDNS's job), so a pod's resolv.conf and `http://web.default.svc` work, and
// Ingresses served over HTTP, and HTTPS when the agent may read certificate Secrets (src/network/ingress, Traefik's
// job). None of them stops the node from coming up: a failure is logged and the rest of the agent runs.

import { consola } from "consola";
import { createInformerFactory } from "../client/informer.ts";
import type { KubeClient } from "../client/types.ts";
import { startClusterDns } from "../network/dns/cluster-dns.ts";
import { startIngress } from "../network/ingress/ingress-controller.ts";
import { ensureLoopbackAddress } from "../network/local-address.ts";
import { startServiceProxy } from "../network/proxy/service-proxy.ts";
import type { AgentConfig } from "./config.ts";

const log = consola.withTag("agent");

/** Starts what `config` enables; returns the stops of what started. */
export async function startClusterNetwork(
  client: KubeClient,
  config: AgentConfig,
  /** Reads certificate Secrets: without it, Ingresses are served over HTTP only. */
  secretsClient?: KubeClient,
): Promise<(() => Promise<void>)[]> {
  // One watch per collection for all of them: Services and EndpointSlices are what each of them follows.
  const informers = createInformerFactory(client);
  const stops: (() => Promise<void>)[] = [async () => informers.stop()];
  if (config.serviceProxy) {
    const proxy = startServiceProxy(client, { clusterCidr: config.clusterCidr, nodeName: config.nodeName, informers });
    stops.push(() => proxy.stop());
  }
  if (config.clusterDnsServer) {
    try {
      // Pods send to the cluster DNS IP through their gateway, this node: with the IP on loopback it is delivered
      // here, to the server below, without a DNAT rule or a DNS pod.
      await ensureLoopbackAddress(config.clusterDns);
      const dns = await startClusterDns(client, {
        host: config.clusterDns,
        port: 53,
        clusterDomain: config.clusterDomain,
        informers,
      });
      stops.push(() => dns.stop());
    } catch (err) {
      log.warn(`cluster DNS is not served on ${config.clusterDns}:53: ${(err as Error).message}`);
    }
  }
  if (config.ingressPort !== undefined) {
    try {
      const httpsPort = secretsClient ? config.ingressHttpsPort : undefined;
      const ingress = await startIngress(client, { port: config.ingressPort, httpsPort, secretsClient, informers });
      stops.push(() => ingress.stop());
    } catch (err) {
      // Most often a web server of the machine's own already has port 80.
      log.warn(`Ingresses are not served on port ${config.ingressPort}: ${(err as Error).message}`);
    }
  }
  return stops;
}
