import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../api/types.ts";
import { ApplyConflictError, PatchError } from "./errors.ts";
import { serverSideApply, updateManagedFields } from "./index.ts";
import { deploymentMeta as meta, thrown } from "./testing.ts";

const t0 = "2026-11-24T20:00:00Z";
const t1 = "2026-11-24T21:00:00Z";

function config(over: { replicas?: number; image?: string; labels?: Record<string, string>; env?: unknown[] } = {}) {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      namespace: "default",
      labels: over.labels ?? { app: "web" },
    },
    spec: {
      replicas: over.replicas ?? 2,
      selector: { matchLabels: { app: "web" } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "nginx",
              image: over.image ?? "nginx:1.25",
              ...(over.env ? { env: over.env } : {}),
            },
          ],
        },
      },
    },
  } as KubeObject;
}

const apply = (current: KubeObject | undefined, applied: KubeObject, manager = "kubectl", force = false, now = t1) =>
  serverSideApply({ current, applied, manager, force, meta, now }).object;

/** The object as the store would hold it after kubectl's client-side apply created it. */
function createdByClientSideApply(): KubeObject {
  const obj = {
    ...config(),
    metadata: { ...config().metadata, uid: "u1", resourceVersion: "1" },
  };
  return updateManagedFields({
    next: obj,
    manager: "kubectl-client-side-apply",
    operation: "Update",
    now: t0,
    meta,
  });
}

const entry = (obj: KubeObject, manager: string) => obj.metadata?.managedFields?.find((m) => m.manager === manager);

describe("server-side apply", () => {
  test("creating records the applier's fields as FieldsV1, operation Apply", () => {
    const obj = apply(undefined, config());
    expect(obj.spec.replicas).toBe(2);
    expect(obj.metadata?.managedFields).toEqual([
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: t1,
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:selector": { "f:matchLabels": { "f:app": {} } },
            "f:template": {
              "f:metadata": { "f:labels": { "f:app": {} } },
              "f:spec": {
                "f:containers": {
                  'k:{"name":"nginx"}': {
                    ".": {},
                    "f:image": {},
                    "f:name": {},
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  test("a field another manager set differently conflicts, with upstream's message and causes", () => {
    const live = createdByClientSideApply();
    const err = thrown(() => apply(live, config({ replicas: 3 })));
    expect(err).toBeInstanceOf(ApplyConflictError);
    const e = err as ApplyConflictError;
    expect(e.code).toBe(409);
    expect(e.reason).toBe("Conflict");
    expect(e.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    expect(e.causes).toEqual([
      {
        type: "FieldManagerConflict",
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: ".spec.replicas",
      },
    ]);
  });

  test("several conflicts are grouped by manager, one path a line", () => {
    const e = thrown(() => apply(createdByClientSideApply(), config({ replicas: 3, image: "nginx:2" }))) as Error;
    expect(e.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n' +
        "- .spec.replicas\n" +
        '- .spec.template.spec.containers[name="nginx"].image',
    );
  });

  test("applying the same values shares ownership without conflict", () => {
    const obj = apply(createdByClientSideApply(), config());
    expect(entry(obj, "kubectl")?.fieldsV1).toHaveProperty(["f:spec", "f:replicas"]);
    expect(entry(obj, "kubectl-client-side-apply")?.fieldsV1).toHaveProperty(["f:spec", "f:replicas"]);
    expect(entry(obj, "kubectl-client-side-apply")?.time).toBe(t0);
  });

  test("force takes the field over from its previous owner", () => {
    const obj = apply(createdByClientSideApply(), config({ replicas: 3 }), "kubectl", true);
    expect(obj.spec.replicas).toBe(3);
    expect(entry(obj, "kubectl")?.fieldsV1).toHaveProperty(["f:spec", "f:replicas"]);
    const csa = entry(obj, "kubectl-client-side-apply")?.fieldsV1 as Record<string, Record<string, unknown>>;
    expect(csa["f:spec"]["f:replicas"]).toBeUndefined();
    expect(csa["f:spec"]["f:selector"]).toBeDefined();
  });

  test("fields the applier drops are removed when nobody else owns them", () => {
    const first = apply(
      undefined,
      config({
        labels: { app: "web", tier: "front" },
        env: [{ name: "A", value: "1" }],
      }),
    );
    const second = apply(first, config());
    expect(second.metadata?.labels).toEqual({ app: "web" });
    expect(second.spec.template.spec.containers[0].env).toBeUndefined();
    expect(second.spec.template.spec.containers[0].image).toBe("nginx:1.25");
    expect(JSON.stringify(entry(second, "kubectl")?.fieldsV1)).not.toContain("tier");
  });

  test("dropped fields another manager also owns stay", () => {
    const first = apply(undefined, config({ labels: { app: "web", tier: "front" } }));
    const shared = apply(first, config({ labels: { app: "web", tier: "front" } }), "other-tool");
    const after = apply(shared, config());
    expect(after.metadata?.labels).toEqual({ app: "web", tier: "front" });
  });

  test("a dropped container is removed whole; fields nobody applied never are", () => {
    const two = config();
    two.spec.template.spec.containers.push({
      name: "sidecar",
      image: "busybox",
    });
    const first = apply(undefined, two);
    // Defaulting (here by hand) adds fields no applier owns; they survive a re-apply.
    first.spec.template.spec.containers[0].imagePullPolicy = "IfNotPresent";
    const after = apply(first, config());
    expect(after.spec.template.spec.containers).toEqual([
      { name: "nginx", image: "nginx:1.25", imagePullPolicy: "IfNotPresent" },
    ]);
  });

  test("keyed lists merge by key: live-only items stay, applied ones take the config's order", () => {
    const live = createdByClientSideApply();
    live.spec.template.spec.containers.push({
      name: "injected",
      image: "proxy",
    });
    const applied = config();
    applied.spec.template.spec.containers.unshift({ name: "init", image: "x" });
    const obj = apply(live, applied);
    expect(obj.spec.template.spec.containers.map((c: { name: string }) => c.name)).toEqual([
      "init",
      "nginx",
      "injected",
    ]);
  });

  test("an object without managedFields is owned by before-first-apply", () => {
    const live = { ...config(), metadata: { ...config().metadata, uid: "u1" } };
    const e = thrown(() => apply(live, config({ replicas: 5 }))) as ApplyConflictError;
    expect(e.message).toBe(
      'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas',
    );
  });

  test("a no-op apply keeps the entry's time", () => {
    const first = apply(undefined, config(), "kubectl", false, t0);
    const again = apply(first, config(), "kubectl", false, t1);
    expect(entry(again, "kubectl")?.time).toBe(t0);
  });

  test("kubectl's server-side apply keeps an existing client-side apply annotation in step", () => {
    const live = createdByClientSideApply();
    live.metadata = {
      ...live.metadata,
      annotations: { "kubectl.kubernetes.io/last-applied-configuration": "{}" },
    };
    const obj = apply(live, config({ replicas: 4 }), "kubectl", true);
    const last = JSON.parse(obj.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"] ?? "");
    expect(last.spec.replicas).toBe(4);
    const other = apply(live, config({ replicas: 4 }), "helm", true);
    expect(other.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toBe("{}");
  });

  test("kubectl takes over fields its client-side apply set and nobody changed since; others conflict", () => {
    const live = createdByClientSideApply();
    live.metadata = {
      ...live.metadata,
      annotations: {
        "kubectl.kubernetes.io/last-applied-configuration": JSON.stringify(config()),
      },
    };
    // replicas is 2 in the annotation and live: kubectl's apply takes it without --force-conflicts.
    const taken = apply(live, config({ replicas: 3 }));
    expect(taken.spec.replicas).toBe(3);
    expect(entry(taken, "kubectl-client-side-apply")?.fieldsV1).not.toHaveProperty(["f:spec", "f:replicas"]);
    // Another applier gets the conflict.
    const e = thrown(() => apply(live, config({ replicas: 3 }), "ci")) as ApplyConflictError;
    expect(e.message).toBe(
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    // Once the live value moved away from the annotation's, kubectl conflicts too.
    const scaled = { ...live, spec: { ...live.spec, replicas: 7 } };
    expect(thrown(() => apply(scaled, config({ replicas: 3 })))).toBeInstanceOf(ApplyConflictError);
  });

  test("invalid configurations are 400", () => {
    for (const bad of [
      { kind: "Deployment", metadata: { name: "x" } },
      { apiVersion: "apps/v1", metadata: { name: "x" } },
      { ...config(), metadata: { name: "web", managedFields: [] } },
    ]) {
      const e = thrown(() => apply(undefined, bad as KubeObject)) as PatchError;
      expect(e).toBeInstanceOf(PatchError);
      expect(e.code).toBe(400);
    }
  });
});

describe("updateManagedFields", () => {
  test("a create owns everything it set, maps and list items marked as upstream does", () => {
    const obj = createdByClientSideApply();
    expect(obj.metadata?.managedFields).toEqual([
      {
        manager: "kubectl-client-side-apply",
        operation: "Update",
        apiVersion: "apps/v1",
        time: t0,
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:selector": {
              ".": {},
              "f:matchLabels": { ".": {}, "f:app": {} },
            },
            "f:template": {
              "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
              "f:spec": {
                "f:containers": {
                  'k:{"name":"nginx"}': {
                    ".": {},
                    "f:image": {},
                    "f:name": {},
                  },
                },
              },
            },
          },
        },
      },
    ]);
  });

  test("an update takes the fields it changes from other managers; a later apply conflicts with it", () => {
    const applied = apply(undefined, config(), "kubectl", false, t0);
    const scaled = updateManagedFields({
      previous: applied,
      next: { ...applied, spec: { ...applied.spec, replicas: 5 } },
      manager: "kube-controller-manager",
      operation: "Update",
      subresource: "scale",
      now: t1,
      meta,
    });
    const controller = entry(scaled, "kube-controller-manager");
    expect(controller).toMatchObject({
      subresource: "scale",
      fieldsV1: { "f:spec": { "f:replicas": {} } },
    });
    expect(entry(scaled, "kubectl")?.fieldsV1).not.toHaveProperty(["f:spec", "f:replicas"]);
    const e = thrown(() => apply(scaled, config())) as ApplyConflictError;
    expect(e.message).toBe(
      'Apply failed with 1 conflict: conflict with "kube-controller-manager" with subresource "scale" using apps/v1: .spec.replicas',
    );
  });

  test("removed fields leave every manager", () => {
    const applied = apply(undefined, config({ labels: { app: "web", tier: "x" } }));
    const { tier: _, ...labels } = applied.metadata?.labels ?? {};
    const edited = updateManagedFields({
      previous: applied,
      next: { ...applied, metadata: { ...applied.metadata, labels } },
      manager: "kubectl-edit",
      operation: "Update",
      now: t1,
      meta,
    });
    expect(JSON.stringify(edited.metadata?.managedFields)).not.toContain("tier");
    expect(entry(edited, "kubectl-edit")).toBeUndefined();
  });

  test("a no-op update changes nothing; [{}] strips managedFields", () => {
    const obj = createdByClientSideApply();
    const same = updateManagedFields({
      previous: obj,
      next: obj,
      manager: "x",
      operation: "Update",
      now: t1,
      meta,
    });
    expect(same.metadata?.managedFields).toEqual(obj.metadata?.managedFields);
    const stripped = updateManagedFields({
      previous: obj,
      next: { ...obj, metadata: { ...obj.metadata, managedFields: [{}] } },
      manager: "x",
      operation: "Update",
      now: t1,
    });
    expect(stripped.metadata?.managedFields).toBeUndefined();
  });
});
