// Derives the OpenAPI (Swagger 2.0 style) definitions of every built-in kind k3lite serves from the
// declarations in kubernetes-types, with the TypeScript compiler API. Run: `bun scripts/gen-openapi.ts`.
// Writes src/apiserver/openapi/generated/definitions.json, which the API server embeds (a test checks it is
// current: rerun after changing kubernetes-types or patch-strategies.ts).

import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import ts from "typescript";
import { patchTags } from "../src/apiserver/openapi/patch-strategies.ts";

type Schema = Record<string, unknown>;

const typesRoot = dirname(require.resolve("kubernetes-types/package.json"));
const outFile = resolve(import.meta.dir, "../src/apiserver/openapi/generated/definitions.json");

/** The group-versions the API server serves; their dependencies (meta, runtime, resource) follow. */
const servedModules = [
  "core/v1",
  "apps/v1",
  "batch/v1",
  "autoscaling/v1",
  "autoscaling/v2",
  "certificates/v1",
  "scheduling/v1",
  "policy/v1",
  "coordination/v1",
  "discovery/v1",
  "events/v1",
  "networking/v1",
  "storage/v1",
  "rbac/v1",
  "authentication/v1",
  "authorization/v1",
  "apiextensions/v1",
  "meta/v1",
];

/** Upstream's Go package of each kubernetes-types module, which names its definitions. */
function packageOf(module: string): string {
  const special: Record<string, string> = {
    "meta/v1": "io.k8s.apimachinery.pkg.apis.meta.v1",
    runtime: "io.k8s.apimachinery.pkg.runtime",
    "api/resource": "io.k8s.apimachinery.pkg.api.resource",
    version: "io.k8s.apimachinery.pkg.version",
    "apiextensions/v1": "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1",
  };
  return special[module] ?? `io.k8s.api.${module.replace("/", ".")}`;
}

const intOrString = "io.k8s.apimachinery.pkg.util.intstr.IntOrString";

/** Aliases of string with a meaning the schema should carry (upstream's formats). */
const stringFormats: Record<string, string> = {
  Time: "date-time",
  MicroTime: "date-time",
};
/** Declarations that are empty interfaces in TypeScript but JSON objects of any shape upstream. */
const freeFormObjects = new Set(["FieldsV1", "RawExtension", "Patch"]);
/** The few built-in number fields that are floating point, not integers. */
const doubleFields = new Set(["JSONSchemaProps.maximum", "JSONSchemaProps.minimum", "JSONSchemaProps.multipleOf"]);

interface ModuleInfo {
  file: ts.SourceFile;
  decls: Map<string, ts.InterfaceDeclaration | ts.TypeAliasDeclaration>;
  imports: Map<string, string>;
}

const modules = new Map<string, ModuleInfo>();

function loadModule(module: string): ModuleInfo {
  const cached = modules.get(module);
  if (cached) return cached;
  const path = join(typesRoot, `${module}.d.ts`);
  const file = ts.createSourceFile(path, readFileSync(path, "utf8"), ts.ScriptTarget.Latest, true);
  const info: ModuleInfo = { file, decls: new Map(), imports: new Map() };
  for (const stmt of file.statements) {
    if (ts.isInterfaceDeclaration(stmt) || ts.isTypeAliasDeclaration(stmt)) info.decls.set(stmt.name.text, stmt);
    if (ts.isImportDeclaration(stmt) && ts.isStringLiteral(stmt.moduleSpecifier)) {
      const target = join(dirname(module), stmt.moduleSpecifier.text).replace(/^\.\//, "");
      const bindings = stmt.importClause?.namedBindings;
      if (bindings && ts.isNamedImports(bindings))
        for (const el of bindings.elements) info.imports.set(el.name.text, target);
    }
  }
  modules.set(module, info);
  return info;
}

function docOf(node: ts.Node): string | undefined {
  const docs = ts.getJSDocCommentsAndTags(node).filter(ts.isJSDoc);
  const text = docs
    .map((d) => ts.getTextOfJSDocComment(d.comment) ?? "")
    .join("\n")
    .trim();
  return text || undefined;
}

const definitions: Record<string, Schema> = {};

/** Generates (once) the definition for `name` in `module`; returns its definition name. */
function define(module: string, name: string): string {
  const info = loadModule(module);
  const imported = info.imports.get(name);
  if (!info.decls.has(name) && imported) return define(imported, name);
  const defName = `${packageOf(module)}.${name}`;
  if (definitions[defName]) return defName;
  const decl = info.decls.get(name);
  if (!decl) throw new Error(`${module}: no declaration of ${name}`);
  definitions[defName] = {}; // placeholder: breaks cycles (JSONSchemaProps refers to itself)
  const description = docOf(decl);
  let schema: Schema;
  if (ts.isTypeAliasDeclaration(decl)) {
    schema =
      decl.type.kind === ts.SyntaxKind.StringKeyword
        ? {
            type: "string",
            ...(stringFormats[name] ? { format: stringFormats[name] } : {}),
          }
        : {}; // unions such as JSONSchemaPropsOrBool: any JSON, as upstream
  } else if (freeFormObjects.has(name)) {
    schema = { type: "object" };
  } else if (decl.members.length === 0) {
    schema = {}; // apiextensions JSON: any value
  } else {
    schema = objectSchema(module, decl);
  }
  definitions[defName] = { ...(description ? { description } : {}), ...schema };
  return defName;
}

function objectSchema(module: string, decl: ts.InterfaceDeclaration): Schema {
  const properties: Record<string, Schema> = {};
  const required: string[] = [];
  let apiVersion: string | undefined;
  let kind: string | undefined;
  for (const member of decl.members) {
    if (!ts.isPropertySignature(member) || !member.type) continue;
    const field = member.name.getText().replace(/^"|"$/g, "");
    const literal = stringLiteralOf(member.type);
    if (field === "apiVersion") apiVersion = literal;
    if (field === "kind") kind = literal;
    const schema = typeSchema(module, member.type, `${decl.name.text}.${field}`);
    const description = docOf(member);
    const tag = patchTags.get(`${module}.${decl.name.text}.${field}`);
    properties[field] = {
      ...(description ? { description } : {}),
      ...schema,
      ...(tag ? { "x-kubernetes-patch-strategy": tag.strategy } : {}),
      ...(tag?.mergeKey ? { "x-kubernetes-patch-merge-key": tag.mergeKey } : {}),
    };
    if (!member.questionToken) required.push(field);
  }
  const out: Schema = { type: "object", properties };
  if (required.length) out.required = required.sort();
  if (apiVersion && kind) {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    out["x-kubernetes-group-version-kind"] = [{ group, kind, version }];
  }
  return out;
}

function stringLiteralOf(node: ts.TypeNode): string | undefined {
  return ts.isLiteralTypeNode(node) && ts.isStringLiteral(node.literal) ? node.literal.text : undefined;
}

function typeSchema(module: string, node: ts.TypeNode, where: string): Schema {
  switch (node.kind) {
    case ts.SyntaxKind.StringKeyword:
      return { type: "string" };
    case ts.SyntaxKind.BooleanKeyword:
      return { type: "boolean" };
    case ts.SyntaxKind.NumberKeyword:
      return doubleFields.has(where) ? { type: "number", format: "double" } : { type: "integer", format: "int32" };
  }
  if (stringLiteralOf(node) !== undefined) return { type: "string" };
  if (ts.isUnionTypeNode(node)) {
    const kinds = new Set(node.types.map((t) => t.kind));
    if (kinds.has(ts.SyntaxKind.NumberKeyword) && kinds.has(ts.SyntaxKind.StringKeyword)) {
      definitions[intOrString] ??= {
        description:
          "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for example, a JSON field that can accept a name or number.",
        type: "string",
        format: "int-or-string",
      };
      return { $ref: `#/definitions/${intOrString}` };
    }
    if (node.types.every((t) => stringLiteralOf(t) !== undefined)) return { type: "string" };
    throw new Error(`${where}: unsupported union ${node.getText()}`);
  }
  if (ts.isArrayTypeNode(node))
    return {
      type: "array",
      items: typeSchema(module, node.elementType, where),
    };
  if (ts.isTypeLiteralNode(node)) {
    const index = node.members.find(ts.isIndexSignatureDeclaration);
    if (!index) throw new Error(`${where}: unsupported type literal`);
    return {
      type: "object",
      additionalProperties: typeSchema(module, index.type, where),
    };
  }
  if (ts.isTypeReferenceNode(node)) {
    const name = node.typeName.getText();
    if (name === "Array" && node.typeArguments?.length === 1)
      return {
        type: "array",
        items: typeSchema(module, node.typeArguments[0], where),
      };
    return { $ref: `#/definitions/${define(module, name)}` };
  }
  throw new Error(`${where}: unsupported type ${node.getText()}`);
}

/** Every definition of the served modules (and what they refer to), sorted by name. */
export function generateDefinitions(): Record<string, Schema> {
  for (const module of servedModules) {
    for (const name of loadModule(module).decls.keys()) define(module, name);
  }
  return Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b)));
}

if (import.meta.main) {
  const sorted = generateDefinitions();
  mkdirSync(dirname(outFile), { recursive: true });
  writeFileSync(outFile, `${JSON.stringify({ definitions: sorted })}\n`);
  // Formatted the way the linter wants it, so `biome check src` stays clean.
  Bun.spawnSync(["bunx", "biome", "format", "--write", outFile]);
  console.log(`wrote ${Object.keys(sorted).length} definitions to ${outFile}`);
}
