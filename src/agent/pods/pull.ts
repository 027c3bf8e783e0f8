// Makes a container's image present, honouring imagePullPolicy (Always / IfNotPresent / Never, with upstream's
// default of Always for :latest or untagged) and imagePullSecrets (docker config JSON), with back-off between
// failed pulls (ErrImagePull, then ImagePullBackOff).

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

function registryOf(image: string): string {
  const first = image.split("/")[0] ?? "";
  return image.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : "docker.io";
}

async function pullAuth(
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
      const host = server.replace(/^https?:\/\//, "").split("/")[0];
      if (host === registry || (registry === "docker.io" && host === "index.docker.io")) {
        return { username: a.username, password: a.password, auth: a.auth, serverAddress: server };
      }
    }
  }
  return registries ? registryAuth(registries, registry) : undefined;
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
  if (backoff.remaining(key) > 0)
    return { ok: false, waiting: { reason: "ImagePullBackOff", message: `Back-off pulling image "${image}"` } };
  try {
    const imageRef = await cri.pullImage(image, await pullAuth(pod, image, reader, registries));
    backoff.reset(key);
    return { ok: true, imageRef, pulled: true };
  } catch (err) {
    backoff.next(key);
    return {
      ok: false,
      waiting: { reason: "ErrImagePull", message: `failed to pull image "${image}": ${(err as Error).message}` },
    };
  }
}
