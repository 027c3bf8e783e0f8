import { expect, test } from "bun:test";
import generated from "../src/apiserver/openapi/generated/definitions.json" with { type: "json" };
import { generateDefinitions } from "./gen-openapi.ts";

test("the committed OpenAPI definitions are what the generator makes now (else: bun scripts/gen-openapi.ts)", () => {
  expect(generateDefinitions()).toEqual(generated.definitions as unknown as ReturnType<typeof generateDefinitions>);
});
