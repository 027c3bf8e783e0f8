import { describe, expect, test } from "bun:test";
import { BUILT_IN_RESOURCES } from "../resources/index.ts";
import {
  crdSchemaOf,
  crdToResourceDescriptors,
  preferredVersion,
  sortVersionsByKubeAwareness,
  unknownFields,
} from "./descriptor.ts";
import { crontabCrd } from "./testing/crontab.ts";

const crd = crontabCrd(
  [
    {
      name: "v1beta1",
      served: true,
      storage: false,
      schema: {
        openAPIV3Schema: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
        } as object,
      },
    },
    {
      name: "v1",
      served: true,
      storage: true,
      subresources: {
        status: {},
        scale: {
          specReplicasPath: ".spec.replicas",
          statusReplicasPath: ".status.replicas",
        },
      },
      selectableFields: [{ jsonPath: ".spec.replicas" }],
      additionalPrinterColumns: [{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }],
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: {
              type: "object",
              properties: {
                replicas: { type: "integer", default: 1, maximum: 5 },
              },
            },
            status: {
              type: "object",
              properties: { replicas: { type: "integer" } },
            },
          },
        },
      },
    },
    { name: "v0", served: false, storage: false },
  ],
  { categories: ["all"] },
);

describe("crdToResourceDescriptors", () => {
  const [beta, v1] = crdToResourceDescriptors(crd);
  test("one descriptor per served version, with the CRD's names", () => {
    expect(crdToResourceDescriptors(crd).map((d) => d.version)).toEqual(["v1beta1", "v1"]);
    expect(v1).toMatchObject({
      group: "stable.example.com",
      kind: "CronTab",
      plural: "crontabs",
      singular: "crontab",
      listKind: "CronTabList",
      namespaced: true,
      shortNames: ["ct"],
      categories: ["all"],
      status: true,
      scale: {
        specReplicasPath: "spec.replicas",
        statusReplicasPath: "status.replicas",
      },
    });
    expect(beta.status).toBe(false);
    expect(crdSchemaOf(v1)?.properties?.spec?.properties?.replicas?.maximum).toBe(5);
  });
  test("defaults prune and default; validate uses the schema", () => {
    const obj: { spec: Record<string, unknown>; [k: string]: unknown } = {
      apiVersion: "stable.example.com/v1",
      kind: "CronTab",
      metadata: { name: "a" },
      spec: { junk: 1 },
    };
    expect(unknownFields(v1, obj)).toEqual(["spec.junk"]);
    v1.defaults?.(obj);
    expect(obj.spec).toEqual({ replicas: 1 });
    expect(v1.validate?.({ ...obj, spec: { replicas: 9 } })?.map((e) => e.field)).toEqual(["spec.replicas"]);
    expect(unknownFields(beta, { spec: { anything: 1 } })).toEqual([]);
    const typo = JSON.parse('{"metadata":{"name":"x","labelz":{}},"spec":{}}');
    expect(unknownFields(beta, typo)).toEqual(["metadata.labelz"]);
  });
  test("selectable fields", () => {
    expect(v1.fields?.({ spec: { replicas: 2 } })).toEqual({
      "spec.replicas": "2",
    });
    expect(beta.fields).toBeUndefined();
  });
  test("printer columns", () => {
    expect(v1.columns?.map((c) => c.name)).toEqual(["Name", "Replicas"]);
    expect(v1.columns?.[1].cell({ spec: { replicas: 2 } }, 0)).toBe(2);
  });
  test("unknownFields falls back to the built-in schemas", () => {
    const deployments = BUILT_IN_RESOURCES.find((d) => d.kind === "Deployment");
    expect(deployments).toBeDefined();
    if (deployments) {
      const obj = { spec: { replicaz: 1, replicas: 2 } };
      expect(unknownFields(deployments, obj)).toEqual(["spec.replicaz"]);
      // dropped, as upstream's decoding into typed structs does
      expect(obj.spec).toEqual({ replicas: 2 } as typeof obj.spec);
    }
  });
  test("preferred version follows upstream's ordering", () => {
    expect(preferredVersion(crd)).toBe("v1");
    expect(sortVersionsByKubeAwareness(["v1alpha1", "foo", "v2beta1", "v1", "v2", "v10beta3", "v11alpha2"])).toEqual([
      "v2",
      "v1",
      "v10beta3",
      "v2beta1",
      "v11alpha2",
      "v1alpha1",
      "foo",
    ]);
  });
});
