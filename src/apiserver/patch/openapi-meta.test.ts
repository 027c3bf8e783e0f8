import { expect, test } from "bun:test";
import { applyPatch } from "./index.ts";
import { patchMetaForKind } from "./openapi-meta.ts";
import { patchObject } from "./patcher.ts";
import { deployment } from "./testing.ts";

test("the built-in schemas drive strategic merge: containers by name, env by name", () => {
  const meta = patchMetaForKind({
    group: "apps",
    version: "v1",
    kind: "Deployment",
  });
  expect(meta.strategyFor(["spec", "template", "spec", "containers"])).toEqual({
    strategy: "merge",
    mergeKey: "name",
  });
  const out = applyPatch({
    current: deployment(),
    patchType: "strategic",
    meta,
    patch: {
      spec: {
        template: {
          spec: {
            containers: [{ name: "nginx", env: [{ name: "A", value: "x" }] }],
          },
        },
      },
    },
  });
  const [nginx, sidecar] = out.spec.template.spec.containers;
  expect(nginx.env).toEqual([
    { name: "A", value: "x" },
    { name: "B", value: "2" },
  ]);
  expect(sidecar.name).toBe("sidecar");
  expect(meta.strategyFor(["spec", "nope"])).toEqual({});
});

test("atomic structs (a LabelSelector, owner references) are owned whole, as upstream marks them", () => {
  const kind = { group: "apps", version: "v1", kind: "Deployment" };
  const applied = deployment();
  applied.metadata = {
    ...applied.metadata,
    ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "u-1" }],
  };
  const obj = patchObject({
    kind,
    current: undefined,
    patch: applied,
    patchType: "apply",
    fieldManager: "kubectl",
    force: false,
    now: "t",
  });
  const fields = obj.metadata?.managedFields?.[0].fieldsV1 as Record<string, Record<string, unknown>>;
  expect(fields["f:spec"]["f:selector"]).toEqual({});
  expect(fields["f:metadata"]["f:ownerReferences"]).toEqual({
    'k:{"uid":"u-1"}': {},
  });
  const changed = deployment();
  changed.spec.selector = { matchLabels: { app: "web", extra: "1" } };
  expect(() =>
    patchObject({
      kind,
      current: obj,
      patch: changed,
      patchType: "apply",
      fieldManager: "other",
      force: false,
    }),
  ).toThrow('Apply failed with 1 conflict: conflict with "kubectl": .spec.selector');
});
