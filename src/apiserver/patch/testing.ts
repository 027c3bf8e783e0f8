// Fixtures shared by this folder's tests: a Deployment, the patch metadata upstream declares for it, and a
// helper catching the error a call throws.

import type { KubeObject } from "../../api/types.ts";
import { staticPatchMeta } from "./meta.ts";

const pod = "spec.template.spec";

/** Upstream's patch strategies for the Deployment fields the tests touch. */
export const deploymentMeta = staticPatchMeta({
  "metadata.finalizers": { strategy: "merge" },
  "spec.strategy": { strategy: "retainKeys" },
  [`${pod}.containers`]: { strategy: "merge", mergeKey: "name" },
  [`${pod}.initContainers`]: { strategy: "merge", mergeKey: "name" },
  [`${pod}.containers.env`]: { strategy: "merge", mergeKey: "name" },
  [`${pod}.containers.ports`]: { strategy: "merge", mergeKey: "containerPort" },
  [`${pod}.containers.volumeMounts`]: {
    strategy: "merge",
    mergeKey: "mountPath",
  },
  [`${pod}.volumes`]: { strategy: "merge,retainKeys", mergeKey: "name" },
  "status.conditions": { strategy: "merge", mergeKey: "type" },
});

export function deployment(): KubeObject {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "default",
      uid: "u1",
      resourceVersion: "5",
      labels: { app: "web" },
    },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: "web" } },
      strategy: {
        type: "RollingUpdate",
        rollingUpdate: { maxSurge: "25%", maxUnavailable: "25%" },
      },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: "nginx:1.25",
              ports: [{ containerPort: 80, protocol: "TCP" }],
              env: [
                { name: "A", value: "1" },
                { name: "B", value: "2" },
              ],
            },
            { name: "sidecar", image: "busybox", args: ["sleep", "1d"] },
          ],
        },
      },
    },
  };
}

/** The error `f` throws; fails the test when it throws nothing. */
export function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error("expected an error");
}

/**
 * A Deployment manifest as kubectl reads it (the integration tests in test/patch-*.test.ts): an nginx
 * container, optionally with extra lines under it (`env`) and a busybox sidecar after it.
 */
export function deploymentManifest(
  name: string,
  o: {
    replicas?: number;
    labels?: string;
    image?: string;
    env?: string;
    sidecar?: boolean;
  } = {},
): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: default
  labels: {app: ${name}${o.labels ?? ""}}
spec:
  replicas: ${o.replicas ?? 2}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: nginx
        image: ${o.image ?? "nginx:1.25"}
${o.env ?? ""}${o.sidecar ? "      - name: sidecar\n        image: busybox\n" : ""}`;
}
