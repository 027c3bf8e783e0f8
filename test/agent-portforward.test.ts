// kubectl port-forward through a real `k3lite server` to a node agent on real containerd reaches what a container
// serves on 127.0.0.1 only (the agent connects to localhost inside the pod's network namespace, as upstream's
// runtime does); a port nothing listens on gives kubectl upstream's error and leaves the session usable.

import { expect, test } from "bun:test";
import { createCriClient } from "../src/agent/cri/client.ts";
import { createPodDialer, type PodDialer, type PodNetwork } from "../src/agent/streams/netns-dial.ts";
import { podPortForwardTarget } from "../src/agent/streams/portforward.ts";
import type { Pod } from "../src/api/types.ts";
import {
  busyboxContainer,
  kubectlWaitRunning,
  podOnNode,
  portForward,
  useServerWithAgent,
  waitHttp,
} from "./agent-fixture.ts";
import { KUBECTL, waitFor } from "./harness.ts";

const { k3, node } = useServerWithAgent("pf-node", async (k3) => {
  const command =
    "mkdir -p /www; echo loopback-page > /www/index.html; seq 1 100000 > /www/big; exec httpd -f -p 127.0.0.1:8080 -h /www";
  const pod = podOnNode("pf-node", "local-only", [busyboxContainer("main", ["sh", "-c", command])]);
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
  await kubectlWaitRunning(k3, "local-only");
});

const forward = (port: number) =>
  portForward(["port-forward", "pod/local-only", `:${port}`], { KUBECONFIG: k3.kubeconfig });

test("a server bound to 127.0.0.1 in the pod is served on the local port", async () => {
  const pf = await forward(8080);
  try {
    const url = `http://127.0.0.1:${pf.port}/index.html`;
    expect(await waitHttp(url, "page from the pod's loopback", 30_000)).toBe("loopback-page\n");
    // Each request is a new connection (a new stream pair, a new relay into the namespace).
    for (let i = 0; i < 3; i++) expect(await (await fetch(url)).text()).toBe("loopback-page\n");
  } finally {
    await pf.stop();
  }
}, 60_000);

test("the runtime names the sandbox's namespace; connections into it share one relay and lose no byte", async () => {
  // Relays of the sessions before this one go once their kubectl has gone.
  await waitFor(() => relaysRunning() === 0, 20_000, "earlier relays gone");
  const pod = JSON.parse((await k3.kubectl(["get", "pod", "local-only", "-o", "json"])).stdout) as Pod;
  const endpoint = node().agent.runtimeEndpoint;
  const cri = createCriClient(endpoint);
  const dialer = createPodDialer();
  try {
    const target = podPortForwardTarget(pod, cri, endpoint);
    const { network, name } = await target.resolve();
    expect(network).toEqual({ kind: "netns", path: expect.stringMatching(/\/netns\/cni-/) });
    expect(name).toMatch(/^[0-9a-f]{64}$/); // the sandbox ID, as upstream's errors name it
    const want = `${Array.from({ length: 100_000 }, (_, i) => i + 1).join("\n")}\n`;
    const bodies = await Promise.all([1, 2, 3].map(() => httpGet(dialer, network, "/big")));
    for (const body of bodies) expect(body).toBe(want);
    expect(relaysRunning()).toBe(1);
  } finally {
    dialer.close();
    cri.close();
  }
  await waitFor(() => relaysRunning() === 0, 20_000, "the relay gone with its dialer");
}, 60_000);

/** GET `path` from port 8080 of the pod over one PodConnection (HTTP/1.0: the server closes when done). */
function httpGet(dialer: PodDialer, network: PodNetwork, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const conn = dialer.dial(network, 8080, "local-only");
    const chunks: Buffer[] = [];
    conn.onData((d) => chunks.push(d));
    conn.onClose((error) => {
      if (error) return reject(new Error(error));
      const text = Buffer.concat(chunks).toString();
      resolve(text.slice(text.indexOf("\r\n\r\n") + 4));
    });
    conn.write(Buffer.from(`GET ${path} HTTP/1.0\r\nHost: pod\r\n\r\n`));
  });
}

/** `kubectl port-forward` keeping its stderr, where kubectl prints the errors the agent sends (the fixture drops it). */
async function forwardWithStderr(port: number) {
  const p = Bun.spawn([KUBECTL, "port-forward", "pod/local-only", `:${port}`], {
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, KUBECONFIG: k3.kubeconfig },
  });
  let stdout = "";
  let stderr = "";
  drain(p.stdout, (text) => {
    stdout += text;
  });
  drain(p.stderr, (text) => {
    stderr += text;
  });
  const stop = async () => {
    p.kill();
    await p.exited;
  };
  const local = await waitFor(
    () => /Forwarding from 127\.0\.0\.1:(\d+)/.exec(stdout)?.[1],
    20_000,
    "port-forward",
  ).catch(async (err) => {
    await stop();
    throw new Error(`${err.message}: ${stderr}`);
  });
  return { port: local, stderr: () => stderr, stop };
}

test("a port nothing listens on: kubectl prints upstream's error; the agent and later forwards are unharmed", async () => {
  const pf = await forwardWithStderr(9999);
  try {
    // Accepted locally by kubectl, then closed once the agent reports that nothing listens in the pod.
    const res = await fetch(`http://127.0.0.1:${pf.port}/`, { signal: AbortSignal.timeout(10_000) }).catch(
      (err: Error) => err,
    );
    expect(res).toBeInstanceOf(Error);
    await waitFor(() => pf.stderr().includes("connection refused"), 20_000, "kubectl's error").catch((err) => {
      throw new Error(`${err.message}; kubectl said: ${pf.stderr()}`);
    });
  } finally {
    await pf.stop();
  }
  expect(pf.stderr()).toContain("error forwarding port 9999 to pod ");
  expect(pf.stderr()).toContain("failed to connect to localhost:9999 inside namespace");
  expect(pf.stderr()).toContain("dial tcp4 127.0.0.1:9999: connect: connection refused");

  const again = await forward(8080);
  try {
    const page = await waitHttp(`http://127.0.0.1:${again.port}/index.html`, "page after a failed forward");
    expect(page).toBe("loopback-page\n");
  } finally {
    await again.stop();
  }
  // No relay into the pod outlives its connection.
  await waitFor(() => relaysRunning() === 0, 20_000, "no portforward-relay left running");
}, 60_000);

function drain(stream: ReadableStream<Uint8Array>, onText: (text: string) => void): void {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  void (async () => {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      onText(decoder.decode(value, { stream: true }));
    }
  })();
}

/** How many relays into pods this process (the agent runs in it) has running. */
function relaysRunning(): number {
  const ps = Bun.spawnSync(["pgrep", "-P", String(process.pid), "-f", "portforward-relay"], { stdout: "pipe" });
  return ps.stdout.toString().trim().split("\n").filter(Boolean).length;
}
