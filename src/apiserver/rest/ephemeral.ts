// pods/<name>/ephemeralcontainers (what `kubectl debug` writes): GET answers the Pod; PUT and PATCH change only
// spec.ephemeralContainers, append-only, as upstream's EphemeralContainersStrategy (everything else is ignored).

import type { core, KubeObject } from "../../api/types.ts";
import { methodNotSupported } from "../errors.ts";
import { cloneJson, jsonEqual } from "../patch/json.ts";
import { gr } from "../storage.ts";
import { dns1123Label, duplicate, type FieldError, forbiddenField, required, throwIfInvalid } from "../validation.ts";
import type { Scope } from "./context.ts";
import { trackManagedFields } from "./patch.ts";
import { getObject, respondWith } from "./read.ts";
import { assertNameMatches, readObjectBody, readPatch } from "./write.ts";
import { guaranteedUpdate } from "./writes.ts";

/** Fields a Container has that an ephemeral one may not set (it gets no ports, probes, hooks or resources). */
const NOT_FOR_EPHEMERAL = ["ports", "livenessProbe", "readinessProbe", "startupProbe", "lifecycle", "resources"];

/** Upstream's ValidatePodEphemeralContainersUpdate, reduced to the rules that keep the agent's model sound. */
export function validateEphemeralUpdate(next: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const wanted: core.EphemeralContainer[] = next.spec?.ephemeralContainers ?? [];
  const existing: core.EphemeralContainer[] = old.spec?.ephemeralContainers ?? [];
  const byName = new Map(wanted.map((c) => [c.name, c]));
  for (const [i, prev] of existing.entries()) {
    const now = byName.get(prev.name);
    if (!now) {
      errs.push(
        forbiddenField("spec.ephemeralContainers", `existing ephemeral containers "${prev.name}" may not be removed`),
      );
    } else if (!jsonEqual(now, prev)) {
      errs.push(
        forbiddenField(
          `spec.ephemeralContainers[${i}]`,
          `existing ephemeral containers "${prev.name}" may not be changed`,
        ),
      );
    }
  }
  const spec = next.spec ?? {};
  const regular = [...(spec.initContainers ?? []), ...(spec.containers ?? [])].map((c: { name: string }) => c.name);
  const taken = new Set<string>(regular);
  for (const [i, c] of wanted.entries()) {
    const at = `spec.ephemeralContainers[${i}]`;
    if (!c.name) errs.push(required(`${at}.name`));
    else {
      for (const msg of dns1123Label(c.name))
        errs.push({ field: `${at}.name`, reason: "FieldValueInvalid", message: `Invalid value: "${c.name}": ${msg}` });
      if (taken.has(c.name)) errs.push(duplicate(`${at}.name`, c.name));
      taken.add(c.name);
    }
    if (!c.image) errs.push(required(`${at}.image`));
    if (c.targetContainerName && !regular.includes(c.targetContainerName)) {
      errs.push({
        field: `${at}.targetContainerName`,
        reason: "FieldValueNotFound",
        message: `Not found: "${c.targetContainerName}"`,
      });
    }
    const fields = c as unknown as Record<string, unknown>;
    for (const f of NOT_FOR_EPHEMERAL)
      if (fields[f] !== undefined && !isEmpty(fields[f]))
        errs.push(forbiddenField(`${at}.${f}`, "cannot be set for an Ephemeral Container"));
    if (c.restartPolicy) errs.push(forbiddenField(`${at}.restartPolicy`, "cannot be set for an Ephemeral Container"));
  }
  return errs;
}

const isEmpty = (v: unknown) =>
  v === null || (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.keys(v as object).length === 0);

/** The handler the router calls for pods/<name>/ephemeralcontainers. */
export async function ephemeralContainers(s: Scope, name: string): Promise<Response> {
  const verb = s.info.verb;
  if (verb === "get") return getObject(s, name);
  if (verb !== "update" && verb !== "patch") throw methodNotSupported(gr(s.desc), verb);
  const wantedOf = await readWanted(s, name);
  const r = await guaranteedUpdate(
    s,
    name,
    async (current) => {
      const wanted = await wantedOf(current);
      const next = cloneJson(current);
      next.spec = { ...next.spec, ephemeralContainers: wanted.spec?.ephemeralContainers ?? [] };
      if (!next.spec.ephemeralContainers.length) delete next.spec.ephemeralContainers;
      throwIfInvalid(validateEphemeralUpdate(next, current), s.desc.group, s.desc.kind, name);
      // A resourceVersion in the body is a precondition (guaranteedUpdate answers 409 when it is stale).
      const rv = wanted.metadata?.resourceVersion;
      if (rv) next.metadata = { ...next.metadata, resourceVersion: rv };
      return trackManagedFields(s.desc, current, next, s.req, s.query.get("fieldManager"), "ephemeralcontainers");
    },
    // The pod strategy's update validation forbids spec changes; this subresource validates its own field.
    { admit: false },
  );
  return respondWith(s, 200, r.obj, r.text);
}

/** Reads the body once; returns how to get the wanted pod from the current one (the body, or the patched pod). */
async function readWanted(s: Scope, name: string): Promise<(current: KubeObject) => Promise<KubeObject>> {
  if (s.info.verb === "update") {
    const { obj } = await readObjectBody(s);
    assertNameMatches(obj.metadata?.name || undefined, name);
    return async () => obj;
  }
  const { applyTo } = await readPatch(s);
  return applyTo;
}
