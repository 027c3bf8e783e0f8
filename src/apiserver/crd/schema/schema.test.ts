import { describe, expect, test } from "bun:test";
import { crontab } from "../testing/crontab.ts";
import { applyDefaults } from "./defaults.ts";
import { pruneUnknownFields } from "./prune.ts";
import type { CrdSchema } from "./types.ts";
import { validateCustomResource, validateValue } from "./validate.ts";

const schema: CrdSchema = {
  type: "object",
  properties: {
    spec: {
      type: "object",
      required: ["cronSpec"],
      properties: {
        cronSpec: {
          type: "string",
          pattern: "^(\\d+|\\*)(/\\d+)?(\\s+(\\d+|\\*)(/\\d+)?){4}$",
        },
        image: { type: "string", minLength: 1, maxLength: 20 },
        replicas: { type: "integer", minimum: 1, maximum: 10, default: 1 },
        ratio: { type: "number", exclusiveMaximum: true, maximum: 1 },
        mode: { type: "string", enum: ["Fast", "Slow"], default: "Slow" },
        port: { "x-kubernetes-int-or-string": true },
        tags: {
          type: "array",
          maxItems: 2,
          minItems: 1,
          items: { type: "string" },
          "x-kubernetes-list-type": "set",
        },
        when: { type: "string", format: "date-time" },
        note: { type: "string", nullable: true },
        labels: { type: "object", additionalProperties: { type: "string" } },
        extra: {
          type: "object",
          "x-kubernetes-preserve-unknown-fields": true,
          properties: { known: { type: "integer" } },
        },
        template: {
          type: "object",
          "x-kubernetes-embedded-resource": true,
          "x-kubernetes-preserve-unknown-fields": true,
        },
        ports: {
          type: "array",
          items: {
            type: "object",
            properties: {
              name: { type: "string" },
              port: { type: "integer", default: 80 },
            },
          },
        },
      },
    },
    status: { type: "object", properties: { phase: { type: "string" } } },
  },
};

const cr = (spec: Record<string, unknown>) => crontab("x", spec);

describe("validation", () => {
  test("a valid object has no errors", () => {
    const obj = cr({
      cronSpec: "*/5 * * * *",
      image: "img",
      replicas: 3,
      port: "http",
      tags: ["a"],
      when: "2024-01-01T00:00:00Z",
      note: null,
    });
    expect(validateCustomResource(obj, schema)).toEqual([]);
  });
  test("type errors read as upstream's", () => {
    const errs = validateCustomResource(cr({ cronSpec: "* * * * *", replicas: "string" }), schema);
    expect(errs).toEqual([
      {
        field: "spec.replicas",
        reason: "FieldValueTypeInvalid",
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
  });
  test("required, enum, bounds, lengths, pattern, items, format, int-or-string, null", () => {
    const errs = validateCustomResource(
      cr({
        image: "",
        replicas: 11,
        ratio: 1,
        mode: "Medium",
        port: 1.5,
        tags: ["a", "a", "b"],
        when: "yesterday",
        note: null,
        labels: { a: 1 },
      }),
      schema,
    );
    const messages = errs.map((e) => `${e.field}: ${e.message}`);
    expect(messages).toEqual([
      "spec.cronSpec: Required value",
      'spec.image: Invalid value: "": spec.image in body should be at least 1 chars long',
      "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10",
      "spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1",
      'spec.mode: Unsupported value: "Medium": supported values: "Fast", "Slow"',
      'spec.port: Invalid value: "number": spec.port in body must be of type integer,string: "number"',
      "spec.tags: Too many: 3: must have at most 2 items",
      'spec.tags[1]: Duplicate value: "a"',
      'spec.when: Invalid value: "yesterday": spec.when in body must be of type date-time: "yesterday"',
      'spec.labels.a: Invalid value: "integer": spec.labels.a in body must be of type string: "integer"',
    ]);
    expect(validateValue(null, { type: "string" }, "spec.image")[0].message).toBe(
      'Invalid value: "null": spec.image in body must be of type string: "null"',
    );
    expect(validateValue("x".repeat(21), { type: "string", maxLength: 20 }, "spec.image")[0].message).toBe(
      "Too long: may not be more than 20 bytes",
    );
    expect(validateValue("abc", { type: "string", pattern: "^a+$" }, "spec.p")[0].message).toBe(
      `Invalid value: "abc": spec.p in body should match '^a+$'`,
    );
  });
  test("RE2 patterns JavaScript's Unicode mode refuses still work", () => {
    const s: CrdSchema = { type: "string", pattern: "^[a-z\\_]+\\:[0-9]+$" };
    expect(validateValue("ab_c:12", s, "x")).toEqual([]);
    expect(validateValue("abc", s, "x").map((e) => e.reason)).toEqual(["FieldValueInvalid"]);
  });
  test("keys holding undefined count as absent", () => {
    const errs = validateCustomResource(
      { ...cr({ cronSpec: "* * * * *", image: undefined }), status: undefined },
      schema,
    );
    expect(errs).toEqual([]);
    expect(validateCustomResource(cr({ cronSpec: undefined }), schema).map((e) => e.message)).toEqual([
      "Required value",
    ]);
  });
  test("embedded resources need apiVersion and kind", () => {
    const errs = validateCustomResource(cr({ cronSpec: "* * * * *", template: { metadata: {} } }), schema);
    expect(errs.map((e) => e.field)).toEqual(["spec.template.apiVersion", "spec.template.kind"]);
  });
  test("anyOf / oneOf / not", () => {
    const s: CrdSchema = { anyOf: [{ type: "string" }, { type: "integer" }] };
    expect(validateValue(true, s, "x")[0].message).toContain("must validate at least one schema (anyOf)");
    expect(validateValue(1, { oneOf: [{ minimum: 0 }, { maximum: 5 }] }, "x")[0].message).toContain("(oneOf)");
    expect(validateValue(1, { not: { type: "integer" } }, "x")[0].message).toContain("(not)");
  });
});

describe("pruning", () => {
  test("drops undeclared fields, keeps type meta, preserved and additionalProperties fields", () => {
    const obj: Record<string, unknown> = {
      ...cr({
        cronSpec: "* * * * *",
        bogus: 1,
        labels: { any: "x" },
        extra: { known: 1, free: { a: 1 } },
        ports: [{ name: "a", junk: true }],
      }),
      status: { phase: "Ok", other: 1 },
      topLevel: true,
      template: {},
    };
    const removed = pruneUnknownFields(obj, schema);
    expect(removed.sort()).toEqual(["spec.bogus", "spec.ports[0].junk", "status.other", "template", "topLevel"]);
    expect(obj.metadata).toEqual({ name: "x", namespace: "default" });
    expect((obj.spec as Record<string, unknown>).extra).toEqual({
      known: 1,
      free: { a: 1 },
    });
    expect((obj.spec as Record<string, unknown>).labels).toEqual({ any: "x" });
  });
  test("embedded resources keep apiVersion/kind/metadata", () => {
    const s: CrdSchema = {
      type: "object",
      properties: {
        spec: {
          type: "object",
          properties: {
            t: {
              type: "object",
              "x-kubernetes-embedded-resource": true,
              properties: { spec: { type: "object" } },
            },
          },
        },
      },
    };
    const obj: { spec: { t: Record<string, unknown> } } = {
      spec: {
        t: {
          apiVersion: "v1",
          kind: "Pod",
          metadata: { name: "p" },
          spec: {},
          junk: 1,
        },
      },
    };
    expect(pruneUnknownFields(obj, s)).toEqual(["spec.t.junk"]);
    expect(obj.spec.t).toEqual({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: "p" },
      spec: {},
    });
  });
});

describe("defaulting", () => {
  test("fills missing fields and list items, leaves given values", () => {
    const obj = cr({
      cronSpec: "* * * * *",
      mode: "Fast",
      ports: [{ name: "a" }, { name: "b", port: 8080 }],
    });
    applyDefaults(obj, schema);
    expect(obj.spec).toEqual({
      cronSpec: "* * * * *",
      mode: "Fast",
      replicas: 1,
      ports: [
        { name: "a", port: 80 },
        { name: "b", port: 8080 },
      ],
    });
  });
  test("null is defaulted unless nullable", () => {
    const obj = cr({ replicas: null, note: null });
    applyDefaults(obj, schema);
    expect(obj.spec.replicas).toBe(1);
    expect(obj.spec.note).toBeNull();
  });
});
