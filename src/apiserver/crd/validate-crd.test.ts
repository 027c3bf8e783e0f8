import { describe, expect, test } from "bun:test";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import { crontabCrd, crontabVersion } from "./testing/crontab.ts";
import { validateCustomResourceDefinition, validateCustomResourceDefinitionUpdate } from "./validate-crd.ts";

function crd(mutate: (c: CustomResourceDefinition) => void = () => {}): CustomResourceDefinition {
  const schema = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        properties: {
          replicas: { type: "integer", default: 1 },
          port: { "x-kubernetes-int-or-string": true },
        },
      },
      status: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
    },
  };
  const c = crontabCrd(
    [
      crontabVersion(schema, {
        subresources: {
          status: {},
          scale: {
            specReplicasPath: ".spec.replicas",
            statusReplicasPath: ".status.replicas",
          },
        },
        additionalPrinterColumns: [{ name: "Replicas", type: "integer", jsonPath: ".spec.replicas" }],
      }),
    ],
    { listKind: "CronTabList" },
  );
  mutate(c);
  return c;
}

const fields = (c: CustomResourceDefinition) =>
  validateCustomResourceDefinition(c).map((e) => `${e.field}: ${e.message}`);

describe("validateCustomResourceDefinition", () => {
  test("a good CRD passes", () => {
    expect(fields(crd())).toEqual([]);
  });
  test("a controller-gen style CRD passes (metadata type only, int-or-string anyOf, map types, CEL rules, list maps)", () => {
    const generated = crd((c) => {
      c.spec.versions[0].schema = {
        openAPIV3Schema: {
          type: "object",
          properties: {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            spec: {
              type: "object",
              "x-kubernetes-validations": [{ rule: "self.replicas >= 0", message: "no" }],
              properties: {
                port: {
                  anyOf: [{ type: "integer" }, { type: "string" }],
                  "x-kubernetes-int-or-string": true,
                },
                secret: {
                  type: "object",
                  "x-kubernetes-map-type": "atomic",
                  required: ["key"],
                  properties: {
                    key: { type: "string" },
                    name: { type: "string", default: "" },
                  },
                },
                headers: {
                  type: "object",
                  additionalProperties: {
                    type: "array",
                    items: { type: "string" },
                  },
                },
                interval: {
                  type: "string",
                  pattern:
                    "^(0|(([0-9]+)y)?(([0-9]+)w)?(([0-9]+)d)?(([0-9]+)h)?(([0-9]+)m)?(([0-9]+)s)?(([0-9]+)ms)?)$",
                },
                action: {
                  type: "string",
                  default: "replace",
                  enum: ["replace", "keep"],
                },
                ports: {
                  type: "array",
                  "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["name"],
                  items: {
                    type: "object",
                    required: ["name"],
                    properties: { name: { type: "string" } },
                  },
                },
                raw: {
                  type: "object",
                  "x-kubernetes-preserve-unknown-fields": true,
                },
                template: {
                  type: "object",
                  "x-kubernetes-embedded-resource": true,
                  "x-kubernetes-preserve-unknown-fields": true,
                },
              },
            },
          },
        } as object,
      };
    });
    expect(fields(generated)).toEqual([]);
  });
  test("name, group, scope and names", () => {
    expect(
      fields(
        crd((c) => {
          c.metadata = { name: "wrong" };
          c.spec.scope = "Global";
          c.spec.names.plural = "CronTabs";
          c.spec.names.listKind = "CronTab";
        }),
      ),
    ).toEqual([
      'metadata.name: Invalid value: "wrong": must be spec.names.plural+"."+spec.group',
      "spec.names.plural: Invalid value: \"CronTabs\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      'spec.names.listKind: Invalid value: "CronTab": kind and listKind may not be the same',
      'spec.scope: Unsupported value: "Global": supported values: "Cluster", "Namespaced"',
    ]);
    expect(
      fields(
        crd((c) => {
          c.spec.group = "example";
          c.metadata = { name: "crontabs.example" };
        }),
      ),
    ).toEqual(['spec.group: Invalid value: "example": should be a domain with at least one dot']);
  });
  test("exactly one storage version; unique names; schema required", () => {
    const two = crd((c) => {
      c.spec.versions.push({ ...c.spec.versions[0] });
    });
    expect(fields(two)).toEqual([
      'spec.versions: Invalid value: ["v1","v1"]: must have exactly one version marked as storage version',
      'spec.versions[1].name: Duplicate value: "v1"',
    ]);
    const none = crd((c) => {
      c.spec.versions[0].storage = false;
      c.spec.versions[0].schema = undefined;
    });
    expect(fields(none)).toEqual([
      "spec.versions: Invalid value: []: must have exactly one version marked as storage version",
      "spec.versions[0].schema.openAPIV3Schema: Required value: schemas are required",
    ]);
  });
  test("structural schema rules", () => {
    const bad = crd((c) => {
      c.spec.versions[0].schema = {
        openAPIV3Schema: {
          type: "object",
          properties: {
            metadata: {
              type: "object",
              properties: { labels: { type: "object" } },
            },
            spec: {
              type: "object",
              properties: {
                untyped: { description: "no type" },
                list: { type: "array" },
                replicas: { type: "integer", default: "one" },
                both: {
                  type: "object",
                  properties: { a: { type: "string" } },
                  additionalProperties: { type: "string" },
                },
              },
            },
          },
        },
      };
    });
    const p = "spec.versions[0].schema.openAPIV3Schema";
    expect(fields(bad)).toEqual([
      `${p}.properties[metadata]: Forbidden: must not specify anything other than name and generateName, but metadata is implicitly specified`,
      `${p}.properties[spec].properties[untyped].type: Required value: must not be empty for specified object fields`,
      `${p}.properties[spec].properties[list].items: Required value: must be specified`,
      `${p}.properties[spec].properties[replicas].default: Invalid value: "string": default in body must be of type integer: "string"`,
      `${p}.properties[spec].properties[both].additionalProperties: Forbidden: additionalProperties and properties are mutual exclusive`,
    ]);
  });
  test("printer columns and scale paths", () => {
    const bad = crd((c) => {
      c.spec.versions[0].additionalPrinterColumns = [{ name: "X", type: "text", jsonPath: "spec.x" }];
      c.spec.versions[0].subresources = {
        scale: {
          specReplicasPath: ".status.replicas",
          statusReplicasPath: ".status.replicas",
        },
      };
    });
    expect(fields(bad)).toEqual([
      'spec.versions[0].additionalPrinterColumns[0].type: Unsupported value: "text": supported values: "boolean", "date", "integer", "number", "string"',
      'spec.versions[0].additionalPrinterColumns[0].jsonPath: Invalid value: "spec.x": must be a simple json path starting with .',
      'spec.versions[0].subresources.scale.specReplicasPath: Invalid value: ".status.replicas": should be a json path under .spec',
    ]);
  });
  test("scope and group are immutable", () => {
    const old = crd();
    const changed = crd((c) => {
      c.spec.scope = "Cluster";
    });
    expect(validateCustomResourceDefinitionUpdate(changed, old).map((e) => e.message)).toEqual([
      'Invalid value: "Cluster": field is immutable',
    ]);
  });
});
