import { describe, expect, test } from "bun:test";
import { createClient, isNotFound } from "./client.ts";
import { deployments, inNamespace, pods, refFor } from "./refs.ts";
import { waitFor } from "./testing.ts";
import { ApiError, type Transport, type WatchEvent } from "./types.ts";

interface Seen {
  method: string;
  path: string;
  contentType: string | null;
  body: string;
}

function recordingTransport(respond: (seen: Seen) => Response): {
  transport: Transport;
  seen: Seen[];
} {
  const seen: Seen[] = [];
  const transport: Transport = async (req) => {
    const url = new URL(req.url);
    const entry = {
      method: req.method,
      path: url.pathname + url.search,
      contentType: req.headers.get("content-type"),
      body: req.method === "GET" ? "" : await req.text(),
    };
    seen.push(entry);
    return respond(entry);
  };
  return { transport, seen };
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), {
    status,
    headers: { "content-type": "application/json" },
  });

describe("createClient", () => {
  test("builds core and group paths, queries and bodies", async () => {
    const { transport, seen } = recordingTransport(() => json({ kind: "X", metadata: { name: "a" } }));
    const client = createClient(transport);
    const podsInDefault = inNamespace(pods, "default");
    await client.get(podsInDefault, "web-0");
    await client.list(inNamespace(deployments, "kube-system"), {
      labelSelector: "app=x",
      limit: 10,
    });
    await client.create(podsInDefault, { metadata: { name: "p" } }, { fieldManager: "me" });
    await client.create(podsInDefault, { metadata: { name: "p" }, target: { name: "n1" } }, undefined, "binding");
    await client.update(podsInDefault, { metadata: { name: "p" } }, undefined, "status");
    await client.patch(podsInDefault, "p", { a: 1 }, "merge");
    await client.patch(podsInDefault, "p", [{ op: "add", path: "/x", value: 1 }], "json");
    await client.patch(podsInDefault, "p", { a: 1 }, "strategic");
    await client.patch(podsInDefault, "p", { a: 1 }, "apply", { force: true });
    await client.delete(podsInDefault, "p", { gracePeriodSeconds: 0 });
    await client.get(refFor("v1", "Node", "ignored"), "n1");

    expect(seen.map((s) => `${s.method} ${s.path}`)).toEqual([
      "GET /api/v1/namespaces/default/pods/web-0",
      "GET /apis/apps/v1/namespaces/kube-system/deployments?labelSelector=app%3Dx&limit=10",
      "POST /api/v1/namespaces/default/pods?fieldManager=me",
      "POST /api/v1/namespaces/default/pods/p/binding",
      "PUT /api/v1/namespaces/default/pods/p/status",
      "PATCH /api/v1/namespaces/default/pods/p",
      "PATCH /api/v1/namespaces/default/pods/p",
      "PATCH /api/v1/namespaces/default/pods/p",
      "PATCH /api/v1/namespaces/default/pods/p?fieldManager=k3lite&force=true",
      "DELETE /api/v1/namespaces/default/pods/p",
      "GET /api/v1/nodes/n1",
    ]);
    expect(seen.slice(5, 9).map((s) => s.contentType)).toEqual([
      "application/merge-patch+json",
      "application/json-patch+json",
      "application/strategic-merge-patch+json",
      "application/apply-patch+yaml",
    ]);
    expect(JSON.parse(seen[9].body)).toEqual({
      kind: "DeleteOptions",
      apiVersion: "v1",
      gracePeriodSeconds: 0,
    });
  });

  test("non-2xx answers raise ApiError carrying the Status", async () => {
    const status = {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "NotFound",
      code: 404,
      message: 'pods "x" not found',
    };
    const client = createClient(recordingTransport(() => json(status, 404)).transport);
    const err = await client.get(inNamespace(pods, "default"), "x").catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err.code).toBe(404);
    expect(err.reason).toBe("NotFound");
    expect(err.message).toBe('pods "x" not found');
    expect(isNotFound(err)).toBe(true);

    const plain = createClient(recordingTransport(() => new Response("boom", { status: 500 })).transport);
    const err2 = await plain.list(pods).catch((e) => e);
    expect(err2.code).toBe(500);
    expect(err2.reason).toBe("InternalError");
  });

  test("watch delivers events as lines arrive, split across chunks, and stops", async () => {
    let push: ((text: string) => void) | undefined;
    let cancelled = false;
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        push = (text) => controller.enqueue(new TextEncoder().encode(text));
      },
      cancel() {
        cancelled = true;
      },
    });
    const { transport, seen } = recordingTransport(() => new Response(body));
    const client = createClient(transport);
    const events: WatchEvent[] = [];
    const handle = client.watch(pods, { resourceVersion: "5", allowWatchBookmarks: true }, (ev) => events.push(ev));
    await waitFor(() => push !== undefined && seen.length === 1);
    expect(seen[0].path).toBe("/api/v1/pods?watch=true&resourceVersion=5&allowWatchBookmarks=true");
    push?.('{"type":"ADDED","object":{"metadata":{"name":"a"}}}\n{"type":"MOD');
    await waitFor(() => events.length === 1);
    expect(events[0].object.metadata?.name).toBe("a");
    push?.('IFIED","object":{"metadata":{"name":"b"}}}\n');
    await waitFor(() => events.length === 2);
    expect(events[1].type).toBe("MODIFIED");
    handle.stop();
    await handle.done;
    expect(cancelled).toBe(true);
  });

  test("watch refused by the server delivers an ERROR event, then ends", async () => {
    const gone = {
      kind: "Status",
      apiVersion: "v1",
      status: "Failure",
      reason: "Expired",
      code: 410,
      message: "too old",
    };
    const client = createClient(recordingTransport(() => json(gone, 410)).transport);
    const events: WatchEvent[] = [];
    await client.watch(pods, { resourceVersion: "1" }, (ev) => events.push(ev)).done;
    expect(events).toEqual([{ type: "ERROR", object: gone }]);
  });
});

describe("refFor", () => {
  test("maps kinds to collections", () => {
    expect(refFor("apps/v1", "Deployment", "ns1")).toEqual({
      group: "apps",
      version: "v1",
      resource: "deployments",
      namespace: "ns1",
    });
    expect(refFor("v1", "Namespace", "x")).toEqual({
      group: "",
      version: "v1",
      resource: "namespaces",
    });
    expect(refFor("example.com/v1", "Policy", "d").resource).toBe("policies");
    expect(refFor("example.com/v1", "Gateway").resource).toBe("gateways");
    expect(refFor("example.com/v1", "Ingress").resource).toBe("ingresses");
  });
});
