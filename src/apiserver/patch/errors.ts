// Errors raised by patching and server-side apply. Each carries what the API server needs to build a `Status`
// (code, reason, message, causes) exactly as kube-apiserver would, so kubectl prints the familiar text.

/** One `details.causes[]` entry of the Status the error becomes. */
export interface PatchCause {
  type?: string;
  message: string;
  field?: string;
}

export type PatchErrorCode = 400 | 409 | 413 | 415 | 422;

/** A patch that cannot be decoded or applied; the core turns it into a Status with this code and reason. */
export class PatchError extends Error {
  constructor(
    readonly code: PatchErrorCode,
    readonly reason: string,
    message: string,
    readonly causes?: PatchCause[],
  ) {
    super(message);
    this.name = "PatchError";
  }
}

/** 400 BadRequest: the patch document itself is malformed (bad JSON Patch ops, bad directives). */
export function badPatch(message: string): PatchError {
  return new PatchError(400, "BadRequest", message);
}

/**
 * 422 Invalid: a well-formed patch that cannot be applied to this object (failed `test`, missing path).
 * Upstream answers with only a generic message; ours keeps that text and appends which operation failed.
 */
export function unprocessablePatch(detail: string): PatchError {
  return new PatchError(422, "Invalid", `the server rejected our request due to an error in our request: ${detail}`);
}

/** A server-side apply conflict with fields another manager owns: 409 Conflict, one cause per field. */
export class ApplyConflictError extends PatchError {
  constructor(
    message: string,
    /** Each conflicting field: the manager as printed, the path as printed and as FieldsV1 elements. */
    readonly conflicts: { manager: string; field: string; path: string[] }[],
  ) {
    super(
      409,
      "Conflict",
      message,
      conflicts.map((c) => ({
        type: "FieldManagerConflict",
        message: `conflict with ${c.manager}`,
        field: c.field,
      })),
    );
    this.name = "ApplyConflictError";
  }
}

/** Builds the Status object for an error raised here (for callers that do not have their own builder). */
export function statusOf(err: PatchError): {
  apiVersion: "v1";
  kind: "Status";
  metadata: Record<string, never>;
  status: "Failure";
  message: string;
  reason: string;
  code: number;
  details?: { causes: PatchCause[] };
} {
  return {
    apiVersion: "v1",
    kind: "Status",
    metadata: {},
    status: "Failure",
    message: err.message,
    reason: err.reason,
    code: err.code,
    ...(err.causes ? { details: { causes: err.causes } } : {}),
  };
}
