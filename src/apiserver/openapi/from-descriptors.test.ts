import { expect, test } from "bun:test";
import { BUILT_IN_RESOURCES } from "../resources/index.ts";
import { OpenApiModel } from "./documents.ts";
import { servedResourcesOf } from "./from-descriptors.ts";

test("every built-in descriptor has a schema and yields its group-version document", () => {
  const served = servedResourcesOf(BUILT_IN_RESOURCES);
  const missing = BUILT_IN_RESOURCES.filter(
    (d) => !served.some((s) => s.kind === d.kind && s.group === d.group && s.version === d.version),
  );
  expect(missing.map((d) => `${d.group}/${d.version}/${d.kind}`)).toEqual([]);
  const model = new OpenApiModel(served, []);
  for (const gv of model.groupVersions()) expect(model.openapi3(gv)).toBeDefined();
  const v2 = model.swagger2() as { paths: Record<string, unknown> };
  expect(Object.keys(v2.paths)).toContain("/apis/apps/v1/namespaces/{namespace}/deployments/{name}/scale");
});
