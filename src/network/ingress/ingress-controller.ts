// The in-process ingress as a node runs it: Ingress, Service and EndpointSlice informers feed the route table,
// rebuilt lazily on the first request after any change, and the proxy serves it on host:port (80 on a node).
// With httpsPort (443), kubernetes.io/tls Secrets are watched too and Ingress spec.tls certificates served by SNI.

import type { EndpointSlice, networking, Secret, Service } from "../../api/types.ts";
import { createInformerFactory, type Informer, type InformerFactory } from "../../client/informer.ts";
import { endpointslices, ingresses, secrets, services } from "../../client/refs.ts";
import type { KubeClient } from "../../client/types.ts";
import { createDefaultCertificate } from "./default-cert.ts";
import { type IngressTlsOptions, startIngressProxy } from "./proxy.ts";
import { buildRouteTable, type RouteTable } from "./routes.ts";
import { buildTlsTable, certificateFor, type TlsTable } from "./tls-certs.ts";

/** Only certificate Secrets are watched: the ingress never needs to hold anyone's other secrets in memory. */
const TLS_SECRETS = "type=kubernetes.io/tls";

export interface IngressOptions {
  /** Default 0.0.0.0. */
  host?: string;
  port: number;
  /** Reads the certificate Secrets (default: the client given); it needs list/watch of Secrets. */
  secretsClient?: KubeClient;
  /** Also serve HTTPS here (443 on a node); needs list/watch of Secrets for Ingress certificates. */
  httpsPort?: number;
  /** Share informers with other components of the process (the service proxy and DNS watch Services too). */
  informers?: InformerFactory;
}

export interface Ingress {
  port: number;
  httpsPort?: number;
  /** Resolves once Ingresses, Services and EndpointSlices (and TLS Secrets, with HTTPS) are listed. */
  waitForSync(signal?: AbortSignal): Promise<void>;
  stop(): Promise<void>;
}

export async function startIngress(client: KubeClient, opts: IngressOptions): Promise<Ingress> {
  const factory = opts.informers ?? createInformerFactory(client);
  /** Factories this call made and must stop (not a shared one it was given). */
  const ownFactories: InformerFactory[] = opts.informers ? [] : [factory];
  const ingressInformer = factory.informer<networking.Ingress>(ingresses);
  const serviceInformer = factory.informer<Service>(services);
  const sliceInformer = factory.informer<EndpointSlice>(endpointslices);
  const informers: Informer[] = [ingressInformer, serviceInformer, sliceInformer];

  let table: RouteTable | undefined;
  const routes = () => {
    table ??= buildRouteTable(ingressInformer.list(), serviceInformer.list(), sliceInformer.list());
    return table;
  };

  let https: IngressTlsOptions | undefined;
  let tlsTable: TlsTable | undefined;
  if (opts.httpsPort !== undefined) {
    // Another identity may read them: its own factory (stopped with the rest below).
    const secretFactory = opts.secretsClient ? createInformerFactory(opts.secretsClient) : factory;
    if (secretFactory !== factory) ownFactories.push(secretFactory);
    const secretInformer = secretFactory.informer<Secret>(secrets, { fieldSelector: TLS_SECRETS });
    informers.push(secretInformer);
    const certificates = () => {
      tlsTable ??= buildTlsTable(ingressInformer.list(), secretInformer.list());
      return tlsTable;
    };
    https = {
      port: opts.httpsPort,
      defaultCertificate: await createDefaultCertificate(),
      certificate: (servername) => certificateFor(certificates(), servername),
    };
  }
  // Any change may move a route or a certificate: rebuild on the next request (bursts cost one rebuild).
  const invalidate = () => {
    table = undefined;
    tlsTable = undefined;
  };
  for (const informer of informers) {
    informer.addEventHandler({ add: invalidate, update: invalidate, delete: invalidate });
  }

  factory.start();
  for (const own of ownFactories) own.start();
  const stopFactories = () => {
    for (const own of ownFactories) own.stop();
  };
  try {
    const proxy = await startIngressProxy({ host: opts.host ?? "0.0.0.0", port: opts.port, routes, https });
    return {
      port: proxy.port,
      httpsPort: proxy.httpsPort,
      waitForSync: async (signal) => {
        await Promise.all(informers.map((i) => i.waitForSync(signal)));
      },
      async stop() {
        stopFactories();
        await proxy.close();
      },
    };
  } catch (err) {
    stopFactories();
    throw err;
  }
}
