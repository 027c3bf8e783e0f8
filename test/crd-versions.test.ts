// A CRD with two served versions (v1 stored, v1beta1 served too) through a real server: objects written at either
// version are stored once, at v1, and every read, list, write response and watch event carries the apiVersion the
// request named.

import { beforeAll, describe, expect, test } from "bun:test";
import { adminFetch } from "./admin-fetch.ts";
import { useK3lite, waitFor } from "./harness.ts";

const k = useK3lite();
beforeAll(async () => {
  const r = await k.kubectl(["apply", "-f", "-"], { stdin: CRD });
  if (r.code !== 0) throw new Error(r.stderr);
  await waitFor(
    async () => (await k.kubectl(["get", "gadgets.v1beta1.example.com"])).code === 0,
    30_000,
    "v1beta1 served",
  );
  await waitFor(async () => (await k.kubectl(["get", "gadgets.v1.example.com"])).code === 0, 30_000, "v1 served");
}, 90_000);

const SCHEMA = `    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec: {type: object, properties: {size: {type: integer}}}
`;
const CRD = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget}
  versions:
  - name: v1
    served: true
    storage: true
${SCHEMA}  - name: v1beta1
    served: true
    storage: false
${SCHEMA}`;

const path = (version: string, name = "") =>
  `/apis/example.com/${version}/namespaces/default/gadgets${name ? `/${name}` : ""}`;

/** The parts of a response body the tests read. */
interface Body {
  apiVersion?: string;
  spec?: { size?: number };
  metadata?: { resourceVersion?: string };
  items?: { apiVersion: string }[];
}

async function json(version: string, name = "", init: RequestInit = {}): Promise<{ status: number; body: Body }> {
  const res = await adminFetch(k, path(version, name), init);
  return { status: res.status, body: await res.json() };
}

describe("a CRD served at two versions", () => {
  test("created at v1beta1, read at v1 and v1beta1", async () => {
    const created = await json("v1beta1", "", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        apiVersion: "example.com/v1beta1",
        kind: "Gadget",
        metadata: { name: "g1" },
        spec: { size: 1 },
      }),
    });
    expect(created.status).toBe(201);
    expect(created.body.apiVersion).toBe("example.com/v1beta1");
    expect((await json("v1", "g1")).body.apiVersion).toBe("example.com/v1");
    expect((await json("v1beta1", "g1")).body.apiVersion).toBe("example.com/v1beta1");
    const list = await json("v1");
    expect(list.body.items?.map((o) => o.apiVersion)).toEqual(["example.com/v1"]);
    const betaList = await json("v1beta1");
    expect(betaList.body.items?.map((o) => o.apiVersion)).toEqual(["example.com/v1beta1"]);
  });

  test("kubectl reads either version by name", async () => {
    const v1 = await k.kubectl(["get", "gadgets.v1.example.com", "g1", "-o", "jsonpath={.apiVersion}"]);
    expect(v1.stdout).toBe("example.com/v1");
    const beta = await k.kubectl(["get", "gadgets.v1beta1.example.com", "g1", "-o", "jsonpath={.apiVersion}"]);
    expect(beta.stdout).toBe("example.com/v1beta1");
  });

  test("patch and no-op updates answer at the version asked", async () => {
    const patch = (body: object) => ({
      method: "PATCH",
      headers: { "content-type": "application/merge-patch+json" },
      body: JSON.stringify(body),
    });
    const changed = await json("v1beta1", "g1", patch({ spec: { size: 2 } }));
    expect(changed.body.apiVersion).toBe("example.com/v1beta1");
    expect(changed.body.spec?.size).toBe(2);
    const unchanged = await json("v1beta1", "g1", patch({ spec: { size: 2 } }));
    expect(unchanged.body.apiVersion).toBe("example.com/v1beta1");
    expect(unchanged.body.metadata?.resourceVersion).toBe(changed.body.metadata?.resourceVersion);
    const viaV1 = await json("v1", "g1", patch({ spec: { size: 3 } }));
    expect(viaV1.body.apiVersion).toBe("example.com/v1");
  });

  test("tables name every column's format, empty when it has none (upstream's TableColumnDefinition)", async () => {
    const res = await adminFetch(k, path("v1beta1"), {
      headers: { accept: "application/json;as=Table;v=v1;g=meta.k8s.io" },
    });
    const table = await res.json();
    expect(table.kind).toBe("Table");
    expect(table.columnDefinitions.map((c: { name: string; format: string }) => [c.name, c.format])).toEqual([
      ["Name", "name"],
      ["Age", ""],
    ]);
  });

  test("watch events carry the watched version", async () => {
    const events: { type: string; object: { apiVersion: string; metadata: { name: string } } }[] = [];
    const abort = new AbortController();
    const res = await adminFetch(k, `${path("v1beta1")}?watch=true`, { signal: abort.signal });
    if (!res.body) throw new Error(`watch answered ${res.status} without a body`);
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffered = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buffered += decoder.decode(value, { stream: true });
        let nl = buffered.indexOf("\n");
        while (nl >= 0) {
          events.push(JSON.parse(buffered.slice(0, nl)));
          buffered = buffered.slice(nl + 1);
          nl = buffered.indexOf("\n");
        }
      }
    })().catch(() => undefined);
    try {
      await waitFor(
        () => events.some((e) => e.type === "ADDED" && e.object.metadata.name === "g1"),
        30_000,
        "initial ADDED",
      );
      const created = await json("v1", "", {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          apiVersion: "example.com/v1",
          kind: "Gadget",
          metadata: { name: "g2" },
          spec: { size: 1 },
        }),
      });
      expect(created.body.apiVersion).toBe("example.com/v1");
      await waitFor(
        () => events.some((e) => e.type === "ADDED" && e.object.metadata.name === "g2"),
        30_000,
        "ADDED g2",
      );
      expect((await json("v1", "g2", { method: "DELETE" })).status).toBe(200);
      await waitFor(
        () => events.some((e) => e.type === "DELETED" && e.object.metadata.name === "g2"),
        30_000,
        "DELETED g2",
      );
      expect(new Set(events.map((e) => e.object.apiVersion))).toEqual(new Set(["example.com/v1beta1"]));
    } finally {
      abort.abort();
      await reading;
    }
  });
});
