// What every REST handler receives: the server-wide context (registry, storage, hooks, authorizer, patcher)
// and the per-request scope (descriptor, request info, user, query).

import type { KubeObject, UserInfo } from "../../api/types.ts";
import type { FieldValidation } from "../body.ts";
import type { OutputKind } from "../output.ts";
import type { Registry } from "../registry.ts";
import type { RequestInfo } from "../request-info.ts";
import type { HookContext, RequestAuthorizer, ResourceDescriptor, TokenAuthenticator } from "../resources/types.ts";
import type { ObjectStorage } from "../storage.ts";

/** Applies a PATCH body to the current object (json, merge, strategic, or server-side apply). */
export type Patcher = (args: {
  descriptor: ResourceDescriptor;
  current: KubeObject | undefined;
  patch: unknown;
  patchText: string;
  contentType: string;
  fieldManager: string;
  force: boolean;
  subresource?: string;
}) => KubeObject | Promise<KubeObject>;

export interface ApiContext {
  registry: Registry;
  storage: ObjectStorage;
  hooks: Omit<HookContext, "dryRun">;
  authorizer: RequestAuthorizer;
  authenticateToken?: TokenAuthenticator;
  patch: Patcher;
  /** Events one watcher may have queued before it is dropped as too slow (default MAX_QUEUED_EVENTS). */
  watchQueueLimit?: number;
  /** Names fields a type's schema does not know (for fieldValidation); absent = no unknown-field check. */
  unknownFields?(descriptor: ResourceDescriptor, obj: KubeObject): string[];
  /** Validating admission before a create or update is stored (RBAC escalation prevention); throws to refuse. */
  admit?(request: AdmissionRequest): Promise<void>;
}

/** What admission sees of a write: who, which type, the object as it would be stored, and the stored one. */
export interface AdmissionRequest {
  user: UserInfo;
  descriptor: ResourceDescriptor;
  operation: "create" | "update";
  obj: KubeObject;
  old?: KubeObject;
}

export interface Scope {
  ctx: ApiContext;
  desc: ResourceDescriptor;
  info: RequestInfo;
  req: Request;
  query: URLSearchParams;
  user: UserInfo;
  output: OutputKind;
  namespace?: string;
  dryRun: boolean;
  fieldValidation: FieldValidation;
}

export const apiVersionOf = (d: ResourceDescriptor) => (d.group ? `${d.group}/${d.version}` : d.version);
export const listKindOf = (d: ResourceDescriptor) => d.listKind ?? `${d.kind}List`;
export const hooksFor = (s: Scope): HookContext => ({ ...s.ctx.hooks, dryRun: s.dryRun });
