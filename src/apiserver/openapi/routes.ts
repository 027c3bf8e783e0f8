// HTTP handlers for /openapi/v2, /openapi/v3 (the index) and /openapi/v3/<api/v1|apis/group/version>, with
// ETags and upstream's `?hash=` contract (a matching hash may be cached forever; a stale one is redirected).
//
//   app.route("/", createOpenApiRoutes({ resources: () => builtins, customResourceDefinitions: () => crds }))

import { createHash } from "node:crypto";
import { type Context, Hono } from "hono";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import { isEstablished } from "../crd/conditions.ts";
import { groupVersionPath, OpenApiModel } from "./documents.ts";
import type { ServedResource } from "./paths.ts";
import { encodeSwaggerProto } from "./swagger-proto.ts";

export type { ServedResource };

/** Where the documents come from. Both are read on every request, so keep them cheap (e.g. an informer cache). */
export interface OpenApiSource {
  /** The built-in resources served (from the resource descriptors); assumed not to change while running. */
  resources(): ServedResource[];
  /** The CustomResourceDefinitions that exist; only Established ones are published. */
  customResourceDefinitions(): CustomResourceDefinition[] | Promise<CustomResourceDefinition[]>;
}

interface Rendered {
  body: string | Uint8Array;
  hash: string;
  contentType: string;
  /** The body gzipped, made on the first request that accepts it. */
  gzipped?: Uint8Array;
}

/** What kubectl ≤ 1.28 (and other gnostic-based clients) ask /openapi/v2 for… */
const SWAGGER_PROTO = "application/com.github.proto-openapi.spec.v2@v1.0+protobuf";
/** …and the type upstream answers with ("@" is not valid in a media type, so clients' MIME parsers reject it). */
const SWAGGER_PROTO_RESPONSE = "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

function render(doc: unknown, as: "json" | "protobuf" = "json"): Rendered {
  const body = as === "json" ? JSON.stringify(doc) : encodeSwaggerProto(doc as Record<string, unknown>);
  return {
    body,
    hash: createHash("sha512").update(body).digest("hex").toUpperCase(),
    contentType: as === "json" ? "application/json" : SWAGGER_PROTO_RESPONSE,
  };
}

/** Which CRDs a document depends on: its cache is valid while their uid/resourceVersion are unchanged. */
const fingerprint = (crds: CustomResourceDefinition[]) =>
  crds
    .map((c) => `${c.metadata?.name}/${c.metadata?.uid}/${c.metadata?.resourceVersion}`)
    .sort()
    .join(",");

const crdGroupVersions = (crd: CustomResourceDefinition) =>
  crd.spec.versions.filter((v) => v.served).map((v) => groupVersionPath(crd.spec.group, v.name));

export function createOpenApiRoutes(source: OpenApiSource): Hono {
  const cache = new Map<string, Rendered | null>();
  let builtinModel: OpenApiModel | undefined;

  async function established(): Promise<CustomResourceDefinition[]> {
    return (await source.customResourceDefinitions()).filter(isEstablished);
  }

  /** The document for `key` built from a model of only the CRDs it depends on, cached under their fingerprint. */
  function cached(
    key: string,
    crds: CustomResourceDefinition[],
    build: (m: OpenApiModel) => unknown,
    as: "json" | "protobuf" = "json",
  ): Rendered | null {
    const full = `${key}#${fingerprint(crds)}`;
    let hit = cache.get(full);
    if (hit === undefined) {
      for (const k of cache.keys()) if (k.startsWith(`${key}#`)) cache.delete(k);
      builtinModel ??= new OpenApiModel(source.resources(), []);
      const model = crds.length ? new OpenApiModel(source.resources(), crds) : builtinModel;
      const doc = build(model);
      hit = doc === undefined ? null : render(doc, as);
      cache.set(full, hit);
    }
    return hit;
  }

  async function v3Document(gvPath: string): Promise<Rendered | null> {
    const crds = (await established()).filter((c) => crdGroupVersions(c).includes(gvPath));
    return cached(`v3:${gvPath}`, crds, (m) => m.openapi3(gvPath));
  }

  const app = new Hono();

  app.get("/openapi/v2", async (c) => {
    const accept = c.req.header("accept") ?? "";
    const proto = accept.includes(SWAGGER_PROTO) || accept.includes(SWAGGER_PROTO_RESPONSE);
    const doc = cached(proto ? "v2pb" : "v2", await established(), (m) => m.swagger2(), proto ? "protobuf" : "json");
    return send(c, doc as Rendered);
  });

  app.get("/openapi/v3", async (c) => {
    const crds = await established();
    builtinModel ??= new OpenApiModel(source.resources(), []);
    const gvs = new Set([...builtinModel.groupVersions(), ...crds.flatMap(crdGroupVersions)]);
    const paths: Record<string, { serverRelativeURL: string }> = {};
    for (const gv of [...gvs].sort()) {
      const doc = await v3Document(gv);
      if (doc) paths[gv] = { serverRelativeURL: `/openapi/v3/${gv}?hash=${doc.hash}` };
    }
    return send(c, render({ paths }));
  });

  app.get("/openapi/v3/*", async (c) => {
    const gvPath = c.req.path.slice("/openapi/v3/".length).replace(/\/$/, "");
    const doc = await v3Document(gvPath);
    if (!doc)
      return c.json(
        {
          kind: "Status",
          apiVersion: "v1",
          metadata: {},
          status: "Failure",
          message: "the server could not find the requested resource",
          reason: "NotFound",
          details: {},
          code: 404,
        },
        404,
      );
    const asked = c.req.query("hash");
    if (asked !== undefined && asked !== doc.hash) {
      // upstream answers a stale hash with a redirect to the current one
      return c.redirect(`/openapi/v3/${gvPath}?hash=${doc.hash}`, 301);
    }
    return send(c, doc, asked !== undefined);
  });

  return app;
}

function send(c: Context, doc: Rendered, immutable = false): Response {
  const etag = `"${doc.hash}"`;
  const headers: Record<string, string> = {
    "content-type": doc.contentType,
    etag,
    "cache-control": immutable ? "public, immutable" : "no-cache, private",
  };
  if (immutable) headers.expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  headers.vary = "Accept-Encoding";
  if (c.req.header("if-none-match") === etag) return new Response(null, { status: 304, headers });
  // The documents are large (hundreds of KiB) and compress about eightfold; compress each once.
  if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
    doc.gzipped ??= Bun.gzipSync(
      typeof doc.body === "string" ? new TextEncoder().encode(doc.body) : (doc.body as Uint8Array<ArrayBuffer>),
    );
    headers["content-encoding"] = "gzip";
    return new Response(doc.gzipped as BodyInit, { status: 200, headers });
  }
  return new Response(doc.body as BodyInit, { status: 200, headers });
}
