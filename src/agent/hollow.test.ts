import { afterEach, describe, expect, test } from "bun:test";
import type { Lease, Node, Pod } from "../api/types.ts";
import { createFakeCluster, type FakeCluster } from "../client/fake.ts";
import { inNamespace, nodes, pods } from "../client/refs.ts";
import { waitFor } from "../client/testing.ts";
import { EXIT_CODE_ANNOTATION, type HollowNodes, RUN_MS_ANNOTATION, startHollowNodes } from "./hollow.ts";

let hollow: HollowNodes | undefined;
afterEach(async () => {
  await hollow?.stop();
  hollow = undefined;
});

const podsDefault = inNamespace(pods, "default");
const pod = (name: string, nodeName: string, extra: Partial<Pod["metadata"]> = {}, restartPolicy = "Always"): Pod => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: { name, namespace: "default", ...extra },
  spec: { nodeName, restartPolicy, containers: [{ name: "app", image: "nginx" }] },
});
const getPod = (fake: FakeCluster, name: string) => fake.get("/pods", "default", name) as Pod | undefined;

describe("hollow nodes", () => {
  test("register Ready nodes with leases that are renewed", async () => {
    const fake = createFakeCluster();
    hollow = startHollowNodes(fake.client, {
      count: 3,
      namePrefix: "h-",
      cpu: "4",
      memory: "8Gi",
      pods: 20,
      renewIntervalMs: 20,
    });
    await hollow.ready;
    expect(hollow.nodeNames).toEqual(["h-0", "h-1", "h-2"]);
    const node = fake.get("/nodes", undefined, "h-1") as Node;
    expect(node.status?.allocatable).toMatchObject({ cpu: "4", memory: "8Gi", pods: "20" });
    expect(node.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(node.metadata?.labels?.["kubernetes.io/hostname"]).toBe("h-1");
    const lease = () => fake.get("coordination.k8s.io/leases", "kube-node-lease", "h-1") as Lease;
    expect(lease().spec?.holderIdentity).toBe("h-1");
    const first = lease().spec?.renewTime;
    await waitFor(() => lease().spec?.renewTime !== first, "lease renewed");

    hollow.stopHeartbeat("h-1");
    await Bun.sleep(50); // let a renewal already in flight land
    const stopped = lease().spec?.renewTime;
    const h0 = () => (fake.get("coordination.k8s.io/leases", "kube-node-lease", "h-0") as Lease).spec?.renewTime;
    for (let i = 0; i < 2; i++) {
      const before = h0();
      await waitFor(() => h0() !== before, "h-0 still renewing");
    }
    expect(lease().spec?.renewTime).toBe(stopped);
    hollow.resumeHeartbeat("h-1");
    await waitFor(() => lease().spec?.renewTime !== stopped, "h-1 renewing again");
  });

  test("bound pods become Running and Ready with an IP; Job pods and scripted pods finish", async () => {
    const fake = createFakeCluster();
    hollow = startHollowNodes(fake.client, { count: 2, readyDelayMs: 10, jobPodRunMs: 20 });
    await hollow.ready;
    await fake.client.create(podsDefault, pod("web", "hollow-0"));
    await fake.client.create(podsDefault, pod("elsewhere", "real-node"));
    await fake.client.create(
      podsDefault,
      pod(
        "job-1",
        "hollow-1",
        { ownerReferences: [{ apiVersion: "batch/v1", kind: "Job", name: "j", uid: "u" }] },
        "Never",
      ),
    );
    await fake.client.create(
      podsDefault,
      pod("crash", "hollow-1", { annotations: { [RUN_MS_ANNOTATION]: "10", [EXIT_CODE_ANNOTATION]: "3" } }, "Never"),
    );

    const web = await waitFor(
      () => (getPod(fake, "web")?.status?.phase === "Running" ? getPod(fake, "web") : undefined),
      "web Running",
    );
    expect(web?.status?.conditions?.find((c) => c.type === "Ready")?.status).toBe("True");
    expect(web?.status?.podIP).toMatch(/^10\.\d+\.\d+\.\d+$/);
    expect(web?.status?.hostIP).toMatch(/^172\.30\./);
    expect(web?.status?.containerStatuses?.[0]).toMatchObject({ name: "app", ready: true, state: { running: {} } });

    await waitFor(() => getPod(fake, "job-1")?.status?.phase === "Succeeded", "job pod Succeeded");
    await waitFor(() => getPod(fake, "crash")?.status?.phase === "Failed", "scripted pod Failed");
    expect(getPod(fake, "crash")?.status?.containerStatuses?.[0]?.state?.terminated?.exitCode).toBe(3);
    expect(getPod(fake, "elsewhere")?.status).toBeUndefined();
  });

  test("restartPolicy OnFailure restarts a failing container in place", async () => {
    const fake = createFakeCluster();
    hollow = startHollowNodes(fake.client, { count: 1, readyDelayMs: 0, restartBackoffMs: 1 });
    await hollow.ready;
    const annotations = { [RUN_MS_ANNOTATION]: "5", [EXIT_CODE_ANNOTATION]: "1" };
    await fake.client.create(podsDefault, pod("flaky", "hollow-0", { annotations }, "OnFailure"));
    const restarts = () => getPod(fake, "flaky")?.status?.containerStatuses?.[0]?.restartCount ?? 0;
    await waitFor(() => restarts() >= 2, "restarted twice");
    const status = getPod(fake, "flaky")?.status;
    expect(status?.phase).toBe("Running");
    expect(status?.containerStatuses?.[0]?.lastState?.terminated?.exitCode).toBe(1);
    await hollow.stop(); // before the next restart lands
  });

  test("pod IPs come from the node's podCIDR once IPAM assigned one", async () => {
    const fake = createFakeCluster();
    // Registered earlier (a restart): the node keeps the podCIDR IPAM gave it.
    await fake.client.create(nodes, { metadata: { name: "hollow-0" }, spec: { podCIDR: "10.42.7.0/24" } });
    hollow = startHollowNodes(fake.client, { count: 1, readyDelayMs: 0 });
    await hollow.ready;
    await fake.client.create(podsDefault, pod("a", "hollow-0"));
    await fake.client.create(podsDefault, pod("b", "hollow-0"));
    await waitFor(() => getPod(fake, "a")?.status?.podIP && getPod(fake, "b")?.status?.podIP, "IPs");
    expect([getPod(fake, "a")?.status?.podIP, getPod(fake, "b")?.status?.podIP].sort()).toEqual([
      "10.42.7.2",
      "10.42.7.3",
    ]);
  });

  test("confirms graceful deletion of its pods", async () => {
    const fake = createFakeCluster({ gracefulPodDeletion: true });
    hollow = startHollowNodes(fake.client, { count: 1, readyDelayMs: 0 });
    await hollow.ready;
    await fake.client.create(podsDefault, pod("p", "hollow-0"));
    await waitFor(() => getPod(fake, "p")?.status?.phase === "Running", "Running");
    await fake.client.delete(podsDefault, "p");
    await waitFor(() => getPod(fake, "p") === undefined, "pod removed");
  });
});
