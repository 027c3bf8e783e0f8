// Dispatches a resource request (already parsed into RequestInfo, authenticated and authorized) to the generic
// handler for its verb and subresource, using the type's descriptor.

import type { UserInfo } from "../../api/types.ts";
import { fieldValidationOf } from "../body.ts";
import { badRequest, methodNotSupported, pathNotFound } from "../errors.ts";
import { outputKind } from "../output.ts";
import { verbsOf } from "../registry.ts";
import type { RequestInfo } from "../request-info.ts";
import type { Verb } from "../resources/types.ts";
import { gr } from "../storage.ts";
import type { ApiContext, Scope } from "./context.ts";
import { deleteCollection, deleteObject } from "./delete.ts";
import { ephemeralContainers } from "./ephemeral.ts";
import { getObject, listObjects } from "./read.ts";
import { bind, evict, finalizeNamespace, scale } from "./subresources.ts";
import { watch } from "./watch.ts";
import { create, patch, update } from "./write.ts";

/** Handlers other components register for streaming/special subresources, keyed "pods/log", "serviceaccounts/token". */
export type SubresourceHandler = (s: Scope, name: string) => Promise<Response>;

function dryRunOf(query: URLSearchParams): boolean {
  const values = query.getAll("dryRun");
  if (!values.length) return false;
  for (const v of values)
    if (v !== "All") throw badRequest(`dryRun: Unsupported value: "${v}": supported values: "All"`);
  return true;
}

export async function serveResource(
  ctx: ApiContext,
  info: RequestInfo,
  req: Request,
  query: URLSearchParams,
  user: UserInfo,
  extra: Map<string, SubresourceHandler>,
): Promise<Response> {
  const d = ctx.registry.get(info.group, info.version, info.resource ?? "");
  if (!d) throw pathNotFound();
  const isNamespaceObject = d.group === "" && d.plural === "namespaces";
  if (!d.namespaced && info.namespace && !isNamespaceObject) throw pathNotFound();
  const s: Scope = {
    ctx,
    desc: d,
    info,
    req,
    query,
    user,
    output: outputKind(req.headers.get("accept")),
    namespace: d.namespaced ? info.namespace : undefined,
    dryRun: dryRunOf(query),
    fieldValidation: fieldValidationOf(query.get("fieldValidation")),
  };
  const name = info.name;
  const sub = info.subresource;
  if (!sub) {
    if (!verbsOf(d).includes(info.verb as Verb)) throw methodNotSupported(gr(d), info.verb);
    if (d.namespaced && !s.namespace && (info.verb === "create" || name)) {
      throw badRequest("the server could not find the requested resource: a namespace is required");
    }
    switch (info.verb) {
      case "get":
        return getObject(s, name!);
      case "list":
        return listObjects(s);
      case "watch":
        if (name)
          s.query.set(
            "fieldSelector",
            [s.query.get("fieldSelector"), `metadata.name=${name}`].filter(Boolean).join(","),
          );
        return watch(s);
      case "create":
        return create(s);
      case "update":
        return update(s, name!);
      case "patch":
        return patch(s, name!);
      case "delete":
        return deleteObject(s, name!);
      case "deletecollection":
        return deleteCollection(s);
    }
    throw methodNotSupported(gr(d), info.verb);
  }
  if (!name) throw pathNotFound();
  const verb = info.verb;
  if (sub === "status" && d.status) {
    if (verb === "get") return getObject(s, name);
    if (verb === "update") return update(s, name);
    if (verb === "patch") return patch(s, name);
  } else if (sub === "scale" && d.scale) {
    if (verb === "get" || verb === "update" || verb === "patch") return scale(s, name);
  } else if (sub === "binding" && d.kind === "Pod" && verb === "create") {
    return bind(s, name);
  } else if (sub === "eviction" && d.kind === "Pod" && verb === "create") {
    return evict(s, name);
  } else if (sub === "ephemeralcontainers" && d.kind === "Pod" && d.group === "") {
    if (verb === "get" || verb === "update" || verb === "patch") return ephemeralContainers(s, name);
  } else if (sub === "finalize" && isNamespaceObject && verb === "update") {
    return finalizeNamespace(s, name);
  } else {
    const handler = extra.get(`${d.plural}/${sub}`);
    if (handler && (d.subresources ?? []).includes(sub)) return handler(s, name);
  }
  if (subresourceKnown(d, sub)) throw methodNotSupported(gr(d), verb);
  throw pathNotFound();
}

const subresourceKnown = (d: { status?: boolean; scale?: unknown; subresources?: string[] }, sub: string) =>
  (sub === "status" && d.status) || (sub === "scale" && !!d.scale) || (d.subresources ?? []).includes(sub);
