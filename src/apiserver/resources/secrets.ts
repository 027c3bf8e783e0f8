// core/v1 Secret: type Opaque by default, stringData folded into base64 data on write (as upstream), TYPE/DATA columns.

import { ageColumn, col, nameColumn } from "../table.ts";
import { invalidValue } from "../validation.ts";
import { dataCount, validateDataKeys, validateImmutableData } from "./configmaps.ts";
import { describe } from "./types.ts";

export default describe({
  group: "",
  version: "v1",
  kind: "Secret",
  plural: "secrets",
  namespaced: true,
  defaults(secret) {
    secret.type ??= "Opaque";
    if (secret.stringData) {
      secret.data ??= {};
      for (const [k, v] of Object.entries(secret.stringData as Record<string, string>))
        secret.data[k] = Buffer.from(String(v)).toString("base64");
      delete secret.stringData;
    }
  },
  validate(secret) {
    const errs = validateDataKeys(secret, ["data"]);
    for (const [k, v] of Object.entries((secret.data ?? {}) as Record<string, unknown>)) {
      if (typeof v !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
        errs.push(invalidValue(`data[${k}]`, "<secret contents redacted>", "illegal base64 data"));
    }
    return errs;
  },
  validateUpdate: (s, old) => validateImmutableData(s, old, ["data"]),
  fields: (s) => ({ type: s.type }),
  columns: [nameColumn, col("Type", (s) => s.type ?? ""), col("Data", dataCount, { type: "integer" }), ageColumn],
});
