// Field errors as upstream's field.ErrorList renders them (`spec.replicas: Invalid value: 3: detail`), the
// shape the API server's 422 Status causes take: { field, reason, message }.

export interface FieldError {
	field: string;
	reason: string;
	message: string;
}

/** How upstream quotes a value in a message: strings quoted, numbers/booleans bare, objects as JSON. */
export function showValue(v: unknown): string {
	if (v === null || v === undefined) return "null";
	return typeof v === "string" || typeof v === "object"
		? JSON.stringify(v)
		: String(v);
}

export const fieldRequired = (field: string, detail = ""): FieldError => ({
	field,
	reason: "FieldValueRequired",
	message: detail ? `Required value: ${detail}` : "Required value",
});

export const fieldInvalid = (
	field: string,
	value: unknown,
	detail: string,
): FieldError => ({
	field,
	reason: "FieldValueInvalid",
	message: `Invalid value: ${showValue(value)}: ${detail}`,
});

export const fieldTypeInvalid = (
	field: string,
	value: unknown,
	detail: string,
): FieldError => ({
	...fieldInvalid(field, value, detail),
	reason: "FieldValueTypeInvalid",
});

export const fieldNotSupported = (
	field: string,
	value: unknown,
	valid: unknown[],
): FieldError => ({
	field,
	reason: "FieldValueNotSupported",
	message: `Unsupported value: ${showValue(value)}: supported values: ${valid.map(showValue).join(", ")}`,
});

export const fieldDuplicate = (field: string, value: unknown): FieldError => ({
	field,
	reason: "FieldValueDuplicate",
	message: `Duplicate value: ${showValue(value)}`,
});

export const fieldForbidden = (field: string, detail: string): FieldError => ({
	field,
	reason: "FieldValueForbidden",
	message: `Forbidden: ${detail}`,
});

export const fieldTooLong = (field: string, max: number): FieldError => ({
	field,
	reason: "FieldValueTooLong",
	message: `Too long: may not be more than ${max} bytes`,
});

export const fieldTooMany = (
	field: string,
	actual: number,
	max: number,
): FieldError => ({
	field,
	reason: "FieldValueTooMany",
	message: `Too many: ${actual}: must have at most ${max} items`,
});

/** Appends a child to a field path: a property (`spec.x`, or `[x.y]` for keys that are not identifiers) or an index. */
export function childPath(path: string, key: string | number): string {
	if (typeof key === "number") return `${path}[${key}]`;
	return path ? `${path}.${key}` : key;
}
