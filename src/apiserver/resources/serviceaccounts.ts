// core/v1 ServiceAccount (+ the `token` subresource for TokenRequest, served by the auth component).

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "",
  version: "v1",
  kind: "ServiceAccount",
  plural: "serviceaccounts",
  namespaced: true,
  shortNames: ["sa"],
  subresources: ["token"],
  columns: [nameColumn, col("Secrets", (s) => (s.secrets ?? []).length, { type: "integer" }), ageColumn],
});
