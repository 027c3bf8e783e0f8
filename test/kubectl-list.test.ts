// `kubectl create -f` of a `kind: List` (kubectl splits it and sends the items one by one): every item is created
// and `get -f` finds the same objects. Regression test for a reported "proto: cannot parse invalid
// wire-format data" from kubectl on such files.

import { expect, test } from "bun:test";
import { useK3lite } from "./harness.ts";

const k = useK3lite({ args: ["--config", "/dev/null"] });

const LIST = `apiVersion: v1
kind: List
items:
- {apiVersion: v1, kind: Namespace, metadata: {name: listed}}
- {apiVersion: v1, kind: ConfigMap, metadata: {name: c1, namespace: listed}, data: {a: b}}
- {apiVersion: apps/v1, kind: Deployment, metadata: {name: d1, namespace: listed}, spec: {selector: {matchLabels: {app: d1}}, template: {metadata: {labels: {app: d1}}, spec: {containers: [{name: c, image: busybox}]}}}}
- {apiVersion: v1, kind: Service, metadata: {name: s1, namespace: listed}, spec: {ports: [{port: 80}], selector: {app: d1}}}
- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r1, namespace: listed}, rules: [{apiGroups: [""], resources: [pods], verbs: [get]}]}
`;

test("kubectl create -f of a kind: List creates every item; get -f finds them", async () => {
  const created = await k.kubectl(["create", "-f", "-"], { stdin: LIST });
  expect(created.stderr).toBe("");
  expect(created.stdout.trim().split("\n")).toEqual([
    "namespace/listed created",
    "configmap/c1 created",
    "deployment.apps/d1 created",
    "service/s1 created",
    "role.rbac.authorization.k8s.io/r1 created",
  ]);
  const got = await k.kubectl(["get", "-f", "-", "-o", "name"], { stdin: LIST });
  expect(got.stdout.trim().split("\n")).toHaveLength(5);
  const again = await k.kubectl(["create", "-f", "-"], { stdin: LIST });
  expect(again.code).not.toBe(0);
  expect(again.stderr).toContain('configmaps "c1" already exists');
}, 60_000);
