import { describe, expect, test } from "bun:test";
import { patchMetaFor } from "./patch-meta.ts";

const deployment = { group: "apps", version: "v1", kind: "Deployment" };
const pod = { group: "", version: "v1", kind: "Pod" };

describe("patchMetaFor", () => {
  test("containers merge by name through the pod template", () => {
    expect(patchMetaFor(deployment, ["spec", "template", "spec", "containers"])).toEqual({
      strategy: "merge",
      mergeKey: "name",
      type: "array",
    });
  });
  test("list elements are stepped into implicitly", () => {
    expect(patchMetaFor(pod, "spec.containers.env")?.mergeKey).toBe("name");
    expect(patchMetaFor(pod, "spec.containers.ports")?.mergeKey).toBe("containerPort");
    expect(patchMetaFor(pod, "spec.containers.volumeMounts")?.mergeKey).toBe("mountPath");
    expect(patchMetaFor(pod, "spec.volumes")?.strategy).toBe("merge,retainKeys");
    expect(patchMetaFor(pod, "status.conditions")?.mergeKey).toBe("type");
    expect(patchMetaFor({ group: "", version: "v1", kind: "Service" }, "spec.ports")?.mergeKey).toBe("port");
  });
  test("metadata finalizers merge as a set; owner references by uid", () => {
    expect(patchMetaFor(pod, "metadata.finalizers")).toEqual({
      strategy: "merge",
      mergeKey: undefined,
      type: "array",
    });
    expect(patchMetaFor(pod, "metadata.ownerReferences")?.mergeKey).toBe("uid");
  });
  test("deployment strategy retains keys; plain lists replace", () => {
    expect(patchMetaFor(deployment, "spec.strategy")?.strategy).toBe("retainKeys");
    expect(patchMetaFor(pod, "spec.tolerations")).toEqual({
      strategy: undefined,
      mergeKey: undefined,
      type: "array",
    });
    expect(patchMetaFor(pod, "spec.containers.args")?.type).toBe("array");
  });
  test("maps step through additionalProperties; unknown kinds and fields give undefined", () => {
    expect(patchMetaFor(pod, "metadata.labels")?.type).toBe("object");
    expect(patchMetaFor(pod, "spec.nope")).toBeUndefined();
    expect(patchMetaFor({ group: "example.com", version: "v1", kind: "Widget" }, "spec")).toBeUndefined();
  });
});
