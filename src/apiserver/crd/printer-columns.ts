// Table columns of a custom resource, from its version's additionalPrinterColumns (upstream's CRD table
// convertor): Name first, then each column's JSONPath value; date cells are ages ("5m"), as upstream sends them.
// Without columns a CRD shows Name and Age. Exports: `printerColumns(version)` → the descriptors' TableColumns.

import type {
  CustomResourceColumnDefinition,
  CustomResourceDefinitionVersion,
} from "kubernetes-types/apiextensions/v1";
import type { KubeObject } from "../../api/types.ts";
import type { TableColumn } from "../resources/types.ts";
import { humanDuration, nameColumn } from "../table.ts";
import { evaluateJsonPath, parseJsonPath } from "./jsonpath.ts";

const creationDescription =
  "CreationTimestamp is a timestamp representing the server time when this object was created. It is not guaranteed to be set in happens-before order across separate operations. Clients may not set this value. It is represented in RFC3339 form and is in UTC.\n\nPopulated by the system. Read-only. Null for lists. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata";

const defaultColumns: CustomResourceColumnDefinition[] = [
  {
    name: "Age",
    type: "date",
    jsonPath: ".metadata.creationTimestamp",
    description: creationDescription,
  },
];

function cellValue(column: CustomResourceColumnDefinition, obj: KubeObject, now: number): unknown {
  const value = evaluateJsonPath(obj, column.jsonPath)[0];
  if (value === undefined || value === null) return null;
  switch (column.type) {
    case "date": {
      const t = typeof value === "string" ? Date.parse(value) : Number.NaN;
      return Number.isNaN(t) ? "<invalid>" : humanDuration(now - t);
    }
    case "integer":
      return typeof value === "number" && Number.isInteger(value) ? value : null;
    case "number":
      return typeof value === "number" ? value : null;
    case "boolean":
      return typeof value === "boolean" ? value : null;
    default:
      return typeof value === "string" ? value : JSON.stringify(value);
  }
}

/** The columns of a served version; throws if a column's JSONPath cannot be parsed (validation rejects those). */
export function printerColumns(version: CustomResourceDefinitionVersion): TableColumn[] {
  const defined = version.additionalPrinterColumns?.length ? version.additionalPrinterColumns : defaultColumns;
  return [
    nameColumn,
    ...defined.map((c): TableColumn => {
      parseJsonPath(c.jsonPath);
      return {
        name: c.name,
        type: c.type as TableColumn["type"],
        format: c.format,
        description: c.description ?? "",
        priority: c.priority ?? 0,
        cell: (o, now) => cellValue(c, o, now),
      };
    }),
  ];
}
