// The scheduler as `k3lite server` runs it (all-in-one, with the controllers), with hollow nodes joined from this
// process over HTTPS: Deployments land on the nodes, PriorityClasses drive preemption, and kubectl shows it.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type HollowNodes, startHollowNodes } from "../src/agent/hollow.ts";
import { clientFromKubeconfig } from "../src/client/kubeconfig.ts";
import { type K3lite, startK3lite, waitFor } from "./harness.ts";

let k: K3lite;
let hollow: HollowNodes;

beforeAll(async () => {
  k = await startK3lite();
  hollow = startHollowNodes(clientFromKubeconfig(k.kubeconfig), {
    count: 2,
    namePrefix: "sim-",
    cpu: "2",
    memory: "4Gi",
    readyDelayMs: 50,
  });
  await hollow.ready;
}, 120_000);

afterAll(async () => {
  await hollow?.stop();
  await k?.stop();
});

async function kubectl(...args: string[]): Promise<string> {
  const r = await k.kubectl(args);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}\n--- server log ---\n${k.log().slice(-3000)}`);
  return r.stdout;
}

async function apply(yaml: string): Promise<void> {
  const r = await k.kubectl(["apply", "-f", "-"], { stdin: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

const phases = async (selector: string) =>
  (await kubectl("get", "pods", "-l", selector, "-o", 'jsonpath={range .items[*]}{.status.phase}{"\\n"}{end}'))
    .split("\n")
    .filter(Boolean);

describe("all-in-one scheduler with hollow nodes", () => {
  test("a Deployment's pods are spread over the nodes and Running", async () => {
    await kubectl("create", "deployment", "web", "--image=nginx", "--replicas=4");
    await waitFor(
      async () => (await phases("app=web")).filter((p) => p === "Running").length === 4,
      60_000,
      "4 Running",
    );
    const nodes = (await kubectl("get", "pods", "-l", "app=web", "-o", "jsonpath={.items[*].spec.nodeName}")).split(
      " ",
    );
    expect(new Set(nodes)).toEqual(new Set(["sim-0", "sim-1"]));
    await kubectl("delete", "deployment", "web");
  }, 90_000);

  test("a pod of a higher PriorityClass preempts lower-priority pods", async () => {
    await apply(`apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
`);
    await apply(`apiVersion: apps/v1
kind: Deployment
metadata: {name: low}
spec:
  replicas: 4
  selector: {matchLabels: {app: low}}
  template:
    metadata: {labels: {app: low}}
    spec:
      containers: [{name: c, image: nginx, resources: {requests: {cpu: 900m}}}]
`);
    await waitFor(
      async () => (await phases("app=low")).filter((p) => p === "Running").length === 4,
      60_000,
      "low Running",
    );
    await apply(`apiVersion: v1
kind: Pod
metadata: {name: vip, labels: {app: vip}}
spec:
  priorityClassName: high
  containers: [{name: c, image: nginx, resources: {requests: {cpu: "1"}}}]
`);
    await waitFor(async () => (await phases("app=vip"))[0] === "Running", 60_000, "vip Running");
    // The victim's ReplicaSet replaces it, and the replacement finds no room left.
    const pending = await waitFor(
      async () => {
        const text = await kubectl("describe", "pods", "-l", "app=low");
        return text.includes("FailedScheduling") ? text : undefined;
      },
      60_000,
      "a low pod pending",
    );
    expect(pending).toContain("0/2 nodes are available: 2 Insufficient cpu.");
    const events = await kubectl(
      "get",
      "events",
      "--field-selector",
      "reason=Preempted",
      "-o",
      "jsonpath={.items[*].message}",
    );
    expect(events).toContain("Preempted by pod");
  }, 120_000);
});
