// Priority admission through real kubectl: the system classes exist from the start, a pod's class sets its
// priority, and a pod naming a missing class is refused with upstream's message.

import { expect, test } from "bun:test";
import { useK3lite } from "./harness.ts";

const k = useK3lite();

const podYaml = (name: string, className?: string) => `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  ${className ? `priorityClassName: ${className}` : ""}
  containers: [{ name: c, image: busybox }]
`;

test("priority classes set pod priority; a missing class is refused", async () => {
  const classes = await k.kubectl(["get", "priorityclasses", "-o", "name"]);
  expect(classes.stdout).toContain("priorityclass.scheduling.k8s.io/system-node-critical");
  expect(classes.stdout).toContain("priorityclass.scheduling.k8s.io/system-cluster-critical");
  expect((await k.kubectl(["create", "priorityclass", "high", "--value=1000"])).code).toBe(0);
  expect((await k.kubectl(["apply", "-f", "-"], { stdin: podYaml("important", "high") })).code).toBe(0);
  const priority = await k.kubectl([
    "get",
    "pod",
    "important",
    "-o",
    "jsonpath={.spec.priority} {.spec.preemptionPolicy}",
  ]);
  expect(priority.stdout).toBe("1000 PreemptLowerPriority");
  const refused = await k.kubectl(["apply", "-f", "-"], { stdin: podYaml("orphan", "none-such") });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('pods "orphan" is forbidden: no PriorityClass with name none-such was found');
  expect((await k.kubectl(["apply", "-f", "-"], { stdin: podYaml("plain") })).code).toBe(0);
  expect((await k.kubectl(["get", "pod", "plain", "-o", "jsonpath={.spec.priority}"])).stdout).toBe("0");
});
