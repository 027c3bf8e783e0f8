// CustomResourceDefinition validation through the real kubectl and server: an invalid CRD is refused with 422
// Invalid naming the field (as upstream's apiextensions validation does), and updates may not change the group.

import { describe, expect, test } from "bun:test";
import { adminFetch } from "./admin-fetch.ts";
import { useK3lite } from "./harness.ts";

const k = useK3lite();

const crd = (versionExtra: string) => `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
${versionExtra}`;

const SCHEMA = `    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`;

describe("CRD validation", () => {
  test("a CRD without a schema is refused, naming the field", async () => {
    const r = await k.kubectl(["create", "-f", "-"], { stdin: crd("") });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('The CustomResourceDefinition "widgets.example.com" is invalid');
    expect(r.stderr).toContain("spec.versions[0].schema.openAPIV3Schema: Required value");
  });

  test("the 422 Status carries the field as a cause", async () => {
    const res = await adminFetch(k, "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "apiextensions.k8s.io/v1",
        kind: "CustomResourceDefinition",
        metadata: { name: "widgets.example.com" },
        spec: {
          group: "example.com",
          scope: "Namespaced",
          names: { plural: "widgets", kind: "Widget" },
          versions: [{ name: "v1", served: true, storage: true }],
        },
      }),
    });
    const status = await res.json();
    expect(res.status).toBe(422);
    expect(status.reason).toBe("Invalid");
    expect(status.details.causes).toContainEqual(
      expect.objectContaining({ field: "spec.versions[0].schema.openAPIV3Schema", reason: "FieldValueRequired" }),
    );
  });

  test("a valid CRD is created; its group may not change", async () => {
    expect((await k.kubectl(["create", "-f", "-"], { stdin: crd(SCHEMA) })).code).toBe(0);
    const r = await k.kubectl([
      "patch",
      "crd",
      "widgets.example.com",
      "--type=merge",
      "-p",
      '{"spec":{"group":"example.org"}}',
    ]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("spec.group: Invalid value");
    expect(r.stderr).toContain("field is immutable");
  });
});
