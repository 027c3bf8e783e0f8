// `kubectl autoscale` end to end: a real `k3lite server` (scheduler, controllers, metrics.k8s.io) and a joined
// agent on real containerd. A Deployment whose pod burns CPU far above its request is scaled up by the
// HorizontalPodAutoscaler, reading the same PodMetrics `kubectl top` prints.

import { expect, test } from "bun:test";
import { useServerWithAgent } from "./agent-fixture.ts";
import { waitFor } from "./harness.ts";

const { k3 } = useServerWithAgent("hpa-node");

const deployment = {
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "burn", namespace: "default" },
  spec: {
    replicas: 1,
    selector: { matchLabels: { app: "burn" } },
    template: {
      metadata: { labels: { app: "burn" } },
      spec: {
        terminationGracePeriodSeconds: 0,
        containers: [
          {
            name: "burn",
            image: "busybox:1.35",
            imagePullPolicy: "IfNotPresent",
            // A busy loop against a 10m request: hundreds of percent of it.
            command: ["sh", "-c", "while :; do :; done"],
            resources: { requests: { cpu: "10m" }, limits: { cpu: "100m" } },
          },
        ],
      },
    },
  },
};

test("kubectl autoscale scales a Deployment up on CPU, and get hpa shows the utilization", async () => {
  expect((await k3.kubectl(["apply", "-f", "-"], { stdin: JSON.stringify(deployment) })).code).toBe(0);
  const autoscaled = await k3.kubectl(["autoscale", "deployment", "burn", "--cpu-percent=50", "--min=1", "--max=3"]);
  expect(autoscaled.stderr).toBe("");
  const replicas = await waitFor(
    async () => {
      const r = await k3.kubectl(["get", "deployment", "burn", "-o", "jsonpath={.spec.replicas}"]);
      return Number(r.stdout) === 3 ? 3 : undefined;
    },
    90_000,
    "the HPA to scale burn to 3",
  );
  expect(replicas).toBe(3);
  // NAME  REFERENCE  TARGETS  MINPODS  MAXPODS  REPLICAS  AGE
  const hpa = await k3.kubectl(["get", "hpa", "burn"]);
  expect(hpa.stdout).toMatch(/^burn\s+Deployment\/burn\s+cpu: \d+%\/50%\s+1\s+3\s+\d+/m);
  const events = await k3.kubectl(["get", "events", "--field-selector", "reason=SuccessfulRescale", "-o", "name"]);
  expect(events.stdout).not.toBe("");
}, 120_000);
