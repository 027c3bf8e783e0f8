import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../../api/types.ts";
import { PatchError } from "./errors.ts";
import { applyPatch } from "./index.ts";
import { deployment, deploymentMeta as meta, thrown } from "./testing.ts";

const containersOf = (o: KubeObject) => o.spec.template.spec.containers as { name: string; [k: string]: unknown }[];

function patchError(f: () => unknown): PatchError {
  const err = thrown(f);
  if (err instanceof PatchError) return err;
  throw err;
}

describe("JSON patch (RFC 6902)", () => {
  test("applies operations without touching the input", () => {
    const current = deployment();
    const out = applyPatch({
      current,
      patchType: "json",
      patch: [
        { op: "test", path: "/spec/replicas", value: 2 },
        { op: "replace", path: "/spec/replicas", value: 3 },
        { op: "add", path: "/metadata/labels/tier", value: "front" },
        { op: "remove", path: "/spec/template/spec/containers/1" },
      ],
    });
    expect(out.spec.replicas).toBe(3);
    expect(out.metadata?.labels).toEqual({ app: "web", tier: "front" });
    expect(containersOf(out).map((c) => c.name)).toEqual(["nginx"]);
    expect(current.spec.replicas).toBe(2);
    expect(containersOf(current)).toHaveLength(2);
  });

  test("a failed test operation is 422 Invalid and names the path", () => {
    const err = patchError(() =>
      applyPatch({
        current: deployment(),
        patchType: "json",
        patch: [{ op: "test", path: "/spec/replicas", value: 7 }],
      }),
    );
    expect(err.code).toBe(422);
    expect(err.reason).toBe("Invalid");
    expect(err.message).toContain("testing value /spec/replicas failed");
  });

  test("replacing a missing path is 422", () => {
    const err = patchError(() =>
      applyPatch({
        current: deployment(),
        patchType: "json",
        patch: [{ op: "replace", path: "/spec/paused", value: true }],
      }),
    );
    expect(err.code).toBe(422);
  });

  test("a malformed patch document is 400", () => {
    for (const patch of [{ op: "add" }, [{ op: "frobnicate", path: "/a" }], [{ op: "add", path: "/a" }]]) {
      expect(patchError(() => applyPatch({ current: deployment(), patchType: "json", patch })).code).toBe(400);
    }
  });
});

describe("JSON merge patch (RFC 7386)", () => {
  test("maps merge, null deletes, lists replace", () => {
    const current = deployment();
    const out = applyPatch({
      current,
      patchType: "merge",
      patch: {
        metadata: { labels: { app: null, tier: "front" } },
        spec: {
          replicas: 4,
          template: { spec: { containers: [{ name: "only", image: "x" }] } },
        },
      },
    });
    expect(out.metadata?.labels).toEqual({ tier: "front" });
    expect(out.spec.replicas).toBe(4);
    expect(containersOf(out)).toEqual([{ name: "only", image: "x" }]);
    expect(current.metadata?.labels).toEqual({ app: "web" });
  });

  test("nulls nested in new values are dropped", () => {
    const out = applyPatch({
      current: deployment(),
      patchType: "merge",
      patch: { spec: { paused: { a: 1, b: null } } },
    });
    expect(out.spec.paused).toEqual({ a: 1 });
  });

  test("a non-object patch is 400", () => {
    expect(patchError(() => applyPatch({ current: deployment(), patchType: "merge", patch: [1] })).code).toBe(400);
  });
});

describe("strategic merge patch", () => {
  const smp = (patch: unknown, current = deployment()) => applyPatch({ current, patch, patchType: "strategic", meta });

  test("containers merge by name; env vars are replaced by name", () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "nginx",
                image: "nginx:1.27",
                env: [
                  { name: "B", value: "two" },
                  { name: "C", value: "3" },
                ],
              },
            ],
          },
        },
      },
    });
    const [nginx, sidecar] = containersOf(out);
    expect(nginx.image).toBe("nginx:1.27");
    expect(nginx.ports).toEqual([{ containerPort: 80, protocol: "TCP" }]);
    expect(nginx.env).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "two" },
      { name: "C", value: "3" },
    ]);
    expect(sidecar).toEqual({
      name: "sidecar",
      image: "busybox",
      args: ["sleep", "1d"],
    });
  });

  test("`$patch: delete` removes a container; a new one goes first, as upstream orders it", () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            containers: [
              { name: "sidecar", $patch: "delete" },
              { name: "logger", image: "fluent" },
            ],
          },
        },
      },
    });
    expect(containersOf(out).map((c) => c.name)).toEqual(["logger", "nginx"]);
  });

  test("`$patch: replace` in a list replaces it; in a map replaces the map", () => {
    const out = smp({
      metadata: { labels: { $patch: "replace", only: "this" } },
      spec: {
        template: {
          spec: {
            containers: [{ $patch: "replace" }, { name: "solo", image: "x" }],
          },
        },
      },
    });
    expect(out.metadata?.labels).toEqual({ only: "this" });
    expect(containersOf(out)).toEqual([{ name: "solo", image: "x" }]);
  });

  test("`$patch: delete` of a map empties it; null deletes a field", () => {
    const out = smp({
      spec: { selector: { $patch: "delete" }, replicas: null },
    });
    expect(out.spec.selector).toEqual({});
    expect("replicas" in out.spec).toBe(false);
  });

  test("`$retainKeys` drops the deployment strategy's other fields (Recreate)", () => {
    const out = smp({
      spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } },
    });
    expect(out.spec.strategy).toEqual({ type: "Recreate" });
    // Without $retainKeys the old rollingUpdate would survive: the strategy alone does not drop it.
    expect(smp({ spec: { strategy: { type: "Recreate" } } }).spec.strategy.rollingUpdate).toBeDefined();
  });

  test("`$retainKeys` in a volume (merge,retainKeys) switches its source", () => {
    const current = deployment();
    current.spec.template.spec.volumes = [
      { name: "data", emptyDir: {} },
      { name: "cfg", configMap: { name: "c" } },
    ];
    const out = smp(
      {
        spec: {
          template: {
            spec: {
              volumes: [
                {
                  name: "data",
                  $retainKeys: ["name", "hostPath"],
                  hostPath: { path: "/d" },
                },
              ],
            },
          },
        },
      },
      current,
    );
    expect(out.spec.template.spec.volumes).toEqual([
      { name: "data", hostPath: { path: "/d" } },
      { name: "cfg", configMap: { name: "c" } },
    ]);
  });

  test("primitive lists with the merge strategy are unions; `$deleteFromPrimitiveList` removes", () => {
    const current = deployment();
    current.metadata = { ...current.metadata, finalizers: ["a", "b"] };
    const out = smp(
      {
        metadata: {
          finalizers: ["c", "a"],
          "$deleteFromPrimitiveList/finalizers": ["b"],
        },
      },
      current,
    );
    expect(out.metadata?.finalizers).toEqual(["c", "a"]);
    const added = smp({ metadata: { finalizers: ["c"] } }, current);
    expect(added.metadata?.finalizers).toEqual(["c", "a", "b"]);
  });

  test("lists without a merge strategy are replaced", () => {
    const out = smp({
      spec: {
        template: {
          spec: { containers: [{ name: "sidecar", args: ["true"] }] },
        },
      },
    });
    expect(containersOf(out)[1].args).toEqual(["true"]);
  });

  test("`$setElementOrder` orders the merged list as kubectl asks", () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "sidecar" }, { name: "nginx" }],
            containers: [{ name: "nginx", image: "nginx:2" }],
          },
        },
      },
    });
    expect(containersOf(out).map((c) => [c.name, c.image])).toEqual([
      ["sidecar", "busybox"],
      ["nginx", "nginx:2"],
    ]);
  });

  test("live-only elements keep their place around patched ones (upstream's order)", () => {
    const current = deployment();
    current.status = {
      conditions: ["a", "b", "c"].map((type) => ({ type, status: "False" })),
    };
    const out = smp(
      {
        status: {
          conditions: [
            { type: "b", status: "True" },
            { type: "d", status: "True" },
          ],
        },
      },
      current,
    );
    expect(out.status.conditions.map((c: { type: string }) => c.type)).toEqual(["a", "b", "d", "c"]);
  });

  test("without metadata (custom resources) lists are replaced", () => {
    const out = applyPatch({
      current: deployment(),
      patchType: "strategic",
      patch: { spec: { template: { spec: { containers: [{ name: "x" }] } } } },
    });
    expect(containersOf(out)).toEqual([{ name: "x" }]);
  });

  test("directives and nulls do not leak into new values", () => {
    const out = smp({
      spec: {
        paused: null,
        extra: { a: null, b: { $patch: "replace", c: 1 } },
      },
    });
    expect(out.spec.extra).toEqual({ b: { c: 1 } });
  });

  test("malformed patches are 400", () => {
    const bad = [
      [1, 2],
      { spec: { template: { spec: { containers: [{ image: "no-name" }] } } } },
      {
        spec: {
          template: {
            spec: { containers: [{ name: "nginx", $patch: "explode" }] },
          },
        },
      },
      { spec: { strategy: { $retainKeys: "type" } } },
      { spec: { strategy: { $retainKeys: ["type"], rollingUpdate: {} } } },
      {
        spec: {
          template: {
            spec: {
              "$setElementOrder/containers": [{ name: "nginx" }, { name: "sidecar" }],
              containers: [
                { name: "sidecar", image: "a" },
                { name: "nginx", image: "b" },
              ],
            },
          },
        },
      },
    ];
    for (const patch of bad) expect(patchError(() => smp(patch)).code).toBe(400);
  });
});
