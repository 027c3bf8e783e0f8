// The API server's hottest request — GET of one object as JSON, by a client that is already authenticated —
// answered straight from node:http's request, without building a fetch Request, running Hono's middleware or
// reading a Response stream. It makes exactly the decisions the full path makes (same authenticator, authorizer,
// registry and storage, same body and content type) and hands anything else, including every error, to `slow`,
// so the two paths cannot disagree on an answer: at worst the fast one declines.

import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { UserInfo } from "../api/types.ts";
import type { StatusError } from "./errors.ts";
import { type FastPath, writeComplete } from "./node-adapter.ts";
import { outputKind } from "./output.ts";
import { type Registry, verbsOf } from "./registry.ts";
import { type RequestInfo, requestInfo } from "./request-info.ts";
import type { ObjectStorage } from "./storage.ts";

export interface FastGetDeps {
  /** The app's own authentication of a network request (upstream's anonymous user when there are no credentials). */
  identify(authorization: string | undefined, socket: TLSSocket | undefined): Promise<UserInfo | StatusError>;
  authorizeRequest(user: UserInfo, info: RequestInfo): Promise<StatusError | undefined>;
  registry: Registry;
  storage: ObjectStorage;
  /** True for paths a mounted sub-app serves (metrics.k8s.io, OpenAPI): never answered from storage here. */
  isMounted(path: string): boolean;
}

const JSON_CONTENT_TYPE = "application/json";
/** Only canonical paths: no percent-encoding, dot segments or empty segments that URL parsing would rewrite. */
const CANONICAL_PATH = /^\/apis?\/[A-Za-z0-9\-_:@+/]*$/;
const UNCANONICAL = /\/\.|\/\/|\/$/;

export function createFastGet(deps: FastGetDeps): FastPath {
  return (incoming, outgoing, slow) => {
    const url = incoming.url;
    if (incoming.method !== "GET" || !url || !CANONICAL_PATH.test(url) || UNCANONICAL.test(url)) return false;
    if (!wantsPlainJson(incoming) || deps.isMounted(url)) return false;
    const info = requestInfo("GET", url, null);
    if (!info.isResourceRequest || info.verb !== "get" || info.subresource || !info.name) return false;
    void answer(deps, info, incoming, outgoing).then(
      (outcome) => (outcome === true ? undefined : slow(outcome)),
      () => slow(),
    );
    return true;
  };
}

/**
 * Serves the object and returns true, or returns what the full path should know (the identity already
 * established, so a failed token is not counted twice by the rate limiter) with nothing written.
 */
async function answer(
  deps: FastGetDeps,
  info: RequestInfo,
  incoming: IncomingMessage,
  outgoing: ServerResponse,
): Promise<true | { identified?: UserInfo | StatusError }> {
  const d = deps.registry.get(info.group, info.version, info.resource ?? "");
  if (!d || !verbsOf(d).includes("get") || d.namespaced !== !!info.namespace) return {};
  const identified = await deps.identify(incoming.headers.authorization, incoming.socket as TLSSocket);
  if (!("username" in identified) || identified.username === "system:anonymous") return { identified };
  const user = identified;
  if (await deps.authorizeRequest(user, info)) return { identified };
  const kv = await deps.storage.find(d, info.namespace, info.name as string);
  if (!kv || outgoing.headersSent || outgoing.destroyed) return { identified };
  const body = Buffer.from(deps.storage.text(kv));
  writeComplete(outgoing, 200, { "content-type": JSON_CONTENT_TYPE, "content-length": String(body.byteLength) }, body);
  return true;
}

/** A plain JSON answer is wanted and nothing in the headers asks for more (impersonation, Table, YAML…). */
function wantsPlainJson(incoming: IncomingMessage): boolean {
  const raw = incoming.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i];
    if (name.length > 12 && name.slice(0, 12).toLowerCase() === "impersonate-") return false;
  }
  const accept = incoming.headers.accept;
  try {
    return outputKind(accept ?? null) === "json";
  } catch {
    return false; // an unacceptable Accept: the full path answers 406
  }
}
