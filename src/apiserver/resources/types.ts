// What a resource type is to the API server: its names, scope, verbs and subresources, and the behaviour the
// generic REST code calls (defaulting, validation, strategy hooks, table columns, selectable fields).
// One descriptor per type in this folder; CRDs produce descriptors of the same shape at run time.

import type { KubeObject, UserInfo } from "../../api/types.ts";
import type { Authorizer } from "../../auth/authorize.ts";
import type { FieldError, NameValidator } from "../validation.ts";

export type Verb = "get" | "list" | "watch" | "create" | "update" | "patch" | "delete" | "deletecollection";

export const ALL_VERBS: Verb[] = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];

export interface TableColumn {
  name: string;
  type: "string" | "integer" | "number" | "boolean" | "date";
  format?: string;
  description?: string;
  /** 0: default columns; 1: shown only with -o wide. */
  priority?: number;
  cell(obj: KubeObject, now: number): unknown;
}

/** Paths into the object for the autoscaling/v1 Scale subresource. */
export interface ScaleSpec {
  specReplicasPath: string;
  statusReplicasPath: string;
  labelSelectorPath?: string;
}

/** Services the strategy hooks may need (allocators, clocks); supplied by the server at start. */
export interface HookContext {
  allocateServiceIps(svc: KubeObject, old?: KubeObject): Promise<void>;
  releaseServiceIps(svc: KubeObject, keep?: KubeObject): Promise<void>;
  /** Every PriorityClass (for Priority admission of pods). */
  priorityClasses(): Promise<KubeObject[]>;
  dryRun: boolean;
}

/** The authorizer as request handling and the review APIs use it (src/auth/authorize.ts). */
export type RequestAuthorizer = Pick<Authorizer, "authorize" | "rulesFor">;

export type TokenAuthenticator = (
  token: string,
  audiences?: string[],
) => Promise<{ user: UserInfo; audiences: string[] } | { error: string }>;

/** What a virtual create (TokenReview, SubjectAccessReview, …) may use. */
export interface VirtualContext {
  user: UserInfo;
  authorizer: RequestAuthorizer;
  /** Validates a bearer token (TokenReview); absent until the auth component supplies it. */
  authenticateToken?: TokenAuthenticator;
}

export interface ResourceDescriptor {
  group: string;
  version: string;
  kind: string;
  plural: string;
  singular: string;
  listKind?: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  verbs?: Verb[];
  /** Has a `status` subresource: main updates keep status; status updates change only status. */
  status?: boolean;
  scale?: ScaleSpec;
  /** Further subresource names served by special handlers (binding, eviction, log, exec, …). */
  subresources?: string[];
  /** Bump metadata.generation when anything but metadata/status changes (default: true when `status`). */
  generation?: boolean;
  /** How metadata.name is checked (default: DNS-1123 subdomain). */
  nameValidator?: NameValidator;
  /** Not served as a collection (e.g. TokenReview): create only, nothing stored. */
  virtual?: boolean;
  /** Fill in defaults on create and update, as upstream's SetDefaults_*. */
  defaults?(obj: KubeObject): void;
  validate?(obj: KubeObject): FieldError[];
  validateUpdate?(obj: KubeObject, old: KubeObject): FieldError[];
  /** Reset fields a client may not set on create (e.g. status). Default: status is dropped when `status`. */
  prepareCreate?(obj: KubeObject): void;
  beforeCreate?(obj: KubeObject, ctx: HookContext): Promise<void>;
  beforeUpdate?(obj: KubeObject, old: KubeObject, ctx: HookContext): Promise<void>;
  afterDelete?(obj: KubeObject, ctx: HookContext): Promise<void>;
  /** Undo beforeCreate when the write fails. */
  abortCreate?(obj: KubeObject, ctx: HookContext): Promise<void>;
  /** Seconds a deletion waits for someone (the node agent) to confirm; 0 or absent: delete at once. */
  gracePeriod?(obj: KubeObject, requested: number | undefined): number;
  columns?: TableColumn[];
  /** Field-selector fields beyond metadata.name/metadata.namespace. */
  fields?(obj: KubeObject): Record<string, string | undefined>;
  /**
   * This type is another shape of a resource stored elsewhere (events.k8s.io/v1 Events are core/v1 Events): the
   * stored resource's group and plural, and the conversion each way.
   */
  storedAs?: {
    group: string;
    plural: string;
    fromStorage(obj: KubeObject): KubeObject;
    toStorage(obj: KubeObject): KubeObject;
  };
  /** Answers a create of a virtual type (reviews): the object sent back, nothing stored. */
  createVirtual?(obj: KubeObject, ctx: VirtualContext): Promise<KubeObject>;
}

/** Another version's columns for a type stored in that version's shape: each cell reads the converted object. */
export function columnsThrough(columns: TableColumn[] | undefined, toShape: (obj: KubeObject) => KubeObject) {
  return (columns ?? []).map((c) => ({ ...c, cell: (obj: KubeObject, now: number) => c.cell(toShape(obj), now) }));
}

/** Shorthand for the many types that need only names: fills in singular/listKind. */
export function describe(d: Omit<ResourceDescriptor, "singular"> & { singular?: string }): ResourceDescriptor {
  return { ...d, singular: d.singular ?? d.kind.toLowerCase() };
}
