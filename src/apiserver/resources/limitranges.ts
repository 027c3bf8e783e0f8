// core/v1 LimitRange.

import { createdAtColumn, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "",
  version: "v1",
  kind: "LimitRange",
  plural: "limitranges",
  namespaced: true,
  shortNames: ["limits"],
  columns: [nameColumn, createdAtColumn],
});
