// Older and newer kubectl releases (the google-cloud-sdk ships 1.27–1.33 beside /usr/bin/kubectl) against one real
// `k3lite server`: each negotiates discovery differently (1.27–1.29 ask for aggregated discovery v2beta1, 1.30+
// for v2), and every command below depends on that discovery being understood.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type CommandResult, runKubectl, useK3lite } from "./harness.ts";

const SDK_BIN = "/usr/lib/google-cloud-sdk/bin";
const VERSIONS = ["1.27", "1.29", "1.31", "1.33"];

const k = useK3lite();
let cacheRoot: string;
beforeAll(async () => {
  cacheRoot = await mkdtemp(join(tmpdir(), "k3lite-kubectl-cache-"));
});
afterAll(async () => {
  if (cacheRoot) await rm(cacheRoot, { recursive: true, force: true });
});

/** Runs one kubectl release with its own discovery cache, so no release reads what another one cached. */
const kubectl = (version: string, args: string[], stdin?: string): Promise<CommandResult> =>
  runKubectl(k.kubeconfig, ["--cache-dir", join(cacheRoot, version), ...args], {
    stdin,
    kubectl: join(SDK_BIN, `kubectl.${version}`),
  });

async function ok(version: string, args: string[], stdin?: string): Promise<string> {
  const r = await kubectl(version, args, stdin);
  if (r.code !== 0) throw new Error(`kubectl.${version} ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const manifest = (name: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  labels: {app: ${name}}
spec:
  replicas: 1
  selector:
    matchLabels: {app: ${name}}
  template:
    metadata:
      labels: {app: ${name}}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
`;

for (const version of VERSIONS) {
  const present = existsSync(join(SDK_BIN, `kubectl.${version}`));
  const slug = version.replace(".", "-");
  describe.skipIf(!present)(`kubectl ${version}`, () => {
    test("get nodes", async () => {
      const r = await kubectl(version, ["get", "nodes"]);
      expect(r.stderr).not.toContain("error");
      expect(r.code).toBe(0);
    }, 60_000);

    test("create deployment, then get -o wide", async () => {
      await ok(version, ["create", "deployment", `made-${slug}`, "--image=nginx:1.25"]);
      const wide = await ok(version, ["get", "deploy", `made-${slug}`, "-o", "wide"]);
      expect(wide).toContain(`made-${slug}`);
      expect(wide).toContain("nginx:1.25");
      expect(wide).toContain("SELECTOR");
    }, 60_000);

    test("apply -f a manifest", async () => {
      expect(await ok(version, ["apply", "-f", "-"], manifest(`applied-${slug}`))).toContain(
        `deployment.apps/applied-${slug} created`,
      );
      expect(await ok(version, ["apply", "-f", "-"], manifest(`applied-${slug}`))).toContain(
        `deployment.apps/applied-${slug} unchanged`,
      );
    }, 60_000);

    test("explain deployment.spec", async () => {
      const text = await ok(version, ["explain", "deployment.spec"]);
      expect(text).toContain("Deployment");
      expect(text).toContain("replicas");
    }, 60_000);
  });
}
