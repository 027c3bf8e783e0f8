import { expect, test } from "bun:test";
import type { KubeObject } from "../../api/types.ts";
import type { StatusError } from "../errors.ts";
import { admitPodPriority } from "./pod-priority.ts";

const pc = (name: string, value: number, extra: object = {}) => ({ metadata: { name }, value, ...extra });
const pod = (spec: object): KubeObject => ({ metadata: { name: "p" }, spec: { containers: [], ...spec } });

test("the class sets priority and preemption policy; the global default applies when none is named", () => {
  const named = pod({ priorityClassName: "high" });
  admitPodPriority(named, [pc("high", 1000, { preemptionPolicy: "Never" })]);
  expect(named.spec).toMatchObject({ priority: 1000, preemptionPolicy: "Never" });
  const unnamed = pod({});
  admitPodPriority(unnamed, [pc("default", 7, { globalDefault: true })]);
  expect(unnamed.spec).toMatchObject({
    priority: 7,
    priorityClassName: "default",
    preemptionPolicy: "PreemptLowerPriority",
  });
  const plain = pod({});
  admitPodPriority(plain, []);
  expect(plain.spec).toMatchObject({ priority: 0 });
  const system = pod({ priorityClassName: "system-node-critical" });
  admitPodPriority(system, []);
  expect(system.spec).toMatchObject({ priority: 2_000_001_000 });
});

test("an unknown class or a contradicting priority is refused with upstream's words", () => {
  const refused = (p: object, classes: object[]) => {
    try {
      admitPodPriority(p, classes);
    } catch (err) {
      return err as StatusError;
    }
    throw new Error("admitted");
  };
  const missing = refused(pod({ priorityClassName: "nope" }), []);
  expect(missing.status.code).toBe(403);
  expect(missing.message).toBe('pods "p" is forbidden: no PriorityClass with name nope was found');
  expect(refused(pod({ priorityClassName: "high", priority: 5 }), [pc("high", 1000)]).message).toContain(
    "the integer value of priority (5) must not be provided in pod spec",
  );
  const same = pod({ priorityClassName: "high", priority: 1000 });
  admitPodPriority(same, [pc("high", 1000)]);
  expect(same.spec.priority).toBe(1000);
});
