import { describe, expect, test } from "bun:test";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import { acceptCustomResourceDefinition } from "../crd/conditions.ts";
import { crontabCrd, crontabVersion } from "../crd/testing/crontab.ts";
import { BUILT_IN_RESOURCES } from "../resources/index.ts";
import { servedResourcesOf } from "./from-descriptors.ts";
import { createOpenApiRoutes } from "./routes.ts";

const builtins = servedResourcesOf(BUILT_IN_RESOURCES);

/** An Established CronTab CRD whose schema description tells which resourceVersion it is. */
function establishedCrontab(resourceVersion = "1"): CustomResourceDefinition {
  const schema = {
    type: "object",
    properties: {
      spec: {
        type: "object",
        description: `cron spec ${resourceVersion}`,
        properties: {
          cronSpec: { type: "string" },
          replicas: { type: "integer", nullable: true },
        },
      },
    },
  };
  const crd = crontabCrd(
    [crontabVersion(schema, { subresources: { status: {} } })],
    {},
    { uid: "u1", resourceVersion },
  );
  crd.status = acceptCustomResourceDefinition(crd, []);
  return crd;
}

function setup(crds: CustomResourceDefinition[] = []) {
  const app = createOpenApiRoutes({
    resources: () => builtins,
    customResourceDefinitions: () => crds,
  });
  const get = (path: string, headers: Record<string, string> = {}) => app.request(path, { headers });
  return { get, crds };
}

describe("openapi v3", () => {
  test("index lists every group-version with a hash URL that serves the document immutably", async () => {
    const { get } = setup();
    const index = (await (await get("/openapi/v3")).json()) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    expect(Object.keys(index.paths)).toContain("api/v1");
    expect(Object.keys(index.paths)).toContain("apis/apps/v1");
    const url = index.paths["apis/apps/v1"].serverRelativeURL;
    expect(url).toMatch(/^\/openapi\/v3\/apis\/apps\/v1\?hash=[0-9A-F]{128}$/);
    const res = await get(url);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toContain("immutable");
    const doc = (await res.json()) as {
      openapi: string;
      components: { schemas: Record<string, Record<string, unknown>> };
      paths: Record<string, Record<string, unknown>>;
    };
    expect(doc.openapi).toBe("3.0.0");
    const deployment = doc.components.schemas["io.k8s.api.apps.v1.Deployment"];
    expect(deployment["x-kubernetes-group-version-kind"]).toEqual([
      { group: "apps", kind: "Deployment", version: "v1" },
    ]);
    expect(doc.components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"]).toBeDefined();
    const patch = doc.paths["/apis/apps/v1/namespaces/{namespace}/deployments/{name}"].patch as {
      parameters: { name: string }[];
    };
    expect(patch.parameters.map((p) => p.name)).toContain("fieldValidation");
  });

  test("a stale hash redirects to the current one; ETag answers 304", async () => {
    const { get } = setup();
    const res = await get("/openapi/v3/api/v1?hash=STALE");
    expect(res.status).toBe(301);
    const current = res.headers.get("location") ?? "";
    const fresh = await get(current);
    const etag = fresh.headers.get("etag") ?? "";
    expect((await get(current, { "if-none-match": etag })).status).toBe(304);
    expect((await get("/openapi/v3/apis/nope.example.com/v1")).status).toBe(404);
  });

  test("Established CRDs get a document, rebuilt when their resourceVersion changes", async () => {
    const { get, crds } = setup();
    crds.push(establishedCrontab("1"));
    const index = (await (await get("/openapi/v3")).json()) as {
      paths: Record<string, { serverRelativeURL: string }>;
    };
    const url = index.paths["apis/stable.example.com/v1"].serverRelativeURL;
    const doc = (await (await get(url)).json()) as {
      components: {
        schemas: Record<string, { properties: Record<string, { description?: string }> }>;
      };
      paths: Record<string, unknown>;
    };
    const crontab = doc.components.schemas["com.example.stable.v1.CronTab"];
    expect(crontab.properties.spec.description).toBe("cron spec 1");
    expect(crontab.properties.metadata).toBeDefined();
    expect(doc.components.schemas["com.example.stable.v1.CronTabList"]).toBeDefined();
    expect(Object.keys(doc.paths)).toContain(
      "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}/status",
    );
    crds[0] = establishedCrontab("2");
    const again = (await (await get("/openapi/v3/apis/stable.example.com/v1")).json()) as typeof doc;
    expect(again.components.schemas["com.example.stable.v1.CronTab"].properties.spec.description).toBe("cron spec 2");
    crds[0] = { ...establishedCrontab("3"), status: { conditions: [] } };
    expect((await get("/openapi/v3/apis/stable.example.com/v1")).status).toBe(404);
  });
});

describe("resources without a schema", () => {
  test("are left out rather than failing the documents", async () => {
    const stray = {
      group: "stable.example.com",
      version: "v1",
      kind: "CronTab",
      resource: "crontabs",
      namespaced: true,
      verbs: ["get"],
    };
    const app = createOpenApiRoutes({
      resources: () => [...builtins, stray],
      customResourceDefinitions: () => [],
    });
    expect((await app.request("/openapi/v3")).status).toBe(200);
    expect((await app.request("/openapi/v2")).status).toBe(200);
    expect((await app.request("/openapi/v3/apis/stable.example.com/v1")).status).toBe(404);
  });
});

describe("openapi v2", () => {
  test("one Swagger 2.0 document with definitions, paths and CRD schemas without v3-only keywords", async () => {
    const { get } = setup([establishedCrontab()]);
    const doc = (await (await get("/openapi/v2")).json()) as {
      swagger: string;
      definitions: Record<string, { properties?: Record<string, Record<string, unknown>> }>;
      paths: Record<string, unknown>;
    };
    expect(doc.swagger).toBe("2.0");
    expect(doc.definitions["io.k8s.api.core.v1.Pod"]).toBeDefined();
    expect(doc.paths["/api/v1/namespaces/{namespace}/pods/{name}"]).toBeDefined();
    const spec = doc.definitions["com.example.stable.v1.CronTab"].properties?.spec as {
      properties: Record<string, Record<string, unknown>>;
    };
    expect(spec.properties.replicas.nullable).toBeUndefined();
    const container = doc.definitions["io.k8s.api.core.v1.Container"].properties ?? {};
    expect(container.env["x-kubernetes-patch-merge-key"]).toBe("name");
  });
});
