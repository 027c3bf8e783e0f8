// POST (create), PUT (update) and PATCH of objects and of their status: the body is read and checked here, then
// handed to the shared write paths in writes.ts. Status subresource writes change only status; main-resource
// writes keep the stored status (for types that have a status subresource), as upstream's strategies do.

import type { KubeObject } from "../../api/types.ts";
import { asObject, mediaType, parseBody, readBody, readText } from "../body.ts";
import { badRequest, forbidden, methodNotSupported } from "../errors.ts";
import { cloneJson } from "../patch/json.ts";
import { gr } from "../storage.ts";
import type { Scope } from "./context.ts";
import { applyNamespace, checkTypeMeta } from "./metadata.ts";
import { patchTypeOf, trackManagedFields } from "./patch.ts";
import { respondWith } from "./read.ts";
import { createObject, guaranteedUpdate, type WriteResult } from "./writes.ts";

export interface ReadBody {
  obj: KubeObject;
  warnings: string[];
}

/** Reads an object body and applies fieldValidation (Strict → 400, Warn → Warning headers). */
export async function readObjectBody(s: Scope): Promise<ReadBody> {
  const parsed = await readBody(s.req, s.fieldValidation === "Strict");
  const obj = asObject(parsed.value);
  const problems = [...parsed.fieldProblems];
  if (s.fieldValidation !== "Ignore" && s.ctx.unknownFields)
    problems.push(...s.ctx.unknownFields(s.desc, obj).map((f) => `unknown field "${f}"`));
  if (problems.length && s.fieldValidation === "Strict") {
    const { kind, version } = s.desc;
    throw badRequest(
      `${kind} in version "${version}" cannot be handled as a ${kind}: strict decoding error: ${problems.join(", ")}`,
    );
  }
  return { obj, warnings: s.fieldValidation === "Warn" ? problems : [] };
}

/** metadata.managedFields for this write (upstream's fieldmanager runs on every create, update and patch). */
function track(s: Scope, previous: KubeObject | undefined, next: KubeObject): KubeObject {
  return trackManagedFields(s.desc, previous, next, s.req, s.query.get("fieldManager"), s.info.subresource);
}

export function withWarnings(res: Response, warnings: string[]): Response {
  for (const w of warnings) res.headers.append("Warning", `299 - ${JSON.stringify(w)}`);
  return res;
}

function answer(s: Scope, status: number, r: WriteResult, warnings: string[] = []): Response {
  return withWarnings(respondWith(s, status, r.obj, r.text), warnings);
}

export async function create(s: Scope): Promise<Response> {
  const { obj, warnings } = await readObjectBody(s);
  const d = s.desc;
  if (d.virtual) {
    if (!d.createVirtual) throw methodNotSupported(gr(d), "create");
    checkTypeMeta(obj, d);
    const out = await d.createVirtual(obj, {
      user: s.user,
      authorizer: s.ctx.authorizer,
      authenticateToken: s.ctx.authenticateToken,
    });
    return answer(s, 201, { obj: out }, warnings);
  }
  checkTypeMeta(obj, d);
  applyNamespace(obj, d, s.namespace);
  await authorizeNamedCreate(s, obj);
  return answer(s, 201, await createObject(s, track(s, undefined, obj)), warnings);
}

/**
 * A create's URL names no object, so the request was authorized without a name; authorizers that decide by name
 * (the Node authorizer: a node may create only its own Node and Lease) are asked again with the body's name.
 */
async function authorizeNamedCreate(s: Scope, obj: KubeObject): Promise<void> {
  const name = obj.metadata?.name;
  if (!name || s.info.subresource) return;
  const { group, version, resource } = s.info;
  const attrs = { verb: "create", apiGroup: group, apiVersion: version, resource, namespace: s.namespace, name };
  const decision = await s.ctx.authorizer.authorize(s.user, attrs);
  if (!decision.allowed) {
    throw forbidden(
      { user: s.user.username, verb: "create", resource, group, namespace: s.namespace, name },
      decision.reason ?? "",
    );
  }
}

/** Main-resource writes keep the stored status; status writes keep everything else (metadata included). */
export function restrictToSubresource(s: Scope, next: KubeObject, current: KubeObject): KubeObject {
  if (s.info.subresource === "status") {
    const rv = next.metadata?.resourceVersion;
    const out = { ...current, status: next.status };
    out.metadata = { ...current.metadata, resourceVersion: rv ?? current.metadata?.resourceVersion };
    return out;
  }
  if (s.desc.status) next.status = current.status;
  return next;
}

/** A body may leave the name out (`given` undefined), but not name another object than the URL does. */
export function assertNameMatches(given: string | undefined, name: string): void {
  if (given !== undefined && given !== name)
    throw badRequest(`the name of the object (${given}) does not match the name on the URL (${name})`);
}

export interface ReadPatch {
  type: ReturnType<typeof patchTypeOf>;
  /** The patch applied to `current` (undefined: server-side apply creating the object). */
  applyTo(current: KubeObject | undefined): Promise<KubeObject>;
}

/** Reads and parses a PATCH body once, whatever its type (JSON, merge, strategic merge, server-side apply). */
export async function readPatch(s: Scope): Promise<ReadPatch> {
  const contentType = mediaType(s.req);
  const type = patchTypeOf(contentType);
  const patchText = await readText(s.req);
  const parsed = parseBody(patchText, type === "apply" ? "application/yaml" : "application/json", false);
  const fieldManager = s.query.get("fieldManager") ?? "";
  if (type === "apply" && !fieldManager)
    throw badRequest("PATCH requests with apply content type must include a fieldManager");
  const force = s.query.get("force") === "true";
  return {
    type,
    applyTo: async (current) =>
      asObject(
        await s.ctx.patch({
          descriptor: s.desc,
          current,
          patch: parsed.value,
          patchText,
          contentType,
          fieldManager,
          force,
          subresource: s.info.subresource,
        }),
      ),
  };
}

export async function update(s: Scope, name: string): Promise<Response> {
  const { obj, warnings } = await readObjectBody(s);
  checkTypeMeta(obj, s.desc);
  applyNamespace(obj, s.desc, s.namespace);
  assertNameMatches(obj.metadata?.name || undefined, name);
  obj.metadata ??= {};
  obj.metadata.name = name;
  const r = await guaranteedUpdate(s, name, (current) =>
    track(s, current, restrictToSubresource(s, cloneJson(obj), current)),
  );
  return answer(s, 200, r, warnings);
}

export async function patch(s: Scope, name: string): Promise<Response> {
  const { type, applyTo } = await readPatch(s);
  const createIfMissing =
    type === "apply" && !s.info.subresource
      ? async () => {
          const obj = await applyTo(undefined);
          checkTypeMeta(obj, s.desc);
          applyNamespace(obj, s.desc, s.namespace);
          assertNameMatches(obj.metadata?.name ?? "", name); // apply must name the object it creates
          return createObject(s, obj);
        }
      : undefined;
  let created = false;
  const r = await guaranteedUpdate(
    s,
    name,
    async (current) => {
      const next = await applyTo(current);
      checkTypeMeta(next, s.desc);
      assertNameMatches(next.metadata?.name, name);
      const restricted = restrictToSubresource(s, next, current);
      // Apply records its own ownership; every other patch is an update by its field manager.
      return type === "apply" ? restricted : track(s, current, restricted);
    },
    {
      createIfMissing:
        createIfMissing &&
        (async () => {
          created = true;
          return createIfMissing();
        }),
    },
  );
  return answer(s, created ? 201 : 200, r);
}
