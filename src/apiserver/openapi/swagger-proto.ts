// The Swagger 2.0 document in protobuf (gnostic's openapi.v2.Document, media type
// application/com.github.proto-openapi.spec.v2@v1.0+protobuf), which kubectl ≤ 1.28 and older clients insist on
// for /openapi/v2. Field numbers are gnostic's OpenAPIv2.proto; extension and default values travel as YAML
// text (JSON is YAML). Exports: `encodeSwaggerProto(doc)`.

type Json = Record<string, unknown>;

/** A protobuf message being written: tags, varints, length-delimited fields. */
class Message {
  private chunks: Uint8Array[] = [];
  private size = 0;
  private static readonly encoder = new TextEncoder();

  private push(bytes: Uint8Array): void {
    this.chunks.push(bytes);
    this.size += bytes.length;
  }

  private varint(n: number): void {
    const out: number[] = [];
    let v = n;
    while (v > 0x7f) {
      out.push((v % 0x80) | 0x80);
      v = Math.floor(v / 0x80);
    }
    out.push(v);
    this.push(Uint8Array.from(out));
  }

  private tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  bytes(field: number, bytes: Uint8Array): this {
    this.tag(field, 2);
    this.varint(bytes.length);
    this.push(bytes);
    return this;
  }

  string(field: number, s: unknown): this {
    if (typeof s === "string" && s !== "") this.bytes(field, Message.encoder.encode(s));
    return this;
  }

  strings(field: number, list: unknown): this {
    if (Array.isArray(list))
      for (const s of list) if (typeof s === "string") this.bytes(field, Message.encoder.encode(s));
    return this;
  }

  bool(field: number, b: unknown): this {
    if (b === true) {
      this.tag(field, 0);
      this.varint(1);
    }
    return this;
  }

  int(field: number, n: unknown): this {
    if (typeof n === "number" && n > 0) {
      this.tag(field, 0);
      this.varint(Math.floor(n));
    }
    return this;
  }

  double(field: number, n: unknown): this {
    if (typeof n === "number") {
      this.tag(field, 1);
      const b = new Uint8Array(8);
      new DataView(b.buffer).setFloat64(0, n, true);
      this.push(b);
    }
    return this;
  }

  message(field: number, m: Message | undefined): this {
    return m ? this.bytes(field, m.finish()) : this;
  }

  messages(field: number, list: Message[]): this {
    for (const m of list) this.message(field, m);
    return this;
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let at = 0;
    for (const c of this.chunks) {
      out.set(c, at);
      at += c.length;
    }
    this.chunks = [out];
    return out;
  }
}

const isObject = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);

/** gnostic Any: the value as YAML text (field 2). */
const anyValue = (v: unknown) => new Message().string(2, JSON.stringify(v));

/** Repeated NamedAny for the x-* keys of a JSON object. */
function vendorExtensions(obj: Json): Message[] {
  return Object.entries(obj)
    .filter(([k]) => k.startsWith("x-"))
    .map(([k, v]) => new Message().string(1, k).message(2, anyValue(v)));
}

function schema(s: Json): Message {
  const m = new Message().string(1, s.$ref).string(2, s.format).string(3, s.title).string(4, s.description);
  if (s.default !== undefined) m.message(5, anyValue(s.default));
  m.double(6, s.multipleOf)
    .double(7, s.maximum)
    .bool(8, s.exclusiveMaximum)
    .double(9, s.minimum)
    .bool(10, s.exclusiveMinimum)
    .int(11, s.maxLength)
    .int(12, s.minLength)
    .string(13, s.pattern)
    .int(14, s.maxItems)
    .int(15, s.minItems)
    .bool(16, s.uniqueItems)
    .int(17, s.maxProperties)
    .int(18, s.minProperties)
    .strings(19, s.required);
  if (Array.isArray(s.enum)) m.messages(20, s.enum.map(anyValue));
  if (isObject(s.additionalProperties)) m.message(21, new Message().message(1, schema(s.additionalProperties)));
  else if (typeof s.additionalProperties === "boolean") m.message(21, new Message().bool(2, s.additionalProperties));
  if (typeof s.type === "string") m.message(22, new Message().strings(1, [s.type]));
  if (isObject(s.items)) m.message(23, new Message().message(1, schema(s.items)));
  if (Array.isArray(s.allOf)) m.messages(24, s.allOf.filter(isObject).map(schema));
  if (isObject(s.properties)) m.message(25, namedSchemas(s.properties));
  m.bool(27, s.readOnly);
  if (s.example !== undefined) m.message(30, anyValue(s.example));
  return m.messages(31, vendorExtensions(s));
}

/** Properties / Definitions: repeated NamedSchema (field 1). */
function namedSchemas(map: Json): Message {
  return new Message().messages(
    1,
    Object.entries(map)
      .filter(([, v]) => isObject(v))
      .map(([name, v]) => new Message().string(1, name).message(2, schema(v as Json))),
  );
}

function parameter(p: Json): Message {
  let param: Message;
  if (p.in === "body") {
    const body = new Message().string(1, p.description).string(2, p.name).string(3, p.in).bool(4, p.required);
    if (isObject(p.schema)) body.message(5, schema(p.schema));
    param = new Message().message(1, body);
  } else {
    // Query and path sub-schemas order their fields differently (gnostic's numbering).
    const sub =
      p.in === "path"
        ? new Message()
            .bool(1, p.required)
            .string(2, p.in)
            .string(3, p.description)
            .string(4, p.name)
            .string(5, p.type)
            .bool(19, p.uniqueItems)
        : new Message()
            .bool(1, p.required)
            .string(2, p.in)
            .string(3, p.description)
            .string(4, p.name)
            .string(6, p.type)
            .bool(20, p.uniqueItems);
    param = new Message().message(2, new Message().message(p.in === "path" ? 4 : 3, sub));
  }
  return new Message().message(1, param);
}

function responses(r: Json): Message {
  const codes = Object.entries(r)
    .filter(([, v]) => isObject(v))
    .map(([code, v]) => {
      const res = v as Json;
      const response = new Message().string(1, res.description);
      if (isObject(res.schema)) response.message(2, new Message().message(1, schema(res.schema)));
      return new Message().string(1, code).message(2, new Message().message(1, response));
    });
  return new Message().messages(1, codes);
}

function operation(op: Json): Message {
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObject) : [];
  return new Message()
    .strings(1, op.tags)
    .string(3, op.description)
    .string(5, op.operationId)
    .strings(6, op.produces)
    .strings(7, op.consumes)
    .messages(8, params.map(parameter))
    .message(9, isObject(op.responses) ? responses(op.responses) : undefined)
    .strings(10, op.schemes)
    .messages(13, vendorExtensions(op));
}

const methodFields: Record<string, number> = {
  get: 2,
  put: 3,
  post: 4,
  delete: 5,
  options: 6,
  head: 7,
  patch: 8,
};

function pathItem(item: Json): Message {
  const m = new Message();
  for (const [method, field] of Object.entries(methodFields)) {
    const op = item[method];
    if (isObject(op)) m.message(field, operation(op));
  }
  const params = Array.isArray(item.parameters) ? item.parameters.filter(isObject) : [];
  return m.messages(9, params.map(parameter)).messages(10, vendorExtensions(item));
}

/** Encodes a Swagger 2.0 JSON document (as OpenApiModel.swagger2 builds it) as an openapi.v2.Document. */
export function encodeSwaggerProto(doc: Json): Uint8Array {
  const info = isObject(doc.info) ? doc.info : {};
  const paths = isObject(doc.paths) ? doc.paths : {};
  const namedPaths = Object.entries(paths)
    .filter(([, v]) => isObject(v))
    .map(([name, v]) => new Message().string(1, name).message(2, pathItem(v as Json)));
  return new Message()
    .string(1, doc.swagger)
    .message(2, new Message().string(1, info.title).string(2, info.version))
    .message(8, new Message().messages(2, namedPaths))
    .message(9, isObject(doc.definitions) ? namedSchemas(doc.definitions) : undefined)
    .finish();
}
