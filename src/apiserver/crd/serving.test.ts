// CRD serving through the real generic REST code, in process: Established status, discovery, custom
// resources validated/pruned/defaulted, strict field validation, table columns, cleanup on CRD deletion.

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { waitFor } from "../../client/testing.ts";
import { openStore } from "../../store/index.ts";
import type { Store } from "../../store/types.ts";
import { type ApiServer, createApiServer } from "../app.ts";
import { unknownFields } from "./descriptor.ts";
import { type CrdServing, startCrdServing } from "./serving.ts";
import { crontab, crontabCrd, crontabVersion } from "./testing/crontab.ts";

const admin = { username: "admin", groups: ["system:masters"] };
let dir: string;
let store: Store;
let api: ApiServer;
let serving: CrdServing;

// biome-ignore lint/suspicious/noExplicitAny: responses are inspected loosely
type Json = Record<string, any>;

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const req = new Request(`http://k3lite${path}`, {
    method,
    body: body === undefined ? undefined : JSON.stringify(body),
    headers: { "content-type": "application/json", ...headers },
  });
  const res = await api.app.fetch(req, { user: admin });
  return {
    status: res.status,
    body: (await res.json()) as Json,
  };
}

const crdPath = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const crPath = "/apis/stable.example.com/v1/namespaces/default/crontabs";
const crd = crontabCrd([
  crontabVersion(
    {
      type: "object",
      properties: {
        spec: {
          type: "object",
          required: ["cronSpec"],
          properties: {
            cronSpec: { type: "string" },
            replicas: { type: "integer", default: 1, maximum: 10 },
          },
        },
        status: { type: "object", properties: { ok: { type: "boolean" } } },
      },
    },
    {
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: "Spec", type: "string", jsonPath: ".spec.cronSpec" },
        { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
      ],
    },
  ),
]);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "k3lite-crd-"));
  store = await openStore({ dataDir: dir });
  api = createApiServer({ store, serviceCidr: "10.43.0.0/16" });
  api.context.unknownFields = unknownFields;
  serving = await startCrdServing({
    registry: api.registry,
    storage: api.storage,
  });
  await call("POST", "/api/v1/namespaces", {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "default" },
  });
});

afterAll(async () => {
  serving?.stop();
  await store?.close?.();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("CRD serving", () => {
  test("a created CRD becomes Established and its resources appear in discovery", async () => {
    expect((await call("POST", crdPath, crd)).status).toBe(201);
    const established = await waitFor(async () => {
      const got = await call("GET", `${crdPath}/crontabs.stable.example.com`);
      const conditions = (got.body.status?.conditions ?? []) as {
        type: string;
        status: string;
      }[];
      return conditions.some((c) => c.type === "Established" && c.status === "True") ? got.body : undefined;
    }, "Established");
    expect(established.status.acceptedNames).toMatchObject({
      plural: "crontabs",
      kind: "CronTab",
      listKind: "CronTabList",
    });
    expect(established.status.storedVersions).toEqual(["v1"]);
    const resources = await waitFor(async () => {
      const got = await call("GET", "/apis/stable.example.com/v1");
      return got.status === 200 ? got.body : undefined;
    }, "discovery");
    expect(resources.resources.map((r: { name: string }) => r.name)).toEqual(["crontabs", "crontabs/status"]);
  });

  test("custom resources are pruned, defaulted and validated", async () => {
    const created = await call("POST", crPath, crontab("a", { cronSpec: "* * * * */5", junk: 1 }));
    expect(created.status).toBe(201);
    expect(created.body.spec).toEqual({ cronSpec: "* * * * */5", replicas: 1 });
    const strict = await call("POST", `${crPath}?fieldValidation=Strict`, crontab("b", { cronSpec: "x", junk: 1 }));
    expect(strict.status).toBe(400);
    expect(strict.body.message).toContain('unknown field "spec.junk"');
    const invalid = await call("POST", crPath, crontab("c", { replicas: "three" }));
    expect(invalid.status).toBe(422);
    expect(invalid.body.details.causes).toEqual([
      {
        field: "spec.cronSpec",
        reason: "FieldValueRequired",
        message: "Required value",
      },
      {
        field: "spec.replicas",
        reason: "FieldValueTypeInvalid",
        message: 'Invalid value: "string": spec.replicas in body must be of type integer: "string"',
      },
    ]);
  });

  test("status subresource and table columns", async () => {
    const current = (await call("GET", `${crPath}/a`)).body;
    const updated = await call("PUT", `${crPath}/a/status`, {
      ...current,
      status: { ok: true },
    });
    expect(updated.status).toBe(200);
    expect(updated.body.status).toEqual({ ok: true });
    const table = await call("GET", crPath, undefined, {
      accept: "application/json;as=Table;v=v1;g=meta.k8s.io",
    });
    expect(table.body.columnDefinitions.map((c: { name: string }) => c.name)).toEqual(["Name", "Spec", "Replicas"]);
    expect(table.body.rows.map((r: { cells: unknown[] }) => r.cells)).toEqual([["a", "* * * * */5", 1]]);
  });

  test("a CRD refused its names gets them once the CRD holding them goes", async () => {
    const rival = crontabCrd(
      [crontabVersion({ type: "object" })],
      {
        plural: "crontabz",
        singular: "crontabz",
        kind: "Rival",
        shortNames: ["ctz"],
      },
      {
        name: "crontabz.stable.example.com",
      },
    );
    const holder = crontabCrd(
      [crontabVersion({ type: "object" })],
      {
        plural: "holders",
        singular: "holder",
        kind: "Holder",
        shortNames: ["ctz"],
      },
      {
        name: "holders.stable.example.com",
      },
    );
    expect((await call("POST", crdPath, holder)).status).toBe(201);
    await waitFor(
      async () => (api.registry.get("stable.example.com", "v1", "holders") ? true : undefined),
      "holder served",
    );
    expect((await call("POST", crdPath, rival)).status).toBe(201);
    const refused = await waitFor(async () => {
      const got = await call("GET", `${crdPath}/crontabz.stable.example.com`);
      const names = (got.body.status?.conditions ?? []).find((c: { type: string }) => c.type === "NamesAccepted");
      return names ? names : undefined;
    }, "NamesAccepted");
    expect(refused).toMatchObject({
      status: "False",
      reason: "ShortNamesConflict",
    });
    expect((await call("DELETE", `${crdPath}/holders.stable.example.com`)).status).toBe(200);
    await waitFor(
      async () => (api.registry.get("stable.example.com", "v1", "crontabz") ? true : undefined),
      "rival served",
    );
    expect((await call("DELETE", `${crdPath}/crontabz.stable.example.com`)).status).toBe(200);
    await waitFor(
      async () => (api.registry.get("stable.example.com", "v1", "crontabz") ? undefined : true),
      "rival gone",
    );
  });

  test("a restarted API server serves the stored CRDs at once", async () => {
    const again = createApiServer({ store, serviceCidr: "10.43.0.0/16" });
    const servingAgain = await startCrdServing({
      registry: again.registry,
      storage: again.storage,
    });
    await servingAgain.settled();
    try {
      expect(again.registry.get("stable.example.com", "v1", "crontabs")?.kind).toBe("CronTab");
    } finally {
      servingAgain.stop();
    }
  });

  test("deleting the CRD stops serving its resources, removes its objects, then the CRD", async () => {
    const before = await call("GET", `${crdPath}/crontabs.stable.example.com`);
    expect(before.body.metadata.finalizers).toEqual(["customresourcecleanup.apiextensions.k8s.io"]);
    const deleting = await call("DELETE", `${crdPath}/crontabs.stable.example.com`);
    expect(deleting.status).toBe(200);
    expect(deleting.body.metadata.deletionTimestamp).toBeDefined();
    await waitFor(
      async () => ((await call("GET", `${crdPath}/crontabs.stable.example.com`)).status === 404 ? true : undefined),
      "CRD removal",
    );
    expect((await call("GET", crPath)).status).toBe(404);
    await serving.settled();
    const left = await store.list("/registry/stable.example.com/crontabs/", {});
    expect(left.items).toEqual([]);
  });
});
