// Server-side apply through the real kubectl 1.32 against a real k3lite: field ownership recorded in
// managedFields, conflicts with the client-side applier (refused without --force-conflicts, taken with it),
// fields dropped from the manifest removed, and ownership moving with ordinary writes.

import { expect, test } from "bun:test";
import type { KubeObject } from "../src/api/types.ts";
import { deploymentManifest as deployment } from "../src/apiserver/patch/testing.ts";
import { useK3lite } from "./harness.ts";

const k = useK3lite();

async function kubectl(args: string[], stdin?: string): Promise<string> {
  const r = await k.kubectl(args, { stdin });
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}\n--- server log ---\n${k.log().slice(-2000)}`);
  return r.stdout;
}

const get = async (name: string): Promise<KubeObject> =>
  JSON.parse(await kubectl(["get", "deployment", name, "-o", "json", "--show-managed-fields"]));

/** The managedFields entries of kubectl's managers (the in-process controllers write the object too). */
const managers = (d: KubeObject) =>
  (d.metadata?.managedFields ?? [])
    .filter((m) => m.manager?.startsWith("kubectl"))
    .map((m) => `${m.manager}/${m.operation}${m.subresource ? `/${m.subresource}` : ""}`);

test("apply --server-side creates the object and records the applier's fields", async () => {
  expect(await kubectl(["apply", "--server-side", "-f", "-"], deployment("ssa"))).toContain("serverside-applied");
  const d = await get("ssa");
  expect(managers(d)).toEqual(["kubectl/Apply"]);
  expect(d.metadata?.managedFields?.[0].fieldsV1).toMatchObject({
    "f:spec": {
      "f:replicas": {},
      "f:template": {
        "f:spec": {
          "f:containers": {
            'k:{"name":"nginx"}': { ".": {}, "f:image": {}, "f:name": {} },
          },
        },
      },
    },
  });
  // Fields dropped from the manifest go; defaulted fields nobody applied stay.
  await kubectl(["apply", "--server-side", "-f", "-"], deployment("ssa", { labels: ", tier: web" }));
  expect((await get("ssa")).metadata?.labels).toEqual({
    app: "ssa",
    tier: "web",
  });
  await kubectl(["apply", "--server-side", "-f", "-"], deployment("ssa"));
  const after = await get("ssa");
  expect(after.metadata?.labels).toEqual({ app: "ssa" });
  expect(after.spec.template.spec.containers[0].imagePullPolicy).toBe("IfNotPresent");
});

test("a conflict with the client-side applier is refused without --force-conflicts and taken with it", async () => {
  await kubectl(["apply", "-f", "-"], deployment("mixed"));
  expect(managers(await get("mixed"))).toEqual(["kubectl-client-side-apply/Update"]);

  // Another field manager conflicts with what the client-side apply set.
  const ci = ["apply", "--server-side", "--field-manager=ci", "-f", "-"];
  const refused = await k.kubectl(ci, {
    stdin: deployment("mixed", { replicas: 3 }),
  });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain(
    'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
  );
  expect((await get("mixed")).spec.replicas).toBe(2);

  await kubectl([...ci, "--force-conflicts"], deployment("mixed", { replicas: 3 }));
  const d = await get("mixed");
  expect(d.spec.replicas).toBe(3);
  // (kubectl then folds the client-side applier's entry into the applier's own: csaupgrade.)
  const csa = d.metadata?.managedFields?.find((m) => m.manager === "kubectl-client-side-apply");
  expect(JSON.stringify(csa?.fieldsV1 ?? {})).not.toContain("f:replicas");
  const applier = d.metadata?.managedFields?.find((m) => m.manager === "ci");
  expect(JSON.stringify(applier?.fieldsV1)).toContain("f:replicas");
});

test("kubectl's own server-side apply takes over from its client-side apply without --force-conflicts", async () => {
  await kubectl(["apply", "-f", "-"], deployment("switched"));
  expect(await kubectl(["apply", "--server-side", "-f", "-"], deployment("switched", { replicas: 3 }))).toContain(
    "serverside-applied",
  );
  const d = await get("switched");
  expect(d.spec.replicas).toBe(3);
  // kubectl then folds the client-side applier's entry into its own (csaupgrade), rewriting managedFields.
  expect(managers(d)).not.toContain("kubectl-client-side-apply/Update");
  expect(managers(d)).toContain("kubectl/Apply");
  // And the annotation follows, so a later client-side apply starts from this configuration.
  const last = JSON.parse(d.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"] ?? "{}");
  expect(last.spec.replicas).toBe(3);
});

test("an ordinary write takes ownership: the next apply conflicts with it", async () => {
  await kubectl(["apply", "--server-side", "-f", "-"], deployment("scaled"));
  await kubectl(["scale", "deployment", "scaled", "--replicas=4"]);
  expect(managers(await get("scaled"))).toContain("kubectl/Update/scale");
  const refused = await k.kubectl(["apply", "--server-side", "-f", "-"], {
    stdin: deployment("scaled"),
  });
  expect(refused.code).not.toBe(0);
  expect(refused.stderr).toContain('conflict with "kubectl" with subresource "scale"');
  expect(refused.stderr).toContain(".spec.replicas");
  // The same value is no conflict: ownership is shared.
  await kubectl(["apply", "--server-side", "-f", "-"], deployment("scaled", { replicas: 4 }));
});
