// Real kubectl 1.32 against the OpenAPI routes (behind a stub API server: discovery + echoing creates):
// explain reads v3, apply/create pass default (strict) validation and hand field validation to the server.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
	type Kubectl,
	kubectlFor,
} from "../src/apiserver/openapi/testing/kubectl.ts";
import {
	type StubApiServer,
	startStubApiServer,
} from "../src/apiserver/openapi/testing/stub-apiserver.ts";

let server: StubApiServer;
let dir: string;
let kubectl: Kubectl;

beforeAll(async () => {
	server = await startStubApiServer();
	dir = mkdtempSync(join(tmpdir(), "k3lite-openapi-"));
	const kubeconfig = join(dir, "kubeconfig");
	writeFileSync(
		kubeconfig,
		`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server.url}"}}]
users: [{name: u, user: {}}]
contexts: [{name: c, context: {cluster: c, user: u}}]
current-context: c
`,
	);
	kubectl = kubectlFor(kubeconfig, dir);
});

afterAll(() => {
	server?.close();
	if (dir) rmSync(dir, { recursive: true, force: true });
});

const manifest = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: "25%"}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx
        ports: [{containerPort: 80}]
        resources: {limits: {cpu: 1, memory: 128Mi}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm, namespace: default}
data: {a: b}
`;

describe("kubectl with the OpenAPI documents", () => {
	test("explain deployment.spec.strategy", async () => {
		const r = await kubectl("explain", "deployment.spec.strategy");
		expect(r.err).toBe("");
		expect(r.out).toContain("FIELD: strategy <DeploymentStrategy>");
		expect(r.out).toContain("rollingUpdate\t<RollingUpdateDeployment>");
		expect(r.out).toContain(
			"The deployment strategy to use to replace existing pods with new ones.",
		);
	});

	test("explain pods.spec.containers and int-or-string / quantity fields", async () => {
		expect((await kubectl("explain", "pods.spec.containers")).out).toContain(
			"FIELD: containers <[]Container>",
		);
		expect(
			(await kubectl("explain", "deployment.spec.strategy.rollingUpdate")).out,
		).toContain("maxSurge\t<IntOrString>");
		expect(
			(await kubectl("explain", "pod.spec.containers.resources")).out,
		).toContain("limits\t<map[string]Quantity>");
	});

	test("apply and create with default validation send fieldValidation=Strict to the server", async () => {
		const applied = await kubectl.withFile("apply", manifest);
		expect(applied.err).toBe("");
		expect(applied.out).toContain("deployment.apps/web created");
		expect(applied.out).toContain("configmap/cm created");
		const created = await kubectl.withFile("create", manifest);
		expect(created.err).toBe("");
		expect(created.out).toContain("deployment.apps/web created");
		expect(
			server.requests.some(
				(r) =>
					r.startsWith("POST /apis/apps/v1/namespaces/default/deployments?") &&
					r.includes("fieldValidation=Strict"),
			),
		).toBe(true);
	});
});
