// The files in examples/ are what users copy first: each must work as written against a real server.
import { expect, test } from "bun:test";
import { resolve } from "node:path";
import { resolveFlags } from "../src/cli/config.ts";
import { serverFlags } from "../src/cli/flags.ts";
import { useK3lite, waitFor } from "./harness.ts";

const EXAMPLES = resolve(import.meta.dir, "..", "examples");
const k = useK3lite();

async function ok(...args: string[]) {
  const r = await k.kubectl(args);
  expect({ args, stderr: r.stderr, code: r.code }).toEqual({ args, stderr: r.stderr, code: 0 });
  return r.stdout;
}

test("config.yaml is accepted as the server's config file", () => {
  const v = resolveFlags(serverFlags, ["--config", `${EXAMPLES}/config.yaml`], {});
  expect(v["tls-san"]).toEqual(["pi.home.arpa", "192.168.1.10"]);
  expect(v["write-kubeconfig-mode"]).toBe("0644");
});

test("web.yaml applies and creates its Deployment, Service and ConfigMap", async () => {
  expect(await ok("apply", "-f", `${EXAMPLES}/web.yaml`)).toContain("deployment.apps/web created");
  expect(await ok("get", "service", "web", "-o", "jsonpath={.spec.clusterIP}")).toMatch(/^10\.43\./);
  await waitFor(
    async () =>
      (await k.kubectl(["get", "pods", "-l", "app=web", "-o", "name"])).stdout.trim().split("\n").length === 2,
    30_000,
    "2 pods",
  );
});

test("the CRD example is established and serves its object with printer columns and defaults", async () => {
  await ok("apply", "-f", `${EXAMPLES}/crontab-crd.yaml`);
  await ok("wait", "--for=condition=Established", "crd/crontabs.stable.example.com", "--timeout=30s");
  await waitFor(
    async () => (await k.kubectl(["apply", "-f", `${EXAMPLES}/crontab.yaml`])).code === 0,
    30_000,
    "crontab applied",
  );
  const table = await ok("get", "crontabs");
  expect(table).toMatch(/NAME\s+SCHEDULE\s+REPLICAS\s+AGE/);
  expect(table).toMatch(/nightly\s+0 3 \* \* \*\s+1\s+/);
});

test("registries.yaml gives the mirror and its credentials to the agent", async () => {
  const { loadRegistries, registryAuth } = await import("../src/agent/cri/registries.ts");
  const registries = loadRegistries(`${EXAMPLES}/registries.yaml`);
  expect(registries.mirrors?.["docker.io"]?.endpoint).toEqual(["http://192.168.1.20:5000"]);
  expect(registryAuth(registries, "192.168.1.20:5000")).toMatchObject({ username: "homelab", password: "change-me" });
});
