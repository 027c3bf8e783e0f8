// RFC 6902 JSON Patch (application/json-patch+json) via fast-json-patch, with upstream's error mapping:
// a malformed patch document is 400 BadRequest, an operation that does not apply (failed `test`, missing
// path) is 422 Invalid, more than 10,000 operations is 413.

import { applyPatch, JsonPatchError, type Operation, validate } from "fast-json-patch";
import type { KubeObject } from "../../api/types.ts";
import { badPatch, PatchError, unprocessablePatch } from "./errors.ts";

/** Upstream's cap on operations in one JSON patch (maxJSONPatchOperations). */
const maxOperations = 10_000;

export function applyJsonPatch(current: KubeObject, patch: unknown): KubeObject {
  if (!Array.isArray(patch)) throw badPatch("json: cannot unmarshal object into Go value of type jsonpatch.Patch");
  if (patch.length > maxOperations)
    throw new PatchError(
      413,
      "RequestEntityTooLarge",
      `The request is too large. The server has a limit of ${maxOperations} operations in a JSON patch.`,
    );
  const shapeError = validate(patch as Operation[]);
  if (shapeError) throw badPatch(describe(shapeError));
  try {
    // mutateDocument=false: fast-json-patch copies the document once and applies every operation to the copy.
    return applyPatch(current, patch as Operation[], true, false).newDocument;
  } catch (err) {
    if (err instanceof JsonPatchError) throw unprocessablePatch(describe(err));
    throw err;
  }
}

/** Error text in the words of upstream's JSON patch library, naming the operation and path. */
function describe(err: InstanceType<typeof JsonPatchError>): string {
  const op = err.operation as Partial<Operation> | undefined;
  const where = op?.path ?? "";
  switch (err.name) {
    case "TEST_OPERATION_FAILED":
      return `testing value ${where} failed: test failed`;
    case "OPERATION_PATH_UNRESOLVABLE":
      return `${op?.op} operation does not apply: doc is missing path: "${where}": missing value`;
    case "OPERATION_FROM_UNRESOLVABLE":
      return `${op?.op} operation does not apply: doc is missing from path: "${(op as { from?: string })?.from}": missing value`;
    case "OPERATION_PATH_ILLEGAL_ARRAY_INDEX":
    case "OPERATION_VALUE_OUT_OF_BOUNDS":
      return `${op?.op} operation does not apply: "${where}": index out of range`;
    case "OPERATION_OP_INVALID":
      return `Unexpected kind: ${String(op?.op)}`;
    default:
      return `${err.message.split("\n")[0]}${where ? ` (path "${where}")` : ""}`;
  }
}
