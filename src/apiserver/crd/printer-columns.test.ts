import { describe, expect, test } from "bun:test";
import { evaluateJsonPath } from "./jsonpath.ts";
import { printerColumns } from "./printer-columns.ts";

const obj = {
  metadata: {
    name: "my-tab",
    creationTimestamp: "2026-01-01T00:00:00Z",
    labels: { "app.kubernetes.io/name": "tab" },
  },
  spec: {
    cronSpec: "* * * * */5",
    replicas: 3,
    image: { repo: "x" },
    list: [{ n: "a" }, { n: "b" }],
  },
  status: {
    conditions: [
      { type: "Synced", status: "False" },
      { type: "Ready", status: "True" },
    ],
  },
};
const now = Date.parse("2026-01-01T00:05:00Z");

describe("jsonpath", () => {
  test("the forms printer columns use", () => {
    expect(evaluateJsonPath(obj, ".spec.replicas")).toEqual([3]);
    expect(evaluateJsonPath(obj, "{.spec.list[1].n}")).toEqual(["b"]);
    expect(evaluateJsonPath(obj, ".spec.list[*].n")).toEqual(["a", "b"]);
    expect(evaluateJsonPath(obj, ".metadata.labels['app.kubernetes.io/name']")).toEqual(["tab"]);
    expect(evaluateJsonPath(obj, '.status.conditions[?(@.type=="Ready")].status')).toEqual(["True"]);
    expect(evaluateJsonPath(obj, ".spec.missing.deeper")).toEqual([]);
    expect(() => evaluateJsonPath(obj, "spec(")).toThrow();
  });
});

describe("printer columns", () => {
  test("Name then the defined columns, typed as upstream", () => {
    const cols = printerColumns({
      name: "v1",
      served: true,
      storage: true,
      additionalPrinterColumns: [
        { name: "Spec", type: "string", jsonPath: ".spec.cronSpec" },
        { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
        { name: "Image", type: "string", jsonPath: ".spec.image", priority: 1 },
        {
          name: "Ready",
          type: "string",
          jsonPath: '.status.conditions[?(@.type=="Ready")].status',
        },
        { name: "Missing", type: "string", jsonPath: ".spec.nothing" },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ],
    });
    expect(cols.map((c) => c.name)).toEqual(["Name", "Spec", "Replicas", "Image", "Ready", "Missing", "Age"]);
    expect(cols.map((c) => c.cell(obj, now))).toEqual(["my-tab", "* * * * */5", 3, '{"repo":"x"}', "True", null, "5m"]);
    expect(cols[3].priority).toBe(1);
    expect(cols[6].type).toBe("date");
  });
  test("without columns: Name and Age", () => {
    const cols = printerColumns({ name: "v1", served: true, storage: true });
    expect(cols.map((c) => [c.name, c.cell(obj, now)])).toEqual([
      ["Name", "my-tab"],
      ["Age", "5m"],
    ]);
  });
});
