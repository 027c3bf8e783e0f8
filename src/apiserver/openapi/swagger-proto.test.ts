import { expect, test } from "bun:test";
import { encodeSwaggerProto } from "./swagger-proto.ts";

/** Decodes protobuf wire format into { field: [values] } trees (length-delimited values kept as bytes). */
function decode(bytes: Uint8Array): Map<number, (number | Uint8Array)[]> {
  const out = new Map<number, (number | Uint8Array)[]>();
  let at = 0;
  const varint = () => {
    let n = 0;
    let mul = 1;
    for (;;) {
      const b = bytes[at++];
      n += (b & 0x7f) * mul;
      if (b < 0x80) return n;
      mul *= 0x80;
    }
  };
  while (at < bytes.length) {
    const key = varint();
    const field = Math.floor(key / 8);
    const wire = key % 8;
    let value: number | Uint8Array;
    if (wire === 0) value = varint();
    else if (wire === 1) {
      value = new DataView(bytes.buffer, bytes.byteOffset + at, 8).getFloat64(0, true);
      at += 8;
    } else {
      const len = varint();
      value = bytes.subarray(at, at + len);
      at += len;
    }
    out.set(field, [...(out.get(field) ?? []), value]);
  }
  return out;
}
const text = (v: unknown) => new TextDecoder().decode(v as Uint8Array);
const sub = (m: Map<number, (number | Uint8Array)[]>, field: number, i = 0) => decode(m.get(field)?.[i] as Uint8Array);

test("gnostic field numbers: document, definitions with extensions, paths with query parameters", () => {
  const doc = {
    swagger: "2.0",
    info: { title: "Kubernetes", version: "v1.32.0" },
    paths: {
      "/apis/apps/v1/namespaces/{namespace}/deployments/{name}": {
        parameters: [{ name: "name", in: "path", required: true, type: "string" }],
        patch: {
          operationId: "patchAppsV1NamespacedDeployment",
          "x-kubernetes-group-version-kind": {
            group: "apps",
            version: "v1",
            kind: "Deployment",
          },
          parameters: [
            {
              name: "body",
              in: "body",
              required: true,
              schema: { type: "object" },
            },
            { name: "fieldValidation", in: "query", type: "string" },
          ],
          responses: {
            "200": { description: "OK", schema: { $ref: "#/definitions/D" } },
          },
        },
      },
    },
    definitions: {
      D: {
        type: "object",
        required: ["spec"],
        properties: { spec: { type: "integer", maximum: 5 } },
        "x-kubernetes-group-version-kind": [{ group: "apps", version: "v1", kind: "Deployment" }],
      },
    },
  };
  const d = decode(encodeSwaggerProto(doc));
  expect(text(d.get(1)?.[0])).toBe("2.0");
  expect(text(sub(d, 2).get(2)?.[0])).toBe("v1.32.0");

  const definition = sub(d, 9);
  const named = sub(definition, 1);
  expect(text(named.get(1)?.[0])).toBe("D");
  const schema = sub(named, 2);
  expect(text(sub(schema, 22).get(1)?.[0])).toBe("object");
  expect(text(schema.get(19)?.[0])).toBe("spec");
  const extension = sub(schema, 31);
  expect(text(extension.get(1)?.[0])).toBe("x-kubernetes-group-version-kind");
  expect(JSON.parse(text(sub(extension, 2).get(2)?.[0]))).toEqual([
    { group: "apps", version: "v1", kind: "Deployment" },
  ]);
  const spec = sub(sub(sub(schema, 25), 1), 2);
  expect(spec.get(7)?.[0]).toBe(5);

  const path = sub(sub(d, 8), 2);
  expect(text(path.get(1)?.[0])).toContain("/deployments/{name}");
  const item = sub(path, 2);
  const pathParam = sub(sub(sub(sub(item, 9), 1), 2), 4);
  expect(text(pathParam.get(4)?.[0])).toBe("name");
  const patch = sub(item, 8);
  expect(text(patch.get(5)?.[0])).toBe("patchAppsV1NamespacedDeployment");
  const body = sub(sub(sub(patch, 8, 0), 1), 1);
  expect(text(body.get(2)?.[0])).toBe("body");
  const query = sub(sub(sub(sub(patch, 8, 1), 1), 2), 3);
  expect(text(query.get(4)?.[0])).toBe("fieldValidation");
  expect(text(query.get(2)?.[0])).toBe("query");
  const response = sub(sub(sub(patch, 9), 1), 2);
  expect(text(sub(sub(sub(response, 1), 2), 1).get(1)?.[0])).toBe("#/definitions/D");
});
