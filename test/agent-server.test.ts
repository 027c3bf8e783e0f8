// The node agent against a real `k3lite server` process (test/harness.ts) over HTTPS with the admin
// kubeconfig, checked with the real kubectl: the node registers Ready, a pod bound to it runs and reports its
// IP, and deleting it completes (the agent confirms the graceful deletion).

import { expect, test } from "bun:test";
import {
  busyboxContainer,
  kubectlUntil,
  kubectlWaitRunning,
  podOnNode,
  portForward,
  useServerWithAgent,
  waitHttp,
} from "./agent-fixture.ts";
import { waitFor } from "./harness.ts";

const { k3 } = useServerWithAgent("agent-e2e");

const kubectlJson = async (args: string[]) => {
  const r = await k3.kubectl([...args, "-o", "json"]);
  if (r.code !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout);
};

test("kubectl sees the node Ready with the runtime version", async () => {
  const node = await waitFor(
    async () => {
      const n = await kubectlJson(["get", "node", "agent-e2e"]);
      return n.status?.conditions?.find((c: { type: string }) => c.type === "Ready")?.status === "True" && n;
    },
    30_000,
    "node Ready",
  );
  expect(node.status.nodeInfo.containerRuntimeVersion).toStartWith("containerd://");
  expect(node.metadata.labels["kubernetes.io/os"]).toBe("linux");
}, 60_000);

test("kubectl logs, exec (with stdin), cp and port-forward through the API server to the agent", async () => {
  const manifest = podOnNode("agent-e2e", "e2e-streams", [
    busyboxContainer("web", ["sh", "-c", "echo started; echo page > /tmp/index.html; exec httpd -f -p 8080 -h /tmp"]),
  ]);
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) })).code).toBe(0);
  await kubectlWaitRunning(k3, "e2e-streams");

  const logs = await kubectlUntil(k3, ["logs", "e2e-streams"], /started/, 20_000);
  expect(logs).toBe("started\n");
  const host = await k3.kubectl(["exec", "e2e-streams", "--", "cat", "/etc/hostname"]);
  expect(host.stdout).toBe("e2e-streams\n");
  const echo = await k3.kubectl(["exec", "-i", "e2e-streams", "--", "sh", "-c", "cat"], { stdin: "round-trip\n" });
  expect(echo.stdout).toBe("round-trip\n");

  const pf = await portForward(["port-forward", "pod/e2e-streams", ":8080"], { KUBECONFIG: k3.kubeconfig });
  try {
    // httpd may not listen yet when the pod turns Running: poll through the forward until it answers.
    expect(await waitHttp(`http://127.0.0.1:${pf.port}/index.html`, "page through port-forward")).toBe("page\n");
  } finally {
    await pf.stop();
  }
}, 180_000);

test("a pod bound to the node runs, gets an IP, and is deleted gracefully", async () => {
  const manifest = podOnNode(
    "agent-e2e",
    "e2e-web",
    [busyboxContainer("web", ["sh", "-c", "echo ok > /tmp/i; exec httpd -f -p 80 -h /tmp"])],
    { terminationGracePeriodSeconds: 1 },
  );
  const created = await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(manifest) });
  expect(created.stderr).toBe("");
  const pod = await kubectlWaitRunning(k3, "e2e-web");
  // Running means the container started, not that httpd listens yet: poll until it answers.
  const body = await waitHttp(`http://${pod.status?.podIP}/i`, "httpd answering");
  expect(body).toBe("ok\n");
  const del = await k3.kubectl(["delete", "pod", "e2e-web", "--timeout=30s"]);
  expect(del.code).toBe(0);
  const gone = await k3.kubectl(["get", "pod", "e2e-web"]);
  expect(gone.stderr).toContain("NotFound");
}, 180_000);
