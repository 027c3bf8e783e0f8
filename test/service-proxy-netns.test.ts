// The service proxy against real iptables, isolated in network namespaces of its own: a "node" namespace gets the
// rules, a "backend" namespace serves HTTP on two endpoint addresses, a "client" namespace stands for the outside
// network. Services and EndpointSlices come from an in-memory API (the fake cluster) through startServiceProxy.
// The backend has no route to the client's network, so every answer proves the masquerade rules too.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EndpointSlice, Service } from "../src/api/types.ts";
import { createFakeCluster } from "../src/client/fake.ts";
import { endpointslices, inNamespace, services } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import { listNatChains, removeServiceRules } from "../src/network/proxy/iptables.ts";
import { type ServiceProxy, startServiceProxy } from "../src/network/proxy/service-proxy.ts";

const canRun = process.getuid?.() === 0 && Bun.which("ip") !== null && Bun.which("iptables-restore") !== null;
const id = Math.random().toString(36).slice(2, 8);
const NODE = `k3lite-proxy-${id}-n`;
const BACKEND = `k3lite-proxy-${id}-b`;
const CLIENT = `k3lite-proxy-${id}-c`;
const CLUSTER_CIDR = "10.42.0.0/16";
const CLUSTER_IP = "10.43.0.50";
const NODE_IP = "192.168.77.1";
const inNode = ["ip", "netns", "exec", NODE];

async function sh(argv: string[]): Promise<{ code: number; out: string }> {
  const proc = Bun.spawn(argv, { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { code, out: out + err };
}

async function must(...argv: string[]): Promise<void> {
  const res = await sh(argv);
  if (res.code !== 0) throw new Error(`${argv.join(" ")}: ${res.out}`);
}

/** GETs url from inside `ns` (curl options first); the body, or "" when nothing answered. */
async function get(ns: string, url: string, ...options: string[]): Promise<string> {
  const res = await sh(["ip", "netns", "exec", ns, "curl", "-s", "--max-time", "2", ...options, url]);
  return res.code === 0 ? res.out.trim() : "";
}

/** Which backends answer `url` from `ns` over `tries` new connections. */
async function backendsSeen(ns: string, url: string, tries = 30): Promise<Set<string>> {
  const seen = new Set<string>();
  for (let i = 0; i < tries; i++) seen.add(await get(ns, url));
  return seen;
}

const servers: ReturnType<typeof Bun.spawn>[] = [];
let webRoot = "";
let proxy: ServiceProxy | undefined;
const cluster = createFakeCluster();

function webService(): Service {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: { namespace: "default", name: "web" },
    spec: {
      type: "NodePort",
      clusterIP: CLUSTER_IP,
      ports: [{ name: "http", port: 80, targetPort: 8080, nodePort: 30080, protocol: "TCP" }],
    },
  };
}

function webSlice(ips: string[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: "default", name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true } })),
  };
}

describe.skipIf(!canRun)("service proxy in network namespaces", () => {
  beforeAll(async () => {
    for (const ns of [NODE, BACKEND, CLIENT]) {
      await must("ip", "netns", "add", ns);
      await must("ip", "-n", ns, "link", "set", "lo", "up");
    }
    // node <-> backend: the pod network side
    await must("ip", "-n", NODE, "link", "add", "vb", "type", "veth", "peer", "name", "eth0", "netns", BACKEND);
    await must("ip", "-n", NODE, "addr", "add", "10.42.1.1/24", "dev", "vb");
    await must("ip", "-n", NODE, "link", "set", "vb", "up");
    await must("ip", "-n", BACKEND, "addr", "add", "10.42.1.10/24", "dev", "eth0");
    await must("ip", "-n", BACKEND, "addr", "add", "10.42.1.11/24", "dev", "eth0");
    await must("ip", "-n", BACKEND, "link", "set", "eth0", "up");
    await must("ip", "-n", BACKEND, "route", "add", "10.43.0.0/16", "via", "10.42.1.1");
    // node <-> client: the node's own network; the node's default route points there, as a host's would
    await must("ip", "-n", NODE, "link", "add", "vc", "type", "veth", "peer", "name", "eth0", "netns", CLIENT);
    await must("ip", "-n", NODE, "addr", "add", `${NODE_IP}/24`, "dev", "vc");
    await must("ip", "-n", NODE, "link", "set", "vc", "up");
    await must("ip", "-n", NODE, "route", "add", "default", "via", "192.168.77.2");
    await must("ip", "-n", CLIENT, "addr", "add", "192.168.77.2/24", "dev", "eth0");
    await must("ip", "-n", CLIENT, "link", "set", "eth0", "up");
    await must("ip", "-n", CLIENT, "route", "add", "10.43.0.0/16", "via", NODE_IP);
    await must(...inNode, "sysctl", "-q", "-w", "net.ipv4.ip_forward=1");

    webRoot = mkdtempSync(join(tmpdir(), "k3lite-proxy-"));
    for (const [name, ip] of [
      ["a", "10.42.1.10"],
      ["b", "10.42.1.11"],
    ] as const) {
      const dir = join(webRoot, name);
      await must("mkdir", "-p", dir);
      writeFileSync(join(dir, "index.html"), `backend-${name}\n`);
      servers.push(
        Bun.spawn(["ip", "netns", "exec", BACKEND, "busybox", "httpd", "-f", "-p", `${ip}:8080`, "-h", dir], {
          stdout: "ignore",
          stderr: "ignore",
        }),
      );
    }
    await waitFor(async () => (await get(NODE, "http://10.42.1.11:8080/")) === "backend-b", "backends serving");
  });

  afterAll(async () => {
    await proxy?.stop();
    for (const server of servers) server.kill();
    await Promise.all(servers.map((s) => s.exited));
    for (const ns of [NODE, BACKEND, CLIENT]) await sh(["ip", "netns", "del", ns]);
    if (webRoot) rmSync(webRoot, { recursive: true, force: true });
  });

  test("a ClusterIP reaches every endpoint, from the node itself and routed through it", async () => {
    await cluster.client.create(inNamespace(services, "default"), webService());
    await cluster.client.create(inNamespace(endpointslices, "default"), webSlice(["10.42.1.10", "10.42.1.11"]));
    proxy = startServiceProxy(cluster.client, {
      clusterCidr: CLUSTER_CIDR,
      prefix: inNode,
      debounceMs: 20,
    });
    await proxy.synced();
    // from the node: OUTPUT, source 192.168.77.1 (outside the cluster CIDR), so masqueraded
    expect(await backendsSeen(NODE, `http://${CLUSTER_IP}/`)).toEqual(new Set(["backend-a", "backend-b"]));
    // from another machine: PREROUTING, forwarded, masqueraded
    expect(await backendsSeen(CLIENT, `http://${CLUSTER_IP}/`)).toEqual(new Set(["backend-a", "backend-b"]));
  });

  test("a NodePort answers on the node's address, from outside and from the node (also on localhost)", async () => {
    expect(await get(CLIENT, `http://${NODE_IP}:30080/`)).toMatch(/^backend-[ab]$/);
    expect(await get(NODE, `http://${NODE_IP}:30080/`)).toMatch(/^backend-[ab]$/);
    expect(await get(NODE, "http://127.0.0.1:30080/")).toMatch(/^backend-[ab]$/);
  });

  test("endpoint changes are followed, and unused chains deleted", async () => {
    const before = (await listNatChains({ prefix: inNode })).filter((c) => c.startsWith("K3LITE-SEP-"));
    expect(before).toHaveLength(2);
    await cluster.client.update(inNamespace(endpointslices, "default"), webSlice(["10.42.1.11"]));
    await waitFor(
      async () => (await listNatChains({ prefix: inNode })).filter((c) => c.startsWith("K3LITE-SEP-")).length === 1,
      "the removed endpoint's chain deleted",
    );
    expect(await backendsSeen(CLIENT, `http://${CLUSTER_IP}/`, 10)).toEqual(new Set(["backend-b"]));
  });

  test("a Service without endpoints gets no rules; deleting the Service removes its chains", async () => {
    await cluster.client.update(inNamespace(endpointslices, "default"), webSlice([]));
    await waitFor(
      async () => !(await listNatChains({ prefix: inNode })).some((c) => /^K3LITE-(SVC|SEP|EXT)-[A-Z2-7]{16}$/.test(c)),
      "the Service's chains deleted",
    );
    await cluster.client.update(inNamespace(endpointslices, "default"), webSlice(["10.42.1.10"]));
    await waitFor(async () => (await get(CLIENT, `http://${CLUSTER_IP}/`)) === "backend-a", "routed again");
    // Hairpin: the endpoint reaching itself through its Service (the reply must come back through the node).
    expect(await get(BACKEND, `http://${CLUSTER_IP}/`, "--interface", "10.42.1.10")).toBe("backend-a");
    await cluster.client.delete(inNamespace(services, "default"), "web");
    await waitFor(async () => (await get(NODE, `http://${CLUSTER_IP}/`)) === "", "no longer routed");
  });

  test("removeServiceRules leaves no trace", async () => {
    await proxy?.stop();
    proxy = undefined;
    await removeServiceRules({ prefix: inNode });
    const saved = (await sh([...inNode, "iptables-save"])).out;
    expect(saved).not.toContain("K3LITE");
    expect((await sh([...inNode, "sysctl", "-n", "net.ipv4.conf.all.route_localnet"])).out.trim()).toBe("0");
  });
});
