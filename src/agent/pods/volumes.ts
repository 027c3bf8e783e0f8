// Pod volumes on the node: emptyDir (tmpfs for medium Memory), hostPath (with type checks), configMap, secret,
// downwardAPI and projected (incl. bound ServiceAccount tokens, refreshed before expiry) written atomically,
// and persistentVolumeClaim bound to hostPath/local PVs (local-path). Then each container's CRI mounts.

import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Container, core, PersistentVolume, PersistentVolumeClaim, Pod } from "../../api/types.ts";
import { inNamespace, persistentvolumeclaims, persistentvolumes } from "../../client/refs.ts";
import type { Mount } from "../cri/types.ts";
import { type Payload, writeAtomically } from "./atomic-writer.ts";
import { ConfigError } from "./env.ts";
import { fieldRefValue, resourceFieldValue } from "./fields.ts";
import { type ObjectReader, secretValue } from "./refs.ts";
import type { TokenSource } from "./tokens.ts";

export interface VolumeContext {
  pod: Pod;
  podDir: string;
  nodeIp: string;
  dataDir: string;
  reader: ObjectReader;
  tokens: TokenSource;
}

const PLUGIN_DIRS: Record<string, string> = {
  emptyDir: "kubernetes.io~empty-dir",
  configMap: "kubernetes.io~configmap",
  secret: "kubernetes.io~secret",
  downwardAPI: "kubernetes.io~downward-api",
  projected: "kubernetes.io~projected",
};

function mountsText(): string {
  try {
    return readFileSync("/proc/self/mounts", "utf8");
  } catch {
    return "";
  }
}

/** Sets every volume up (idempotent; configMap/secret contents are refreshed) and returns name → host path. */
export async function setUpVolumes(ctx: VolumeContext): Promise<Map<string, string>> {
  const paths = new Map<string, string>();
  const ns = ctx.pod.metadata?.namespace ?? "default";
  for (const v of ctx.pod.spec?.volumes ?? []) {
    const kind = Object.keys(PLUGIN_DIRS).find((k) => (v as unknown as Record<string, unknown>)[k]);
    const dir = kind ? join(ctx.podDir, "volumes", PLUGIN_DIRS[kind] as string, v.name) : "";
    if (v.emptyDir) {
      mkdirSync(dir, { recursive: true });
      chmodSync(dir, 0o777);
      if (v.emptyDir.medium === "Memory" && !mountsText().includes(` ${dir} `)) {
        const size = v.emptyDir.sizeLimit ? `,size=${v.emptyDir.sizeLimit}` : "";
        const res = Bun.spawnSync(["mount", "-t", "tmpfs", "-o", `mode=0777${size}`, "tmpfs", dir], { stderr: "pipe" });
        if (!res.success) throw new Error(`mounting tmpfs for emptyDir ${v.name}: ${res.stderr.toString().trim()}`);
      }
      paths.set(v.name, dir);
    } else if (v.hostPath) {
      paths.set(v.name, hostPathVolume(v.name, v.hostPath));
    } else if (v.configMap) {
      const cm = await ctx.reader.configMap(ns, v.configMap.name ?? "");
      if (!cm && !v.configMap.optional) throw new ConfigError(`configmap "${v.configMap.name}" not found`);
      const data: Record<string, string | Uint8Array> = { ...(cm?.data ?? {}) };
      for (const [k, b] of Object.entries(cm?.binaryData ?? {})) data[k] = Buffer.from(b, "base64");
      writeAtomically(
        dir,
        selectItems(data, v.configMap.items, v.configMap.defaultMode, `configmap ${v.configMap.name}`),
      );
      paths.set(v.name, dir);
    } else if (v.secret) {
      const s = await ctx.reader.secret(ns, v.secret.secretName ?? "");
      if (!s && !v.secret.optional) throw new ConfigError(`secret "${v.secret.secretName}" not found`);
      const data: Record<string, Uint8Array> = {};
      for (const [k, b] of Object.entries(s?.data ?? {})) data[k] = Buffer.from(b, "base64");
      writeAtomically(
        dir,
        selectItems(data, v.secret.items, v.secret.defaultMode ?? 0o644, `secret ${v.secret.secretName}`),
      );
      paths.set(v.name, dir);
    } else if (v.downwardAPI) {
      writeAtomically(dir, downwardPayload(ctx, v.downwardAPI.items ?? [], v.downwardAPI.defaultMode));
      paths.set(v.name, dir);
    } else if (v.projected) {
      writeAtomically(dir, await projectedPayload(ctx, v.name, v.projected));
      paths.set(v.name, dir);
    } else if (v.persistentVolumeClaim) {
      paths.set(v.name, await claimPath(ctx, v.persistentVolumeClaim.claimName));
    } else {
      throw new ConfigError(`volume ${v.name}: unsupported volume type`);
    }
  }
  return paths;
}

function selectItems(
  data: Record<string, string | Uint8Array>,
  items: core.KeyToPath[] | undefined,
  defaultMode: number | undefined,
  what: string,
): Payload {
  const mode = defaultMode ?? 0o644;
  const payload: Payload = {};
  if (!items?.length) {
    for (const [k, v] of Object.entries(data)) payload[k] = { data: v, mode };
    return payload;
  }
  for (const item of items) {
    const v = data[item.key];
    if (v === undefined) throw new ConfigError(`${what}: key ${item.key} not found`);
    payload[item.path] = { data: v, mode: item.mode ?? mode };
  }
  return payload;
}

function downwardPayload(ctx: VolumeContext, items: core.DownwardAPIVolumeFile[], defaultMode?: number): Payload {
  const payload: Payload = {};
  for (const item of items) {
    let value = "";
    if (item.fieldRef) value = fieldRefValue(ctx.pod, item.fieldRef.fieldPath, ctx.nodeIp);
    else if (item.resourceFieldRef) {
      const c = ctx.pod.spec?.containers.find((x) => x.name === item.resourceFieldRef?.containerName);
      value = resourceFieldValue(
        c,
        item.resourceFieldRef.resource,
        item.resourceFieldRef.divisor as string,
        ctx.dataDir,
      );
    }
    payload[item.path] = { data: value, mode: item.mode ?? defaultMode ?? 0o644 };
  }
  return payload;
}

async function projectedPayload(ctx: VolumeContext, volume: string, p: core.ProjectedVolumeSource): Promise<Payload> {
  const ns = ctx.pod.metadata?.namespace ?? "default";
  const mode = p.defaultMode ?? 0o644;
  let payload: Payload = {};
  for (const src of p.sources ?? []) {
    if (src.configMap) {
      const cm = await ctx.reader.configMap(ns, src.configMap.name ?? "");
      if (!cm && !src.configMap.optional) throw new ConfigError(`configmap "${src.configMap.name}" not found`);
      payload = { ...payload, ...selectItems({ ...(cm?.data ?? {}) }, src.configMap.items, mode, "configmap") };
    } else if (src.secret) {
      const s = await ctx.reader.secret(ns, src.secret.name ?? "");
      if (!s && !src.secret.optional) throw new ConfigError(`secret "${src.secret.name}" not found`);
      const data: Record<string, string> = {};
      for (const k of Object.keys(s?.data ?? {})) data[k] = secretValue(s as NonNullable<typeof s>, k) ?? "";
      payload = { ...payload, ...selectItems(data, src.secret.items, mode, "secret") };
    } else if (src.downwardAPI) {
      payload = { ...payload, ...downwardPayload(ctx, src.downwardAPI.items ?? [], mode) };
    } else if (src.serviceAccountToken) {
      const t = src.serviceAccountToken;
      const token = await ctx.tokens.token(ctx.pod, `${volume}/${t.path}`, t.audience, t.expirationSeconds ?? 3600);
      payload[t.path] = { data: token, mode: 0o644 };
    } else if (src.clusterTrustBundle) {
      throw new ConfigError("clusterTrustBundle projections are not supported");
    }
  }
  return payload;
}

const HOST_PATH_CHECKS: Record<string, (p: string) => boolean> = {
  Directory: (p) => statSync(p).isDirectory(),
  File: (p) => statSync(p).isFile(),
  Socket: (p) => statSync(p).isSocket(),
  CharDevice: (p) => statSync(p).isCharacterDevice(),
  BlockDevice: (p) => statSync(p).isBlockDevice(),
};

function hostPathVolume(name: string, hp: core.HostPathVolumeSource): string {
  const type = hp.type ?? "";
  if (type === "DirectoryOrCreate" && !existsSync(hp.path)) mkdirSync(hp.path, { recursive: true, mode: 0o755 });
  if (type === "FileOrCreate" && !existsSync(hp.path)) writeFileSync(hp.path, "", { mode: 0o644 });
  const check = HOST_PATH_CHECKS[type];
  if (check) {
    let ok = false;
    try {
      ok = check(hp.path);
    } catch {}
    if (!ok) throw new ConfigError(`hostPath type check failed: ${hp.path} is not a ${type} (volume ${name})`);
  }
  return hp.path;
}

async function claimPath(ctx: VolumeContext, claimName: string): Promise<string> {
  const ns = ctx.pod.metadata?.namespace ?? "default";
  const pvc = await ctx.reader.get<PersistentVolumeClaim>(inNamespace(persistentvolumeclaims, ns), claimName);
  if (!pvc) throw new ConfigError(`persistentvolumeclaim "${claimName}" not found`);
  const pvName = pvc.spec?.volumeName;
  if (!pvName) throw new ConfigError(`persistentvolumeclaim "${claimName}" is not bound`);
  const pv = await ctx.reader.get<PersistentVolume>(persistentvolumes, pvName);
  const path = pv?.spec?.hostPath?.path ?? pv?.spec?.local?.path;
  if (!path) throw new ConfigError(`persistentvolume "${pvName}" has no hostPath or local path this node can mount`);
  mkdirSync(path, { recursive: true });
  return path;
}

const PROPAGATION: Record<string, Mount["propagation"]> = {
  None: "PROPAGATION_PRIVATE",
  HostToContainer: "PROPAGATION_HOST_TO_CONTAINER",
  Bidirectional: "PROPAGATION_BIDIRECTIONAL",
};

/** The CRI mounts of one container's volumeMounts (subPath and subPathExpr included). */
export function containerMounts(
  c: Container,
  pod: Pod,
  volumePaths: Map<string, string>,
  env: Map<string, string>,
): Mount[] {
  const readOnlyKinds = new Set(
    (pod.spec?.volumes ?? []).filter((v) => v.configMap || v.secret || v.downwardAPI || v.projected).map((v) => v.name),
  );
  return (c.volumeMounts ?? []).map((m) => {
    const base = volumePaths.get(m.name);
    if (!base) throw new ConfigError(`volumeMount ${m.name}: no such volume`);
    let hostPath = base;
    const sub = m.subPathExpr ? m.subPathExpr.replace(/\$\(([^)]+)\)/g, (_, n) => env.get(n) ?? "") : m.subPath;
    if (sub) {
      if (sub.split("/").includes("..") || sub.startsWith("/")) throw new ConfigError(`invalid subPath "${sub}"`);
      hostPath = join(base, sub);
      if (!existsSync(hostPath)) mkdirSync(hostPath, { recursive: true, mode: 0o777 });
    }
    return {
      containerPath: m.mountPath,
      hostPath,
      readonly: Boolean(m.readOnly) || readOnlyKinds.has(m.name),
      propagation: PROPAGATION[m.mountPropagation ?? "None"] ?? "PROPAGATION_PRIVATE",
    };
  });
}

/** Unmounts tmpfs volumes under a pod's directory (before it is removed). */
export function tearDownVolumes(podDir: string): void {
  const mounts = mountsText()
    .split("\n")
    .map((l) => l.split(" ")[1] ?? "")
    .filter((p) => p.startsWith(`${podDir}/`))
    .sort()
    .reverse();
  for (const m of mounts) Bun.spawnSync(["umount", "-l", m], { stderr: "ignore" });
}
