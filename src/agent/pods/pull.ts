// Makes a container's image present, honouring imagePullPolicy (Always / IfNotPresent / Never, with upstream's
// default of Always for :latest or untagged) and imagePullSecrets (docker config JSON), with back-off between
// failed pulls (ErrImagePull, then ImagePullBackOff naming the last pull error, as the kubelet does).

import type { Container, Pod } from "../../api/types.ts";
import { type CriClient, CriError } from "../cri/client.ts";
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

/** An image's repository, normalized as the kubelet matches it against docker config keys: "docker.io/library/x". */
export function repositoryOf(image: string): string {
  let name = image.split("@")[0] ?? "";
  if (name.lastIndexOf(":") > name.lastIndexOf("/")) name = name.slice(0, name.lastIndexOf(":"));
  const first = name.split("/")[0] ?? "";
  if (name.includes("/") && (first.includes(".") || first.includes(":") || first === "localhost"))
    return first === "index.docker.io" ? `docker.io${name.slice(first.length)}` : name;
  return `docker.io/${name.includes("/") ? name : `library/${name}`}`;
}

export const registryOf = (image: string): string => repositoryOf(image).split("/")[0] ?? "docker.io";

/** A docker config key as the kubelet indexes it: no scheme, /v1/ or /v2/ dropped ("https://h/v1/" → "h"). */
function keyringKey(server: string): string {
  const rest = server.replace(/^https?:\/\//, "");
  const slash = rest.indexOf("/");
  if (slash < 0) return rest;
  const path = rest.slice(slash).replace(/^\/v[12]\//, "/");
  return path === "/" ? rest.slice(0, slash) : rest.slice(0, slash) + path;
}

/** filepath.Match for one host label: `*` and `?` within the label. */
const labelMatches = (glob: string, label: string) =>
  new RegExp(
    `^${glob
      .replace(/[.+^${}()|\\]/g, "\\$&")
      .replace(/\*/g, ".*")
      .replace(/\?/g, ".")}$`,
  ).test(label);

/** The kubelet's URLsMatch: same port, host labels glob-matched one by one, the key's path a prefix of the image's. */
function keyMatches(key: string, repository: string): boolean {
  const split = (s: string) => {
    const slash = s.indexOf("/") < 0 ? s.length : s.indexOf("/");
    const [host = "", port = ""] = s.slice(0, slash).split(":");
    return { labels: host.split("."), port, path: s.slice(slash) };
  };
  const k = split(key);
  const t = split(repository);
  return (
    k.port === t.port &&
    k.labels.length === t.labels.length &&
    k.labels.every((glob, i) => labelMatches(glob, t.labels[i] ?? "")) &&
    t.path.startsWith(k.path)
  );
}

type DockerConfigEntry = { username?: string; password?: string; auth?: string };

/** The pod's imagePullSecrets as one keyring: key → credentials, in secret order. */
async function pullSecretKeyring(pod: Pod, reader: ObjectReader): Promise<Map<string, AuthConfig[]>> {
  const keyring = new Map<string, AuthConfig[]>();
  for (const ref of pod.spec?.imagePullSecrets ?? []) {
    // A missing secret is skipped, as upstream: the pull may still work anonymously.
    const secret = await reader.secret(pod.metadata?.namespace ?? "default", ref.name ?? "");
    const raw = secret?.data?.[".dockerconfigjson"] ?? secret?.data?.[".dockercfg"];
    if (!raw) continue;
    const parsed = JSON.parse(Buffer.from(raw, "base64").toString("utf8"));
    const auths: Record<string, DockerConfigEntry> = parsed.auths ?? parsed;
    for (const [server, a] of Object.entries(auths)) {
      const key = keyringKey(server);
      keyring.set(key, [...(keyring.get(key) ?? []), { username: a.username, password: a.password, auth: a.auth }]);
    }
  }
  return keyring;
}

/**
 * Credentials to try for `image`, in order: every imagePullSecret entry whose key matches its repository (the
 * kubelet's keyring: more specific keys first, Docker Hub's "index.docker.io" for docker.io images), else
 * registries.yaml's; empty means an anonymous pull. A secret's credentials go without serverAddress, as the
 * kubelet sends them, so containerd offers them to whichever host (mirror or registry) it contacts.
 */
export async function pullAuths(
  pod: Pod,
  image: string,
  reader: ObjectReader,
  registries?: Registries,
): Promise<AuthConfig[]> {
  const repository = repositoryOf(image);
  const keyring = await pullSecretKeyring(pod, reader);
  const keys = [...keyring.keys()].sort().reverse();
  const matched = keys.filter((k) => keyMatches(k, repository)).flatMap((k) => keyring.get(k) ?? []);
  if (matched.length) return matched;
  const hub = repository.startsWith("docker.io/") ? keyring.get("index.docker.io") : undefined;
  if (hub) return hub;
  const fromFile = registries ? registryAuth(registries, registryOf(image)) : undefined;
  return fromFile ? [fromFile] : [];
}

/** gRPC status codes by number, named as Go prints them (the kubelet's messages come from Go's gRPC errors). */
const GRPC_CODES = [
  "OK",
  "Canceled",
  "Unknown",
  "InvalidArgument",
  "DeadlineExceeded",
  "NotFound",
  "AlreadyExists",
  "PermissionDenied",
  "ResourceExhausted",
  "FailedPrecondition",
  "Aborted",
  "OutOfRange",
  "Unimplemented",
  "Internal",
  "Unavailable",
  "DataLoss",
  "Unauthenticated",
];

/** A pull error as the kubelet reports it: "rpc error: code = NotFound desc = failed to pull and unpack …". */
function pullErrorMessage(err: unknown): string {
  if (err instanceof CriError) return `rpc error: code = ${GRPC_CODES[err.code] ?? err.code} desc = ${err.details}`;
  return (err as Error).message;
}

/** Pulls with each set of credentials in turn until one works, as the kubelet does; throws every error. */
async function pullWithAny(cri: CriClient, image: string, auths: AuthConfig[]): Promise<string> {
  const errors: string[] = [];
  for (const auth of auths.length ? auths : [undefined]) {
    try {
      return await cri.pullImage(image, auth);
    } catch (err) {
      errors.push(pullErrorMessage(err));
    }
  }
  throw new Error(errors.length === 1 ? errors[0] : `[${errors.join(", ")}]`);
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
  /** Called just before a pull starts (the kubelet's "Pulling" event). */
  onPull?: () => void,
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
    onPull?.();
    const imageRef = await pullWithAny(cri, image, await pullAuths(pod, image, reader, registries));
    backoff.reset(key);
    rememberPullError(backoff, key, undefined);
    return { ok: true, imageRef, pulled: true };
  } catch (err) {
    backoff.next(key);
    const message = (err as Error).message;
    rememberPullError(backoff, key, message);
    return { ok: false, waiting: { reason: "ErrImagePull", message } };
  }
}
