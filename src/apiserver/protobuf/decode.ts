// Decodes Kubernetes protobuf request bodies (`application/vnd.kubernetes.protobuf`: the "k8s\0" magic, a
// runtime.Unknown envelope, the object's message) into the JSON form the rest of the server handles. kubectl's
// typed clients (create configmap/secret/deployment, auth can-i/whoami, drain, …) send nothing else.
// fields.json holds, per message, [field number, JSON name, type, 0 single | 1 repeated | 2 map] — the wire
// facts of upstream's generated.proto files (k8s.io/api and k8s.io/apimachinery), regenerated when types change.

import { badRequest } from "../errors.ts";
import fieldsJson from "./fields.json" with { type: "json" };

type Field = [number, string, string, number];
const MESSAGES = fieldsJson as unknown as Record<string, Field[]>;
const byNumber = new Map<string, Map<number, Field>>();

function fieldsOf(message: string): Map<number, Field> {
  let map = byNumber.get(message);
  if (!map) {
    const fields = MESSAGES[message];
    if (!fields) throw badRequest(`protobuf: no schema for ${message}`);
    map = new Map(fields.map((f) => [f[0], f]));
    byNumber.set(message, map);
  }
  return map;
}

const META = "k8s.io.apimachinery.pkg.apis.meta.v1";
const MAGIC = [0x6b, 0x38, 0x73, 0x00];
const decoder = new TextDecoder();

class Reader {
  pos = 0;
  constructor(
    readonly buf: Uint8Array,
    readonly end = buf.length,
  ) {}
  varint(): number {
    let result = 0;
    let shift = 0;
    let big: bigint | undefined;
    for (;;) {
      if (this.pos >= this.end) throw badRequest("protobuf: truncated varint");
      const b = this.buf[this.pos++];
      if (shift < 49) result += (b & 0x7f) * 2 ** shift;
      else big = (big ?? BigInt(result)) + (BigInt(b & 0x7f) << BigInt(shift));
      shift += 7;
      if (!(b & 0x80)) break;
    }
    // Negative int32/int64 arrive as 10-byte two's complement.
    if (big !== undefined) return Number(BigInt.asIntN(64, big));
    return result;
  }
  bytes(): Uint8Array {
    const len = this.varint();
    if (this.pos + len > this.end) throw badRequest("protobuf: truncated field");
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw badRequest(`protobuf: unsupported wire type ${wire}`);
  }
}

/**
 * Go pointer fields are on the wire only when set, so their zero value means something; every other zero is an
 * unset non-pointer field that JSON would omit. These are the pointer fields of the types clients send.
 */
const KEEP_ZERO = new Set([
  "replicas",
  "parallelism",
  "completions",
  "backoffLimit",
  "backoffLimitPerIndex",
  "maxFailedIndexes",
  "suspend",
  "activeDeadlineSeconds",
  "ttlSecondsAfterFinished",
  "terminationGracePeriodSeconds",
  "revisionHistoryLimit",
  "progressDeadlineSeconds",
  "successfulJobsHistoryLimit",
  "failedJobsHistoryLimit",
  "startingDeadlineSeconds",
  "expirationSeconds",
  "automountServiceAccountToken",
  "immutable",
  "allowPrivilegeEscalation",
  "privileged",
  "runAsUser",
  "runAsGroup",
  "fsGroup",
  "runAsNonRoot",
  "readOnlyRootFilesystem",
  "enableServiceLinks",
  "shareProcessNamespace",
  "hostUsers",
  "priority",
  "value",
  "defaultMode",
  "mode",
  "optional",
  "minAvailable",
  "maxUnavailable",
  "maxSurge",
  "partition",
  "gracePeriodSeconds",
  "orphanDependents",
  "allowVolumeExpansion",
]);

const SCALARS = new Set([
  "string",
  "bytes",
  "bool",
  "int32",
  "int64",
  "uint32",
  "uint64",
  "double",
  "float",
  "fixed64",
  "sfixed64",
]);

function scalar(r: Reader, wire: number, type: string): unknown {
  switch (type) {
    case "string":
      return decoder.decode(r.bytes());
    case "bytes":
      return Buffer.from(r.bytes()).toString("base64");
    case "bool":
      return r.varint() !== 0;
    case "double": {
      const v = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 8).getFloat64(0, true);
      r.pos += 8;
      return v;
    }
    case "float": {
      const v = new DataView(r.buf.buffer, r.buf.byteOffset + r.pos, 4).getFloat32(0, true);
      r.pos += 4;
      return v;
    }
    default:
      if (wire !== 0) throw badRequest(`protobuf: unexpected wire type ${wire} for ${type}`);
      return type === "int32" ? r.varint() | 0 : r.varint();
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, "0");
function time(seconds: number, nanos: number, micro: boolean): string | undefined {
  if (!seconds && !nanos) return undefined;
  const d = new Date(seconds * 1000);
  const base = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
  return micro ? `${base}.${pad(Math.floor(nanos / 1000), 6)}Z` : `${base}Z`;
}

/** Messages whose JSON form is not an object of their fields. */
function special(message: string, v: Record<string, unknown>): unknown {
  switch (message) {
    case `${META}.Time`:
      return time(Number(v.seconds ?? 0), Number(v.nanos ?? 0), false);
    case `${META}.MicroTime`:
      return time(Number(v.seconds ?? 0), Number(v.nanos ?? 0), true);
    case `${META}.Duration`:
      return `${Number(v.duration ?? 0) / 1e9}s`;
    case "k8s.io.apimachinery.pkg.api.resource.Quantity":
      return v.string ?? "0";
    case "k8s.io.apimachinery.pkg.util.intstr.IntOrString":
      return Number(v.type ?? 0) === 1 ? (v.strVal ?? "") : (v.intVal ?? 0);
    case "k8s.io.apimachinery.pkg.runtime.RawExtension":
    case `${META}.FieldsV1`: {
      const raw = (v.raw ?? v.Raw) as string | undefined;
      return raw ? JSON.parse(Buffer.from(raw, "base64").toString("utf8")) : undefined;
    }
    case `${META}.Verbs`:
    case "k8s.io.api.authentication.v1.ExtraValue":
    case "k8s.io.api.authorization.v1.ExtraValue":
      return v.items ?? [];
    default:
      return v;
  }
}

/** The map or list at out[key], created on first use. */
function slot(out: Record<string, unknown>, key: string, make: () => unknown): unknown {
  if (out[key] === undefined) out[key] = make();
  return out[key];
}

function message(r: Reader, name: string): unknown {
  const fields = fieldsOf(name);
  const out: Record<string, unknown> = {};
  while (r.pos < r.end) {
    const tag = r.varint();
    const num = Math.floor(tag / 8);
    const wire = tag & 7;
    const f = fields.get(num);
    if (!f) {
      r.skip(wire);
      continue;
    }
    const [, key, type, kind] = f;
    if (kind === 2) {
      const bytes = r.bytes();
      const er = new Reader(bytes);
      let k = "";
      let val: unknown;
      while (er.pos < er.end) {
        const t = er.varint();
        if (t >> 3 === 1) k = decoder.decode(er.bytes());
        else if (t >> 3 === 2)
          val = SCALARS.has(type) ? scalar(er, t & 7, type) : message(new Reader(er.bytes()), type);
        else er.skip(t & 7);
      }
      const map = slot(out, key, () => ({})) as Record<string, unknown>;
      map[k] = val ?? (type === "string" ? "" : SCALARS.has(type) ? 0 : {});
      continue;
    }
    let value: unknown;
    if (SCALARS.has(type)) {
      if (kind === 1 && wire === 2 && type !== "string" && type !== "bytes") {
        // Packed repeated numbers.
        const sub = new Reader(r.bytes());
        const arr = slot(out, key, () => []) as unknown[];
        while (sub.pos < sub.end) arr.push(scalar(sub, type === "double" ? 1 : type === "float" ? 5 : 0, type));
        continue;
      }
      value = scalar(r, wire, type);
    } else {
      value = special(type, message(new Reader(r.bytes()), type) as Record<string, unknown>);
    }
    if (kind === 1) (slot(out, key, () => []) as unknown[]).push(value);
    else if (value === undefined || value === "" || ((value === 0 || value === false) && !KEEP_ZERO.has(key))) continue;
    else out[key] = value;
  }
  return out;
}

/** The protobuf package of a group/version's types: "" → core, "rbac.authorization.k8s.io" → rbac. */
function packageOf(apiVersion: string): string {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  if (group === "meta.k8s.io") return META;
  return `k8s.io.api.${group === "" ? "core" : group.split(".")[0]}.${version}`;
}

export const PROTOBUF_MEDIA_TYPE = "application/vnd.kubernetes.protobuf";

/** The JSON object of a protobuf body, with apiVersion and kind from its envelope. */
export function decodeProtobufObject(body: Uint8Array): Record<string, unknown> {
  if (body.length < 4 || MAGIC.some((b, i) => body[i] !== b))
    throw badRequest("protobuf: the body does not start with the Kubernetes protobuf prefix");
  const unknown = message(new Reader(body.subarray(4)), "k8s.io.apimachinery.pkg.runtime.Unknown") as {
    typeMeta?: { apiVersion?: string; kind?: string };
    raw?: string;
  };
  const apiVersion = unknown.typeMeta?.apiVersion ?? "";
  const kind = unknown.typeMeta?.kind ?? "";
  if (!kind) throw badRequest("protobuf: the envelope names no kind");
  const raw = Buffer.from(unknown.raw ?? "", "base64");
  const obj = message(new Reader(new Uint8Array(raw)), `${packageOf(apiVersion)}.${kind}`) as Record<string, unknown>;
  return { apiVersion, kind, ...obj };
}
