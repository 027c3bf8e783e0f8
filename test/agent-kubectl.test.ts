// Real kubectl against the agent's streaming endpoints: a small stand-in API server (discovery, pod GET from the
// in-memory API, and pods/log|exec|attach|portforward relayed with src/agent/streams/kubelet-proxy.ts, as the
// real API server must) in front of the agent on real containerd. Covers kubectl logs (--tail, --timestamps,
// -f), exec (with stdin), cp both ways and port-forward.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  fetchFromKubelet,
  type KubeletTarget,
  kubeletPath,
  proxyUpgradeToKubelet,
} from "../src/agent/streams/kubelet-proxy.ts";
import type { FakeCluster } from "../src/client/fake.ts";
import { inNamespace, pods } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import {
  type AgentFixture,
  apiServerClientCert,
  busyboxContainer,
  podOnNode,
  portForward,
  startFakeClusterAgent,
  waitPodRunning,
} from "./agent-fixture.ts";
import { KUBECTL, runKubectl } from "./harness.ts";

let node: AgentFixture & { fake: FakeCluster };
let fake: FakeCluster;
let api: Server;
let kubeconfig: string;
let target: KubeletTarget;

const RESOURCES = {
  kind: "APIResourceList",
  apiVersion: "v1",
  groupVersion: "v1",
  resources: [
    { name: "pods", singularName: "pod", namespaced: true, kind: "Pod", verbs: ["get", "list"], shortNames: ["po"] },
    { name: "pods/attach", singularName: "", namespaced: true, kind: "PodAttachOptions", verbs: ["create", "get"] },
    { name: "pods/exec", singularName: "", namespaced: true, kind: "PodExecOptions", verbs: ["create", "get"] },
    { name: "pods/log", singularName: "", namespaced: true, kind: "Pod", verbs: ["get"] },
    {
      name: "pods/portforward",
      singularName: "",
      namespaced: true,
      kind: "PodPortForwardOptions",
      verbs: ["create", "get"],
    },
  ],
};

const SUB = /^\/api\/v1\/namespaces\/([^/]+)\/pods\/([^/]+)(?:\/(log|exec|attach|portforward))?$/;

// kubectl names the container itself (the pod's first) when the user does not.
function defaultContainer(_ns: string, _name: string): string {
  return "";
}

async function onRequest(req: IncomingMessage, res: ServerResponse) {
  const url = new URL(req.url ?? "/", "http://api");
  const json = (code: number, body: unknown) => {
    res.writeHead(code, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
  };
  if (url.pathname === "/api") return json(200, { kind: "APIVersions", versions: ["v1"] });
  if (url.pathname === "/apis") return json(200, { kind: "APIGroupList", apiVersion: "v1", groups: [] });
  if (url.pathname === "/api/v1") return json(200, RESOURCES);
  const m = SUB.exec(url.pathname);
  if (m?.[3] === "log") {
    const [ns, name] = [m[1] as string, m[2] as string];
    const container = url.searchParams.get("container") ?? defaultContainer(ns, name);
    const upstream = await fetchFromKubelet(target, kubeletPath("log", ns, name, container, url.searchParams));
    res.writeHead(upstream.status, { "content-type": "text/plain" });
    const reader = (upstream.body as ReadableStream<Uint8Array>).getReader();
    req.on("close", () => reader.cancel().catch(() => {}));
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
    return res.end();
  }
  if (m && !m[3]) {
    const upstream = await fake.transport(new Request(`http://kubernetes.invalid${url.pathname}`));
    res.writeHead(upstream.status, { "content-type": "application/json" });
    return res.end(await upstream.text());
  }
  json(404, {
    kind: "Status",
    apiVersion: "v1",
    status: "Failure",
    code: 404,
    reason: "NotFound",
    message: url.pathname,
  });
}

beforeAll(async () => {
  const dataDir = mkdtempSync(join(tmpdir(), "k3lite-agent-kubectl-"));
  const cert = await apiServerClientCert(dataDir);
  node = await startFakeClusterAgent({ nodeName: "kubectl-node", dataDir });
  fake = node.fake;
  target = { host: "127.0.0.1", port: node.agent.kubeletPort, certPem: cert.certPem, keyPem: cert.keyPem };

  api = createServer((req, res) => {
    onRequest(req, res).catch((err) => {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(err));
    });
  });
  api.on("upgrade", (req: IncomingMessage, socket, head: Buffer) => {
    const url = new URL(req.url ?? "/", "http://api");
    const m = SUB.exec(url.pathname);
    const sub = m?.[3] as "exec" | "attach" | "portforward" | undefined;
    if (!m || !sub || sub === ("log" as string)) return socket.destroy();
    const container = url.searchParams.get("container") ?? defaultContainer(m[1] as string, m[2] as string);
    proxyUpgradeToKubelet(
      req.headers,
      socket,
      head,
      target,
      kubeletPath(sub, m[1] as string, m[2] as string, container, url.searchParams),
    );
  });
  await new Promise<void>((r) => api.listen(0, "127.0.0.1", () => r()));
  const port = (api.address() as AddressInfo).port;
  kubeconfig = join(dataDir, "kubeconfig.yaml");
  writeFileSync(
    kubeconfig,
    `apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: http://127.0.0.1:${port}\ncontexts:\n- name: c\n  context:\n    cluster: c\n    user: u\n    namespace: default\ncurrent-context: c\nusers:\n- name: u\n  user: {}\n`,
  );

  const command = "echo line-1; echo line-2; mkdir -p /www; echo page > /www/index.html; exec httpd -f -p 8080 -h /www";
  await fake.client.create(
    inNamespace(pods, "default"),
    podOnNode(node.config.nodeName, "web", [busyboxContainer("httpd", ["sh", "-c", command])]),
  );
  await waitPodRunning(fake.client, "web");
}, 90_000);

afterAll(async () => {
  api?.close();
  await node?.cleanup();
}, 60_000);

const kubectl = (args: string[], stdin?: string) => runKubectl(kubeconfig, args, { stdin });

test("kubectl logs, with --tail and --timestamps", async () => {
  const all = await waitFor(
    async () => {
      const r = await kubectl(["logs", "web"]);
      return r.stdout.includes("line-2") ? r : undefined;
    },
    "logs",
    20_000,
    100,
  );
  expect(all?.stdout).toBe("line-1\nline-2\n");
  expect((await kubectl(["logs", "web", "--tail=1"])).stdout).toBe("line-2\n");
  expect((await kubectl(["logs", "web", "--timestamps", "--tail=1"])).stdout).toMatch(/^\S+Z line-2\n$/);
}, 60_000);

test("kubectl exec, one-shot and with stdin; exit codes pass through", async () => {
  const host = await kubectl(["exec", "web", "--", "cat", "/etc/hostname"]);
  expect(host.stderr).toBe("");
  expect(host.stdout).toBe("web\n");
  const echo = await kubectl(["exec", "-i", "web", "--", "sh", "-c", "cat > /tmp/in; cat /tmp/in"], "from-stdin\n");
  expect(echo.stdout).toBe("from-stdin\n");
  const fail = await kubectl(["exec", "web", "--", "sh", "-c", "exit 7"]);
  expect(fail.code).toBe(7);
}, 60_000);

test("kubectl exec -it gets a terminal in the container", async () => {
  // `script` gives kubectl the terminal it needs for -t.
  const cmd = `${KUBECTL} --kubeconfig ${kubeconfig} exec -it web -- sh -c 'tty; echo tty-$((40+2))'`;
  const p = Bun.spawn(["script", "-qec", cmd, "/dev/null"], { stdin: "pipe", stdout: "pipe", stderr: "pipe" });
  const out = await new Response(p.stdout).text();
  await p.exited;
  expect(out).toContain("/dev/pts/");
  expect(out).toContain("tty-42");
}, 60_000);

test("kubectl attach reaches the container's stdin and stdout", async () => {
  await fake.client.create(
    inNamespace(pods, "default"),
    podOnNode(node.config.nodeName, "echo", [
      busyboxContainer("c", ["sh", "-c", "while read l; do echo got-$l; done"], { stdin: true }),
    ]),
  );
  await waitPodRunning(fake.client, "echo");
  const p = Bun.spawn([KUBECTL, "--kubeconfig", kubeconfig, "attach", "-i", "echo"], {
    stdin: "pipe",
    stdout: "pipe",
    stderr: "pipe",
  });
  try {
    const reader = (p.stdout as ReadableStream<Uint8Array>).getReader();
    let out = "";
    await waitFor(
      async () => {
        p.stdin?.write("ping\n");
        p.stdin?.flush();
        const { value, done } = await reader.read();
        if (done) throw new Error(`attach ended: ${await new Response(p.stderr).text()}`);
        out += new TextDecoder().decode(value);
        return out.includes("got-ping");
      },
      "attached echo",
      20_000,
      10,
    );
  } finally {
    p.kill();
    await p.exited;
  }
}, 60_000);

test("kubectl cp both ways", async () => {
  const local = join(node.config.dataDir, "upload.txt");
  writeFileSync(local, "uploaded\n");
  const up = await kubectl(["cp", local, "web:/tmp/upload.txt"]);
  expect(up.stderr).toBe("");
  expect((await kubectl(["exec", "web", "--", "cat", "/tmp/upload.txt"])).stdout).toBe("uploaded\n");
  const back = join(node.config.dataDir, "download.txt");
  const down = await kubectl(["cp", "web:/www/index.html", back]);
  expect(down.code).toBe(0);
  expect(readFileSync(back, "utf8")).toBe("page\n");
}, 60_000);

test("kubectl port-forward serves the pod's port locally", async () => {
  const pf = await portForward(["--kubeconfig", kubeconfig, "port-forward", "pod/web", ":8080"]);
  try {
    for (let i = 0; i < 3; i++)
      expect(await (await fetch(`http://127.0.0.1:${pf.port}/index.html`)).text()).toBe("page\n");
  } finally {
    await pf.stop();
  }
}, 60_000);
