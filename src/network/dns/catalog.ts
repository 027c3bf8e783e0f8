// What cluster DNS reads about the cluster: Services by name and the EndpointSlices behind each. records.ts asks
// only this interface, so it is pure; cluster-dns.ts backs it with informers, tests with plain arrays.

import type { EndpointSlice, Service } from "../../api/types.ts";
import { sliceServiceKey } from "../endpoints.ts";

export interface ServiceCatalog {
  service(namespace: string, name: string): Service | undefined;
  /** The EndpointSlices labelled with the Service's name, in its namespace. */
  endpointSlices(namespace: string, service: string): EndpointSlice[];
  /** Whether the namespace exists (its `<ns>.svc.<domain>` name then exists, without records). */
  hasNamespace(namespace: string): boolean;
  /** Every Service, for reverse (PTR) lookups. */
  services(): Service[];
}

/** A catalog over fixed lists, for tests and one-off lookups. */
export function staticCatalog(services: Service[], slices: EndpointSlice[] = []): ServiceCatalog {
  return {
    service: (ns, name) => services.find((s) => s.metadata?.namespace === ns && s.metadata?.name === name),
    endpointSlices: (ns, name) => slices.filter((s) => sliceServiceKey(s) === `${ns}/${name}`),
    hasNamespace: (ns) => services.some((s) => s.metadata?.namespace === ns),
    services: () => services,
  };
}
