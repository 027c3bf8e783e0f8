// Service networking end to end, as a homelab user meets it: a real `k3lite server`, a joined agent on real
// containerd running the service proxy and cluster DNS (as `k3lite server`/`agent` do), a Service in front of an
// httpd pod. The Service's ClusterIP answers from the host, another pod reaches it by its DNS name, and a
// LoadBalancer Service answers on the node's address (ServiceLB, as in k3s), and an Ingress routes by host and path
// on the node's ingress port (Traefik's job in k3s).

import { afterAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { removeServiceRules } from "../src/network/proxy/iptables.ts";
import { busyboxContainer, kubectlWaitRunning, podOnNode, useServerWithAgent } from "./agent-fixture.ts";
import { freePort, waitFor } from "./harness.ts";

const NODE = "net-node";
const INGRESS_PORT = await freePort();
const INGRESS_HTTPS_PORT = await freePort();
const CLUSTER_DNS = "10.43.0.10";

const { k3 } = useServerWithAgent(
  NODE,
  async (k3) => {
    const page = "mkdir -p /www; echo svc-page > /www/index.html; exec httpd -f -p 8080 -h /www";
    const web = podOnNode(NODE, "web", [busyboxContainer("httpd", ["sh", "-c", page])], { labels: { app: "web" } });
    const client = podOnNode(NODE, "client", [busyboxContainer("sh", ["sleep", "3600"])]);
    const service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "web", namespace: "default" },
      spec: { selector: { app: "web" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
    };
    const manifest = { apiVersion: "v1", kind: "List", items: [web, client, service] };
    const applied = await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
    expect(applied.stderr).toBe("");
    await kubectlWaitRunning(k3, "web");
    await kubectlWaitRunning(k3, "client");
  },
  { clusterNetwork: true, ingressPort: INGRESS_PORT, ingressHttpsPort: INGRESS_HTTPS_PORT },
);

afterAll(async () => {
  // What the agent leaves for a restart to find (like kube-proxy): not wanted on the test machine afterwards.
  await removeServiceRules();
  Bun.spawnSync(["ip", "addr", "del", `${CLUSTER_DNS}/32`, "dev", "lo"]);
});

const clusterIp = async () => (await k3.kubectl(["get", "svc", "web", "-o", "jsonpath={.spec.clusterIP}"])).stdout;

test("the Service's ClusterIP answers from the node, routed to the pod", async () => {
  const ip = await clusterIp();
  expect(ip).toMatch(/^10\.43\.\d+\.\d+$/);
  const page = await waitFor(
    async () => {
      const res = await fetch(`http://${ip}/index.html`, { signal: AbortSignal.timeout(3000) });
      return res.ok ? await res.text() : undefined;
    },
    60_000,
    `http://${ip}/ through the service proxy`,
  );
  expect(page).toBe("svc-page\n");
});

test("a pod resolves the Service by name through cluster DNS and reaches it", async () => {
  const ip = await clusterIp();
  const exec = (cmd: string) => k3.kubectl(["exec", "client", "--", "sh", "-c", cmd]);
  const looked = await waitFor(
    async () => {
      const r = await exec("nslookup web.default.svc.cluster.local");
      return r.stdout.includes(ip) ? r.stdout : undefined;
    },
    30_000,
    "nslookup of the Service",
  );
  expect(looked).toContain(CLUSTER_DNS);
  // The short name works through the search path kubelet-style resolv.conf gives the pod.
  const page = await waitFor(
    async () => {
      // (Debian busybox-static's wget crashes with -T: the applet `timeout` bounds it instead.)
      const r = await exec("timeout 5 wget -q -O - http://web/index.html");
      return r.code === 0 ? r.stdout : undefined;
    },
    30_000,
    "wget http://web/ from a pod",
  );
  expect(page).toBe("svc-page\n");
  // Names that do not exist fail fast with NXDOMAIN, not a timeout.
  const missing = await exec("nslookup nothing-here.default.svc.cluster.local");
  expect(missing.code).not.toBe(0);
  expect(`${missing.stdout}${missing.stderr}`).toMatch(/NXDOMAIN|can't find/i);
});

test("a LoadBalancer Service gets the node's address (ServiceLB) and answers there", async () => {
  const service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "web-lb", namespace: "default" },
    spec: { type: "LoadBalancer", selector: { app: "web" }, ports: [{ port: 8081, targetPort: 8080 }] },
  };
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(service) })).code).toBe(0);
  const external = await waitFor(
    async () =>
      (await k3.kubectl(["get", "svc", "web-lb", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).stdout ||
      undefined,
    30_000,
    "the LoadBalancer's ingress IP",
  );
  const nodeIp = (
    await k3.kubectl(["get", "node", NODE, "-o", 'jsonpath={.status.addresses[?(@.type=="InternalIP")].address}'])
  ).stdout;
  expect(external).toBe(nodeIp);
  // kubectl shows it as the EXTERNAL-IP column, as with k3s.
  expect((await k3.kubectl(["get", "svc", "web-lb"])).stdout).toContain(nodeIp);
  const page = await waitFor(
    async () => {
      const res = await fetch(`http://${external}:8081/index.html`, { signal: AbortSignal.timeout(3000) });
      return res.ok ? await res.text() : undefined;
    },
    30_000,
    `http://${external}:8081/ through the load balancer`,
  );
  expect(page).toBe("svc-page\n");
});

test("an Ingress routes by host and path to the Service, and reports the node's address", async () => {
  const ingress = {
    apiVersion: "networking.k8s.io/v1",
    kind: "Ingress",
    metadata: { name: "web", namespace: "default" },
    spec: {
      rules: [
        {
          host: "web.example.test",
          http: {
            paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { name: "http" } } } }],
          },
        },
      ],
    },
  };
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(ingress) })).code).toBe(0);
  const get = (host: string) =>
    fetch(`http://127.0.0.1:${INGRESS_PORT}/index.html`, { headers: { host }, signal: AbortSignal.timeout(3000) });
  const page = await waitFor(
    async () => {
      const res = await get("web.example.test");
      return res.ok ? await res.text() : undefined;
    },
    30_000,
    "the page through the Ingress",
  );
  expect(page).toBe("svc-page\n");
  // Another host has no rule: Traefik's 404.
  expect((await get("other.example.test")).status).toBe(404);
  const address = await waitFor(
    async () =>
      (await k3.kubectl(["get", "ingress", "web", "-o", "jsonpath={.status.loadBalancer.ingress[0].ip}"])).stdout ||
      undefined,
    30_000,
    "the Ingress's address",
  );
  expect((await k3.kubectl(["get", "node", NODE, "-o", "jsonpath={.status.addresses[0].address}"])).stdout).toBe(
    address,
  );
});

test("over HTTPS, the Ingress's spec.tls Secret is served for its host (SNI)", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-ingress-tls-"));
  try {
    const [cert, key] = [join(dir, "tls.crt"), join(dir, "tls.key")];
    const openssl = Bun.spawnSync([
      "openssl",
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=secure.example.test",
      "-addext",
      "subjectAltName=DNS:secure.example.test",
      "-keyout",
      key,
      "-out",
      cert,
    ]);
    expect(openssl.exitCode).toBe(0);
    expect((await k3.kubectl(["create", "secret", "tls", "secure-tls", "--cert", cert, "--key", key])).code).toBe(0);
    const ingress = {
      apiVersion: "networking.k8s.io/v1",
      kind: "Ingress",
      metadata: { name: "secure", namespace: "default" },
      spec: {
        ingressClassName: "traefik",
        tls: [{ hosts: ["secure.example.test"], secretName: "secure-tls" }],
        rules: [
          {
            host: "secure.example.test",
            http: {
              paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }],
            },
          },
        ],
      },
    };
    expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(ingress) })).code).toBe(0);
    // curl checks the served certificate against the Secret's (the only CA it trusts) for that name.
    const page = await waitFor(
      async () => {
        // Not spawnSync: the agent (and so the ingress answering curl) runs in this test process.
        const curl = Bun.spawn([
          "curl",
          "-sf",
          "--max-time",
          "3",
          "--cacert",
          cert,
          "--resolve",
          `secure.example.test:${INGRESS_HTTPS_PORT}:127.0.0.1`,
          `https://secure.example.test:${INGRESS_HTTPS_PORT}/index.html`,
        ]);
        const [code, out] = await Promise.all([curl.exited, new Response(curl.stdout).text()]);
        return code === 0 ? out : undefined;
      },
      30_000,
      "the page over HTTPS with the Ingress's certificate",
    );
    expect(page).toBe("svc-page\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
