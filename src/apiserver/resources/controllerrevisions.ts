// apps/v1 ControllerRevision: CONTROLLER and REVISION columns.

import { ageColumn, col, nameColumn } from "../table.ts";
import { describe } from "./types.ts";

export default describe({
  group: "apps",
  version: "v1",
  kind: "ControllerRevision",
  plural: "controllerrevisions",
  namespaced: true,
  columns: [
    nameColumn,
    col("Controller", (r) => {
      const owner = (r.metadata?.ownerReferences ?? []).find((o: { controller?: boolean }) => o.controller);
      return owner ? `${owner.kind.toLowerCase()}.${owner.apiVersion.split("/")[0]}/${owner.name}` : "<none>";
    }),
    col("Revision", (r) => r.revision ?? 0, { type: "integer" }),
    ageColumn,
  ],
});
