// kubectl logs and exec through a real `k3lite server` process to a node agent on real containerd: the API
// server authenticates and authorizes them, finds the pod's node and relays to the agent's kubelet port.

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

const { k3 } = useServerWithAgent("streams-node");

test("kubectl logs and exec reach the pod through the API server", async () => {
  const command = "echo hello-from-pod; mkdir -p /www; echo page > /www/index.html; exec httpd -f -p 8080 -h /www";
  const pod = podOnNode("streams-node", "talker", [busyboxContainer("main", ["sh", "-c", command])], {
    terminationGracePeriodSeconds: 1,
  });
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(pod) })).code).toBe(0);
  await kubectlWaitRunning(k3, "talker");
  const logs = await kubectlUntil(k3, ["logs", "talker"], /hello-from-pod/, 20_000);
  expect(logs).toContain("hello-from-pod");
  const exec = await k3.kubectl(["exec", "talker", "--", "sh", "-c", "echo $((6*7))"]);
  expect(exec.stderr).toBe("");
  expect(exec.stdout.trim()).toBe("42");
  // ServiceAccount admission mounted a bound token, the cluster CA and the namespace for in-cluster clients.
  const sa = await k3.kubectl([
    "exec",
    "talker",
    "--",
    "sh",
    "-c",
    "cd /var/run/secrets/kubernetes.io/serviceaccount && cat namespace && head -c 2 token && grep -c BEGIN ca.crt",
  ]);
  // "default" (no newline), the token's first two characters (a JWT), the number of CA certificates.
  expect(sa.stdout.trim()).toMatch(/^defaultey[1-9]\d*$/);
  const denied = await k3.kubectl(["exec", "talker", "--as=nobody", "--", "true"]);
  expect(denied.stderr).toContain("forbidden");

  // port-forward: SPDY tunnelled in a WebSocket, relayed by the API server to the agent.
  const pf = await portForward(["port-forward", "pod/talker", ":8080"], { KUBECONFIG: k3.kubeconfig });
  try {
    expect(await waitHttp(`http://127.0.0.1:${pf.port}/index.html`, "port-forwarded page", 20_000)).toBe("page\n");
  } finally {
    await pf.stop();
  }
  await k3.kubectl(["delete", "pod", "talker", "--timeout=30s"]);
}, 120_000);
