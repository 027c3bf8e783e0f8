import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../api/types.ts";
import type { ApplyConflictError } from "./errors.ts";
import { defaultFieldManager, patchObject, trackWrite } from "./patcher.ts";
import { deployment, thrown } from "./testing.ts";

const deployments = {
  group: "apps",
  version: "v1",
  kind: "Deployment",
  status: true,
};
const widgetSchema = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      properties: {
        ports: {
          type: "array",
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["name"],
          items: {
            type: "object",
            properties: { name: { type: "string" }, port: { type: "integer" } },
          },
        },
        tags: {
          type: "array",
          "x-kubernetes-list-type": "set",
          items: { type: "string" },
        },
      },
    },
  },
};
const widgets = {
  group: "example.com",
  version: "v1",
  kind: "Widget",
  custom: true,
  schema: widgetSchema,
};

describe("patchObject / trackWrite", () => {
  test("built-in kinds get upstream's merge keys from the schemas", () => {
    const out = patchObject({
      kind: deployments,
      current: deployment(),
      patchType: "strategic",
      patch: {
        spec: {
          template: {
            spec: { containers: [{ name: "nginx", image: "nginx:2" }] },
          },
        },
      },
      fieldManager: "kubectl-patch",
      force: false,
    });
    expect(out.spec.template.spec.containers.map((c: { image: string }) => c.image)).toEqual(["nginx:2", "busybox"]);
  });

  test("status writes own only status; main writes never own it", () => {
    const created = trackWrite({
      kind: deployments,
      previous: undefined,
      next: deployment(),
      fieldManager: "kubectl-create",
    });
    const withStatus = { ...created, status: { replicas: 2 } };
    const statusWrite = trackWrite({
      kind: deployments,
      previous: created,
      next: withStatus,
      userAgent: "kube-controller-manager/v1.32.0 (linux/amd64)",
      subresource: "status",
    });
    const entry = statusWrite.metadata?.managedFields?.find((m) => m.manager === "kube-controller-manager");
    expect(entry).toMatchObject({
      subresource: "status",
      fieldsV1: { "f:status": { "f:replicas": {} } },
    });
    // An apply of a config that carries status does not conflict with the status writer.
    const applied = deployment();
    applied.status = { replicas: 9 };
    expect(() =>
      patchObject({
        kind: deployments,
        current: statusWrite,
        patch: applied,
        patchType: "apply",
        fieldManager: "kubectl-create",
        force: false,
      }),
    ).not.toThrow();
  });

  test("custom resources: strategic merge replaces lists; apply merges by the CRD's list types", () => {
    const cr: KubeObject = {
      apiVersion: "example.com/v1",
      kind: "Widget",
      metadata: { name: "w" },
      spec: { ports: [{ name: "a", port: 1 }], tags: ["x"] },
    };
    // Strategic merge on a custom resource replaces lists (kubectl computes it so from the schema).
    const smp = patchObject({
      kind: widgets,
      current: cr,
      patch: { spec: { ports: [{ name: "z", port: 9 }] } },
      patchType: "strategic",
      fieldManager: "m",
      force: false,
    });
    expect(smp.spec.ports).toEqual([{ name: "z", port: 9 }]);
    const first = patchObject({
      kind: widgets,
      current: undefined,
      patch: cr,
      patchType: "apply",
      fieldManager: "a",
      force: false,
    });
    const second = patchObject({
      kind: widgets,
      current: first,
      patch: {
        apiVersion: "example.com/v1",
        kind: "Widget",
        metadata: { name: "w" },
        spec: { ports: [{ name: "b", port: 2 }], tags: ["y"] },
      },
      patchType: "apply",
      fieldManager: "b",
      force: false,
    });
    expect(second.spec).toEqual({
      ports: [
        { name: "a", port: 1 },
        { name: "b", port: 2 },
      ],
      tags: ["x", "y"],
    });
    const fields = second.metadata?.managedFields?.find((m) => m.manager === "b")?.fieldsV1;
    expect(fields).toEqual({
      "f:spec": {
        "f:ports": {
          'k:{"name":"b"}': { ".": {}, "f:name": {}, "f:port": {} },
        },
        "f:tags": { 'v:"y"': {} },
      },
    });
    const conflict = thrown(() =>
      patchObject({
        kind: widgets,
        current: second,
        patch: {
          apiVersion: "example.com/v1",
          kind: "Widget",
          metadata: { name: "w" },
          spec: { ports: [{ name: "a", port: 5 }] },
        },
        patchType: "apply",
        fieldManager: "b",
        force: false,
      }),
    );
    expect((conflict as ApplyConflictError).message).toBe(
      'Apply failed with 1 conflict: conflict with "a": .spec.ports[name="a"].port',
    );
  });

  test("the default field manager is the User-Agent's product", () => {
    expect(defaultFieldManager("kubectl/v1.32.0 (linux/amd64) kubernetes/abc")).toBe("kubectl");
    expect(defaultFieldManager(undefined)).toBe("unknown");
  });
});
