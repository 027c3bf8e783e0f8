// Real kubectl against k3lite's own API server for what rides on the OpenAPI documents: explain,
// client-side apply (strategic merge from the v3 patch metadata), server-side apply, and strict field
// validation of built-in kinds (unknown fields named by path, as a real cluster does).

import { describe, expect, test } from "bun:test";
import { useTestServer } from "../src/apiserver/openapi/testing/kubectl.ts";

const kubectl = useTestServer();

const deployment = (image: string, extra = "") => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: ${image}
        ports: [{containerPort: 80}]
        env: [{name: A, value: "1"}]
        resources: {limits: {cpu: 500m, memory: 128Mi}}${extra}
`;

describe("kubectl and the OpenAPI documents of a real server", () => {
  test("explain", async () => {
    const r = await kubectl("explain", "deployment.spec.strategy");
    expect(r.err).toBe("");
    expect(r.out).toContain("FIELD: strategy <DeploymentStrategy>");
    expect(r.out).toContain("rollingUpdate\t<RollingUpdateDeployment>");
    expect(r.out).toContain("The deployment strategy to use to replace existing pods with new ones.");
    expect((await kubectl("explain", "pods.spec.containers")).out).toContain("FIELD: containers <[]Container>");
    // the two union types show their names, as upstream's v3 documents make kubectl do
    expect((await kubectl("explain", "deployment.spec.strategy.rollingUpdate")).out).toContain(
      "maxSurge\t<IntOrString>",
    );
    expect((await kubectl("explain", "pod.spec.containers.resources")).out).toContain("limits\t<map[string]Quantity>");
  });

  test("/openapi/v2 in protobuf, as kubectl's v2 readers (and kubectl 1.27/1.28 apply) want it", async () => {
    const r = await kubectl("explain", "--output=plaintext-openapiv2", "deployment.spec.strategy");
    expect(r.err).toBe("");
    expect(r.out).toContain("RESOURCE: strategy <Object>");
    expect(r.out).toContain("rollingUpdate\t<Object>");
  });

  test("default validation reads the v3 documents and leaves field validation to the server", async () => {
    const cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cm, namespace: default}\ndata: {a: b}\n";
    const r = await kubectl.withFile("create", cm, "-v=6");
    expect(r.out).toContain("configmap/cm created");
    expect(r.err).toMatch(/GET https:\/\/\S+\/openapi\/v3\/api\/v1\?hash=[0-9A-F]{128}\S* 200 OK/);
    expect(r.err).toMatch(
      /POST https:\/\/\S+\/api\/v1\/namespaces\/default\/configmaps\?fieldManager=kubectl-create&fieldValidation=Strict/,
    );
    expect(r.err).not.toContain("/openapi/v2");
  });

  test("client-side apply creates, then patches with strategic merge", async () => {
    const created = await kubectl.withFile("apply", deployment("nginx:1"));
    expect(created.err).toBe("");
    expect(created.out).toContain("deployment.apps/web created");
    // someone else adds an env var; a client-side apply must merge the container list by name, keeping it
    const patched = await kubectl("set", "env", "deployment/web", "B=2");
    expect(patched.err).toBe("");
    const configured = await kubectl.withFile("apply", deployment("nginx:2"));
    expect(configured.err).toBe("");
    expect(configured.out).toContain("deployment.apps/web configured");
    const got = JSON.parse((await kubectl("get", "deployment", "web", "-o", "json")).out);
    const container = got.spec.template.spec.containers[0];
    expect(container.image).toBe("nginx:2");
    expect(container.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "2" },
    ]);
  });

  test("server-side apply", async () => {
    const r = await kubectl.withFile("apply", deployment("nginx:3"), "--server-side", "--force-conflicts");
    expect(r.err).toBe("");
    expect(r.out).toContain("deployment.apps/web serverside-applied");
  });

  test("unknown fields of built-in kinds are refused under default (strict) validation", async () => {
    const r = await kubectl.withFile(
      "create",
      deployment("nginx:1", "\n        imagee: typo").replace("name: web\n  namespace", "name: typo\n  namespace"),
    );
    expect(r.code).not.toBe(0);
    expect(r.err).toContain('unknown field "spec.template.spec.containers[0].imagee"');
    const ignored = await kubectl.withFile(
      "create",
      deployment("nginx:1", "\n        imagee: typo").replace("name: web\n  namespace", "name: lax\n  namespace"),
      "--validate=false",
    );
    expect(ignored.err).toBe("");
    expect(ignored.out).toContain("deployment.apps/lax created");
  });
});
