import { expect, test } from "bun:test";
import { unknownBuiltinFields } from "./unknown-fields.ts";

test("unknown fields of built-in kinds are named by path", () => {
  const deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "web", labels: { a: "b" }, bogusMeta: 1 },
    spec: {
      replicas: 1,
      bogus: true,
      selector: { matchLabels: { app: "web" } },
      template: {
        spec: {
          containers: [
            {
              name: "c",
              image: "i",
              imagee: "typo",
              resources: { limits: { cpu: "1" } },
            },
          ],
        },
      },
    },
  };
  expect(unknownBuiltinFields({ group: "apps", version: "v1", kind: "Deployment" }, deployment)).toEqual([
    "metadata.bogusMeta",
    "spec.bogus",
    "spec.template.spec.containers[0].imagee",
  ]);
  const cm = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "x" },
    data: { any: "thing" },
  };
  expect(unknownBuiltinFields({ group: "", version: "v1", kind: "ConfigMap" }, cm)).toEqual([]);
  expect(unknownBuiltinFields({ group: "example.com", version: "v1", kind: "Widget" }, { x: 1 })).toEqual([]);
});
