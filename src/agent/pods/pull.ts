// Makes a container's image present, honouring imagePullPolicy (Always / IfNotPresent / Never, with upstream's
// default of Always for :latest or untagged) and imagePullSecrets (docker config JSON), with back-off between
// failed pulls (ErrImagePull, then ImagePullBackOff naming the last pull error, as the kubelet does).

import type { Container, Pod } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import { type Registries, registryAuth } from "../cri/registries.ts";
import type { AuthConfig } from "../cri/types.ts";
import type { Backoff } from "./backoff.ts";
import type { ObjectReader } from "./refs.ts";
import type { Waiting } from "./status.ts";

export function pullPolicy(c: Container): string {
  if (c.imagePullPolicy) return c.imagePullPolicy;
  const image = c.image ?? "";
  const lastSegment = image.split("/").pop() ?? "";
  const tagged = lastSegment.includes(":") || image.includes("@");
  return !tagged || image.endsWith(":latest") ? "Always" : "IfNotPresent";
}

export function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "docker.io";
}

const DOCKER_HUB_NAMES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/** Whether a docker config key ("host", "host:port", "https://host/v1/") names `registry`. */
function dockerConfigMatches(server: string, registry: string): boolean {
  const host = server.replace(/^https?:\/\//, "").split("/")[0] ?? "";
  return host === registry || (DOCKER_HUB_NAMES.has(registry) && DOCKER_HUB_NAMES.has(host));
}

/**
 * Credentials for `image`: the first imagePullSecret entry for its registry, else registries.yaml. A secret's
 * credentials go without serverAddress, as the kubelet sends them, so containerd offers them to whichever host
 * (mirror or registry) it contacts for this image.
 */
export async function pullAuth(
  pod: Pod,
  image: string,
  reader: ObjectReader,
  registries?: Registries,
): Promise<AuthConfig | undefined> {
  const ns = pod.metadata?.namespace ?? "default";
  const registry = registryOf(image);
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    const secret = await reader.secret(ns, ref.name ?? "");
    const raw = secret?.data?.[".dockerconfigjson"] ?? secret?.data?.[".dockercfg"];
    if (!raw) continue;
    const parsed = JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
    const auths: Record<string, { username?: string; password?: string; auth?: string }> = parsed.auths ?? parsed;
    for (const [server, a] of Object.entries(auths)) {
      if (dockerConfigMatches(server, registry)) return { username: a.username, password: a.password, auth: a.auth };
    }
  }
  return registries ? registryAuth(registries, registry) : undefined;
}

/**
 * The last pull error per back-off key, for the ImagePullBackOff message. Entries whose back-off was forgotten
 * (a pod deleted, a pull succeeded) are dropped as new ones come, so this stays as small as the back-off itself.
 */
const lastPullErrors = new WeakMap<Backoff, Map<string, string>>();

function rememberPullError(backoff: Backoff, key: string, message: string | undefined): void {
  const errors = lastPullErrors.get(backoff) ?? new Map<string, string>();
  lastPullErrors.set(backoff, errors);
  for (const k of errors.keys()) if (!backoff.delayOf(k)) errors.delete(k);
  if (message === undefined) errors.delete(key);
  else errors.set(key, message);
}

export type PullResult = { ok: true; imageRef: string; pulled: boolean } | { ok: false; waiting: Waiting };

export async function ensureImage(
  cri: CriClient,
  pod: Pod,
  c: Container,
  reader: ObjectReader,
  backoff: Backoff,
  key: string,
  registries?: Registries,
): Promise<PullResult> {
  const image = c.image ?? "";
  const policy = pullPolicy(c);
  const present = await cri.imageStatus(image);
  if (present && policy !== "Always") return { ok: true, imageRef: present.id, pulled: false };
  if (policy === "Never") {
    return {
      ok: false,
      waiting: {
        reason: "ErrImageNeverPull",
        message: `Container image "${image}" is not present with pull policy of Never`,
      },
    };
  }
  if (backoff.remaining(key) > 0) {
    const last = lastPullErrors.get(backoff)?.get(key);
    const message = `Back-off pulling image "${image}"${last ? `: ErrImagePull: ${last}` : ""}`;
    return { ok: false, waiting: { reason: "ImagePullBackOff", message } };
  }
  try {
    const imageRef = await cri.pullImage(image, await pullAuth(pod, image, reader, registries));
    backoff.reset(key);
    rememberPullError(backoff, key, undefined);
    return { ok: true, imageRef, pulled: true };
  } catch (err) {
    backoff.next(key);
    const message = `failed to pull image "${image}": ${(err as Error).message}`;
    rememberPullError(backoff, key, message);
    return { ok: false, waiting: { reason: "ErrImagePull", message } };
  }
}
