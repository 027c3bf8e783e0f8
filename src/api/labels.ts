// Well-known labels that several components read and write, named once (upstream: k8s.io/api/discovery/v1).

/** On an EndpointSlice: the Service it belongs to. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
