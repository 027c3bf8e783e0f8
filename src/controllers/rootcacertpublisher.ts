// RootCACertPublisher: the kube-root-ca.crt ConfigMap (the cluster CA that pods use to trust the API server,
// mounted by projected service-account volumes) in every namespace, kept equal to the current CA.

import type { ConfigMap } from "../api/types.ts";
import { configmaps } from "../client/refs.ts";
import type { Controller, ControllerContext } from "./framework.ts";
import { startPerNamespaceController } from "./pernamespace.ts";

export const ROOT_CA_CONFIGMAP = "kube-root-ca.crt";
const DESCRIPTION =
  "Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.";

export function startRootCACertPublisher(ctx: ControllerContext, rootCA: string): Controller {
  return startPerNamespaceController<ConfigMap>(ctx, {
    controllerName: "root-ca-cert-publisher",
    ref: configmaps,
    name: ROOT_CA_CONFIGMAP,
    desired: (namespace) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: ROOT_CA_CONFIGMAP, namespace, annotations: { "kubernetes.io/description": DESCRIPTION } },
      data: { "ca.crt": rootCA },
    }),
    repair: (existing, desired) =>
      existing.data?.["ca.crt"] === rootCA && Object.keys(existing.data ?? {}).length === 1
        ? undefined
        : { ...existing, data: desired.data },
  });
}
