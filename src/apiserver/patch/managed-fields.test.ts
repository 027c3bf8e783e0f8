import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../api/types.ts";
import { FieldSet, pathString } from "./fieldset.ts";
import { updateManagedFields } from "./index.ts";
import { capUpdateManagers, decodeManagedFields, type Manager } from "./managed-fields.ts";
import { deployment, deploymentMeta as meta } from "./testing.ts";

const fields = (json: unknown) => FieldSet.fromFieldsV1(json);

describe("FieldSet", () => {
  test("FieldsV1 round-trips, '.' and empty objects both mark members", () => {
    const json = {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      "f:spec": { "f:replicas": {} },
    };
    const set = fields(json);
    expect(set.has(["f:metadata", "f:labels"])).toBe(true);
    expect(set.has(["f:metadata"])).toBe(false);
    expect(set.has(["f:spec", "f:replicas"])).toBe(true);
    expect(set.toFieldsV1()).toEqual(json);
    expect(() => fields({ "x:bad": {} })).toThrow();
  });

  test("union, difference and intersection; unchanged inputs come back as they are", () => {
    const a = fields({ "f:spec": { "f:replicas": {}, "f:paused": {} } });
    const b = fields({ "f:spec": { "f:replicas": {} }, "f:data": {} });
    expect(a.union(b).toFieldsV1()).toEqual({
      "f:data": {},
      "f:spec": { "f:paused": {}, "f:replicas": {} },
    });
    expect(a.difference(b).toFieldsV1()).toEqual({
      "f:spec": { "f:paused": {} },
    });
    expect(a.intersection(b).toFieldsV1()).toEqual({
      "f:spec": { "f:replicas": {} },
    });
    expect(a.difference(fields({ "f:status": {} }))).toBe(a);
    expect(a.union(fields({ "f:spec": { "f:replicas": {} } }))).toBe(a);
  });

  test("paths print as upstream prints them", () => {
    expect(pathString(["f:spec", "f:containers", 'k:{"name":"nginx"}', "f:image"])).toBe(
      '.spec.containers[name="nginx"].image',
    );
    expect(pathString(["f:ports", 'k:{"containerPort":80,"protocol":"TCP"}'])).toBe(
      '.ports[containerPort=80,protocol="TCP"]',
    );
    expect(pathString(["f:metadata", "f:finalizers", 'v:"a"'])).toBe('.metadata.finalizers[="a"]');
  });
});

describe("managedFields bookkeeping", () => {
  test("a client that rewrites managedFields (kubectl's csaupgrade) is taken at its word", () => {
    const created = updateManagedFields({
      next: deployment(),
      manager: "kubectl-client-side-apply",
      operation: "Update",
      now: "t0",
      meta,
    });
    const rewritten: KubeObject = {
      ...created,
      metadata: {
        ...created.metadata,
        managedFields: [
          {
            manager: "kubectl",
            operation: "Apply",
            apiVersion: "apps/v1",
            fieldsType: "FieldsV1",
            fieldsV1: { "f:spec": { "f:replicas": {} } },
          },
        ],
      },
    };
    const out = updateManagedFields({
      previous: created,
      next: rewritten,
      manager: "kubectl",
      operation: "Update",
      now: "t1",
      meta,
    });
    expect(out.metadata?.managedFields?.map((m) => `${m.manager}/${m.operation}`)).toEqual(["kubectl/Apply"]);
  });

  test("an update that only removes fields keeps its entry's time", () => {
    const created = updateManagedFields({
      next: deployment(),
      manager: "editor",
      operation: "Update",
      now: "t0",
      meta,
    });
    const { app: _, ...labels } = created.metadata?.labels ?? {};
    const next = { ...created, metadata: { ...created.metadata, labels } };
    const out = updateManagedFields({
      previous: created,
      next,
      manager: "editor",
      operation: "Update",
      now: "t1",
      meta,
    });
    const entry = out.metadata?.managedFields?.find((m) => m.manager === "editor");
    expect(entry?.time).toBe("t0");
    expect(entry?.fieldsV1).not.toHaveProperty(["f:metadata", "f:labels", "f:app"]);
    expect(entry?.fieldsV1).toHaveProperty(["f:spec", "f:replicas"]);
  });

  test("entries that are not FieldsV1 are dropped rather than failing the write", () => {
    expect(decodeManagedFields([{ manager: "x", operation: "Update", fieldsType: "FieldsV2" }])).toEqual([]);
  });

  test("more than ten update managers fold the oldest into ancient-changes", () => {
    const managers: Manager[] = Array.from({ length: 12 }, (_, i) => ({
      manager: `m${i}`,
      operation: "Update",
      apiVersion: "v1",
      time: `2026-01-${String(i + 10)}T00:00:00Z`,
      fields: fields({ [`f:f${i}`]: {} }),
    }));
    const capped = capUpdateManagers(managers);
    expect(capped).toHaveLength(10);
    const ancient = capped.find((m) => m.manager === "ancient-changes");
    expect(ancient?.fields.toFieldsV1()).toEqual({
      "f:f0": {},
      "f:f1": {},
      "f:f2": {},
    });
  });
});
