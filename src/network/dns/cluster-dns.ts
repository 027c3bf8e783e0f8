// Cluster DNS as the agent runs it (CoreDNS's role in k3s): Service and EndpointSlice informers feed the record
// lookup (namespaces too, so an empty namespace's name exists), and the DNS server answers on host:port. Until both informers have listed, cluster names get SERVFAIL
// (a resolver retries) rather than an NXDOMAIN that pods would cache.

import type { EndpointSlice, Namespace, Service } from "../../api/types.ts";
import { createInformerFactory, type InformerFactory } from "../../client/informer.ts";
import { endpointslices, namespaces, services } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import { sliceServiceKey } from "../endpoints.ts";
import type { ServiceCatalog } from "./catalog.ts";
import { createRecordLookup, type Lookup } from "./records.ts";
import { startDnsServer } from "./server.ts";
import { followHostUpstreams } from "./upstream.ts";

const SERVICE_INDEX = "service";
const NAMESPACE_INDEX = "namespace";

export interface ClusterDnsOptions {
  host: string;
  port: number;
  clusterDomain: string;
  /** Where other names go; default: the host's /etc/resolv.conf nameservers (re-read when it changes). */
  upstreams?: string[];
  /** Share informers with other components of the process (the service proxy watches the same collections). */
  informers?: InformerFactory;
}

export interface ClusterDns {
  port: number;
  /** Resolves once Services and EndpointSlices are listed (cluster names are answered from then on). */
  waitForSync(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

export async function startClusterDns(client: KubeClient, opts: ClusterDnsOptions): Promise<ClusterDns> {
  const factory = opts.informers ?? createInformerFactory(client);
  const serviceInformer = factory.informer<Service>(services, {
    indexers: { [NAMESPACE_INDEX]: (s) => (s.metadata?.namespace ? [s.metadata.namespace] : []) },
  });
  const sliceInformer = factory.informer<EndpointSlice>(endpointslices, {
    indexers: {
      [SERVICE_INDEX]: (s) => {
        const key = sliceServiceKey(s as EndpointSlice);
        return key ? [key] : [];
      },
    },
  });
  const namespaceInformer = factory.informer<Namespace>(namespaces);
  const catalog: ServiceCatalog = {
    service: (ns, name) => serviceInformer.getByName(ns, name),
    endpointSlices: (ns, name) => sliceInformer.byIndex(SERVICE_INDEX, `${ns}/${name}`),
    hasNamespace: (ns) =>
      !!namespaceInformer.getByName(undefined, ns) || serviceInformer.byIndex(NAMESPACE_INDEX, ns).length > 0,
    services: () => serviceInformer.list(),
  };
  const records = createRecordLookup(catalog, opts.clusterDomain);
  const synced = () => serviceInformer.hasSynced() && sliceInformer.hasSynced() && namespaceInformer.hasSynced();
  const lookup: Lookup = (question) => {
    const answer = records(question);
    if (answer && !synced()) return { rcode: "SERVFAIL", answers: [], authorities: [], additionals: [] };
    return answer;
  };
  // Never forward to ourselves: a host whose resolv.conf already names the cluster DNS IP would loop.
  const upstreams = opts.upstreams?.filter((u) => u !== opts.host) ?? followHostUpstreams(undefined, [opts.host]);
  factory.start();
  try {
    const server = await startDnsServer({
      host: opts.host,
      port: opts.port,
      lookup,
      upstreams,
      clusterDomain: opts.clusterDomain,
    });
    return {
      port: server.port,
      waitForSync: async (signal) => {
        await Promise.all([serviceInformer, sliceInformer, namespaceInformer].map((i) => i.waitForSync(signal)));
      },
      async stop() {
        if (!opts.informers) factory.stop();
        await server.close();
      },
    };
  } catch (err) {
    if (!opts.informers) factory.stop();
    throw err;
  }
}
