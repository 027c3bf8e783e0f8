// Table columns of a custom resource, from its version's additionalPrinterColumns (upstream's CRD table
// convertor): Name first, then each column's JSONPath value; date cells are ages ("5m"), as upstream sends them. Without
// columns a CRD shows Name and Age. Exports: `printerColumns(version)` → columns with cell functions.

import type {
	CustomResourceColumnDefinition,
	CustomResourceDefinitionVersion,
} from "kubernetes-types/apiextensions/v1";
import { evaluateJsonPath, parseJsonPath } from "./jsonpath.ts";

/** A column as the API server's table code takes it (src/apiserver/resources/types.ts TableColumn). */
export interface PrinterColumn {
	name: string;
	type: "string" | "integer" | "number" | "boolean" | "date";
	format?: string;
	description?: string;
	priority?: number;
	cell(obj: Record<string, unknown>, now: number): unknown;
}

const nameDescription =
	"Name must be unique within a namespace. Is required when creating resources, although some resources may allow a client to request the generation of an appropriate name automatically. Name is primarily intended for creation idempotence and configuration definition. Cannot be updated. More info: https://kubernetes.io/docs/concepts/overview/working-with-objects/names#names";
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

/** Upstream's duration.HumanDuration, the way kubectl shows ages. */
export function humanDuration(ms: number): string {
	const seconds = Math.floor(ms / 1000);
	if (seconds < -1) return "<invalid>";
	if (seconds < 0) return "0s";
	if (seconds < 120) return `${seconds}s`;
	const minutes = Math.floor(seconds / 60);
	const withRest = (
		big: number,
		unit: string,
		rest: number,
		restUnit: string,
	) => (rest === 0 ? `${big}${unit}` : `${big}${unit}${rest}${restUnit}`);
	if (minutes < 10) return withRest(minutes, "m", seconds % 60, "s");
	if (minutes < 180) return `${minutes}m`;
	const hours = Math.floor(minutes / 60);
	if (hours < 8) return withRest(hours, "h", minutes % 60, "m");
	if (hours < 48) return `${hours}h`;
	const days = Math.floor(hours / 24);
	if (hours < 24 * 8) return withRest(days, "d", hours % 24, "h");
	if (hours < 24 * 365 * 2) return `${days}d`;
	const years = Math.floor(days / 365);
	if (years < 8) return withRest(years, "y", days % 365, "d");
	return `${years}y`;
}

function cellValue(
	column: CustomResourceColumnDefinition,
	obj: Record<string, unknown>,
	now: number,
): unknown {
	const value = evaluateJsonPath(obj, column.jsonPath)[0];
	if (value === undefined || value === null) return null;
	switch (column.type) {
		case "date": {
			const t = typeof value === "string" ? Date.parse(value) : Number.NaN;
			return Number.isNaN(t) ? "<invalid>" : humanDuration(now - t);
		}
		case "integer":
			return typeof value === "number" && Number.isInteger(value)
				? value
				: null;
		case "number":
			return typeof value === "number" ? value : null;
		case "boolean":
			return typeof value === "boolean" ? value : null;
		default:
			return typeof value === "string" ? value : JSON.stringify(value);
	}
}

/** The columns of a served version; throws if a column's JSONPath cannot be parsed (validation rejects those). */
export function printerColumns(
	version: CustomResourceDefinitionVersion,
): PrinterColumn[] {
	const defined = version.additionalPrinterColumns?.length
		? version.additionalPrinterColumns
		: defaultColumns;
	const name: PrinterColumn = {
		name: "Name",
		type: "string",
		format: "name",
		description: nameDescription,
		priority: 0,
		cell: (o) => (o.metadata as { name?: string } | undefined)?.name ?? "",
	};
	return [
		name,
		...defined.map((c): PrinterColumn => {
			parseJsonPath(c.jsonPath);
			return {
				name: c.name,
				type: c.type as PrinterColumn["type"],
				format: c.format,
				description: c.description ?? "",
				priority: c.priority ?? 0,
				cell: (o, now) => cellValue(c, o, now),
			};
		}),
	];
}
