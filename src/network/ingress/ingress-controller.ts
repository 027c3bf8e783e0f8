// The in-process ingress as a node runs it: Ingress, Service and EndpointSlice informers feed the route table,
// rebuilt lazily on the first request after any change, and the proxy serves it on host:port (80 on a node).

import type { EndpointSlice, networking, Service } from "../../api/types.ts";
import { createInformerFactory, type Informer, type InformerFactory } from "../../client/informer.ts";
import { endpointslices, ingresses, services } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import { startIngressProxy } from "./proxy.ts";
import { buildRouteTable, type RouteTable } from "./routes.ts";

export interface IngressOptions {
  /** Default 0.0.0.0. */
  host?: string;
  port: number;
  /** Share informers with other components of the process (the service proxy and DNS watch Services too). */
  informers?: InformerFactory;
}

export interface Ingress {
  port: number;
  /** Resolves once Ingresses, Services and EndpointSlices are listed. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

export async function startIngress(client: KubeClient, opts: IngressOptions): Promise<Ingress> {
  const factory = opts.informers ?? createInformerFactory(client);
  const ingressInformer = factory.informer<networking.Ingress>(ingresses);
  const serviceInformer = factory.informer<Service>(services);
  const sliceInformer = factory.informer<EndpointSlice>(endpointslices);
  const informers: Informer[] = [ingressInformer, serviceInformer, sliceInformer];

  let table: RouteTable | undefined;
  const invalidate = () => {
    table = undefined;
  };
  for (const informer of informers)
    informer.addEventHandler({ add: invalidate, update: invalidate, delete: invalidate });
  const routes = () => {
    table ??= buildRouteTable(ingressInformer.list(), serviceInformer.list(), sliceInformer.list());
    return table;
  };

  factory.start();
  try {
    const proxy = await startIngressProxy({ host: opts.host ?? "0.0.0.0", port: opts.port, routes });
    return {
      port: proxy.port,
      waitForSync: async (signal) => {
        await Promise.all(informers.map((i) => i.waitForSync(signal)));
      },
      async stop() {
        if (!opts.informers) factory.stop();
        await proxy.close();
      },
    };
  } catch (err) {
    if (!opts.informers) factory.stop();
    throw err;
  }
}
