import { expect, test } from "bun:test";
import { qosClass } from "./qos.ts";

const container = (requests?: Record<string, string>, limits?: Record<string, string>) => ({
  name: "c",
  resources: { requests, limits },
});

test("no requests or limits is BestEffort; limits equal to requests for cpu and memory is Guaranteed", () => {
  expect(qosClass({ containers: [{ name: "c" }] })).toBe("BestEffort");
  const both = { cpu: "1", memory: "1Gi" };
  expect(qosClass({ containers: [container(both, both)] })).toBe("Guaranteed");
  expect(qosClass({ containers: [container(undefined, both)] })).toBe("Guaranteed");
});

test("anything less is Burstable, init containers included", () => {
  expect(qosClass({ containers: [container({ cpu: "1" })] })).toBe("Burstable");
  expect(qosClass({ containers: [container({ cpu: "1", memory: "1Gi" }, { cpu: "2", memory: "1Gi" })] })).toBe(
    "Burstable",
  );
  const both = { cpu: "1", memory: "1Gi" };
  expect(qosClass({ containers: [container(both, both)], initContainers: [container({ cpu: "1" })] })).toBe(
    "Burstable",
  );
});
