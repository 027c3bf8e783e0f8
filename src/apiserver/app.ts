// The API server's Hono app: authentication (in-process identity, TLS client certificate, bearer token),
// authorization, health and version, discovery, OpenAPI and other mounted routes, then generic REST for every
// registered resource type. Transport-free: the HTTPS listener and the in-process transport both call app.fetch.

import type { TLSSocket } from "node:tls";
import { Hono } from "hono";
import type { UserInfo } from "../api/types.ts";
import type { AuthenticationInput, AuthenticationResult } from "../auth/authenticate.ts";
import type { Store } from "../store/types.ts";
import { bunVersion, gitCommit, version } from "../version.ts";
import { parseCidr, ServiceAllocators } from "./allocator.ts";
import { unknownFields } from "./crd/descriptor.ts";
import { aggregatedDiscoveryType, aggregatedDiscoveryVersion, Discovery } from "./discovery.ts";
import {
  forbidden,
  pathNotFound,
  StatusError,
  statusResponse,
  tooManyRequests,
  toStatusError,
  unauthorized,
} from "./errors.ts";
import { createFastGet } from "./fast-get.ts";
import type { FastPath } from "./node-adapter.ts";
import { jsonText } from "./output.ts";
import { Registry } from "./registry.ts";
import { type RequestInfo, requestInfo } from "./request-info.ts";
import type { RequestAuthorizer, TokenAuthenticator } from "./resources/types.ts";
import type { ApiContext, Patcher } from "./rest/context.ts";
import { defaultPatcher } from "./rest/patch.ts";
import { type SubresourceHandler, serveResource } from "./rest/router.ts";
import { ObjectStorage } from "./storage.ts";

export interface ApiServerOptions {
  store: Store;
  serviceCidr: string;
  /** Authenticates network requests; absent = every network request is anonymous. */
  authenticate?(input: AuthenticationInput): Promise<AuthenticationResult>;
  authenticateToken?: TokenAuthenticator;
  /** Absent = every authenticated user may do anything (used until RBAC is wired). */
  authorizer?: RequestAuthorizer;
  patch?: Patcher;
  /** Events one watcher may queue before it is dropped as too slow. */
  watchQueueLimit?: number;
  /** Kubernetes version reported by /version (kubectl warns on skew greater than one minor). */
  kubernetesVersion?: string;
}

/** Paths reachable without credentials (upstream's system:public-info-viewer, and k3s's /cacerts). */
const PUBLIC_PATHS = new Set(["/healthz", "/livez", "/readyz", "/version", "/cacerts", "/ping"]);
const MASTERS = "system:masters";
/** Routes that check credentials of their own (the join endpoint takes the cluster token, not an API credential). */
const SELF_AUTHENTICATED_PATHS = new Set([
  "/v1-k3lite/node-cert",
  "/v1-k3lite/secrets-encrypt/status",
  "/v1-k3lite/secrets-encrypt/rotate-keys",
]);
const ANONYMOUS: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };
/** A connection's certificate never changes; re-verify now and then for expiry. */
const SOCKET_USER_TTL_MS = 60_000;
/**
 * A bearer token sent again on the same connection is taken as checked for this long: well inside the token
 * cache's 10 s, so a revoked token still stops working as promptly, without hashing a JWT on every request.
 */
const SOCKET_TOKEN_TTL_MS = 1_000;

export type Env = {
  user?: UserInfo;
  incoming?: { socket?: TLSSocket };
  /** The connection's identity when the fast path already established it (so it is not checked twice). */
  identified?: UserInfo | StatusError;
};
type Variables = { user: UserInfo };

export interface ApiServer {
  app: Hono<{ Bindings: Env; Variables: Variables }>;
  registry: Registry;
  context: ApiContext;
  storage: ObjectStorage;
  allocators: ServiceAllocators;
  /** Other components plug streaming/special subresources in here ("pods/log", "serviceaccounts/token"). */
  subresources: Map<string, SubresourceHandler>;
  /** Routes mounted before the generic REST catch-all (OpenAPI, /cacerts, …). */
  mount(path: string, app: Hono): void;
  /** Authentication and authorization as the app does them, for requests that bypass it (connection upgrades). */
  authenticateRequest(req: Request, env: Env | undefined): Promise<UserInfo | StatusError>;
  authorizeRequest(user: UserInfo, info: RequestInfo): Promise<StatusError | undefined>;
  /** Swap the authenticator/authorizer once they are built (they may need the API server to exist first). */
  setAuth(auth: Pick<ApiServerOptions, "authenticate" | "authenticateToken" | "authorizer">): void;
  ready: { value: boolean };
  /** GET of one object straight from node:http (see fast-get.ts); the listener tries it before `app.fetch`. */
  fast: FastPath;
}

export function createApiServer(opts: ApiServerOptions): ApiServer {
  const registry = new Registry();
  const storage = new ObjectStorage(opts.store);
  const allocators = new ServiceAllocators(opts.store, parseCidr(opts.serviceCidr));
  const discovery = new Discovery(registry);
  const subresources = new Map<string, SubresourceHandler>();
  let authenticate = opts.authenticate;
  const allowAll: RequestAuthorizer = {
    authorize: async () => ({ allowed: true }),
    rulesFor: async () => ({ rules: [], incomplete: true }),
  };
  const context: ApiContext = {
    registry,
    storage,
    hooks: {
      allocateServiceIps: (svc, old) => allocators.allocate(svc, old),
      releaseServiceIps: (svc) => allocators.release(svc),
      priorityClasses: async () => {
        const d = registry.get("scheduling.k8s.io", "v1", "priorityclasses");
        if (!d) return [];
        return (await storage.list(d, undefined, {})).items.map((kv) => storage.decode(kv));
      },
    },
    authorizer: opts.authorizer ?? allowAll,
    authenticateToken: opts.authenticateToken,
    patch: opts.patch ?? defaultPatcher,
    unknownFields,
    watchQueueLimit: opts.watchQueueLimit,
  };
  // Not ready until the server has bootstrapped the cluster and written the kubeconfig (startServer flips it).
  const ready = { value: false };
  const socketUsers = new WeakMap<object, { user: UserInfo; authorization?: string; at: number }>();
  const kubeVersion = opts.kubernetesVersion ?? "v1.32.0";
  const [major, minor] = kubeVersion.slice(1).split(".");
  const versionDoc = JSON.stringify({
    major,
    minor,
    gitVersion: `${kubeVersion}+k3lite`,
    gitCommit,
    gitTreeState: "clean",
    buildDate: "",
    goVersion: `bun${bunVersion}`,
    compiler: "bun",
    platform: `linux/${process.arch === "x64" ? "amd64" : process.arch}`,
    k3lite: version,
  });

  async function identify(req: Request, env: Env | undefined): Promise<UserInfo | StatusError> {
    if (env?.user) return env.user;
    if (env?.identified) return env.identified;
    return identifyConnection(req.headers.get("authorization") ?? undefined, env?.incoming?.socket);
  }

  /** Who sent a network request: its client certificate (remembered per connection) or bearer token. */
  async function identifyConnection(
    authorization: string | undefined,
    socket: TLSSocket | undefined,
  ): Promise<UserInfo | StatusError> {
    if (!authenticate) return ANONYMOUS;
    if (socket) {
      const hit = socketUsers.get(socket);
      const ttl = authorization ? SOCKET_TOKEN_TTL_MS : SOCKET_USER_TTL_MS;
      if (hit && hit.authorization === authorization && Date.now() - hit.at < ttl) return hit.user;
    }
    const peer = socket?.getPeerCertificate?.();
    const clientAddress = socket?.remoteAddress;
    const result = await authenticate({
      peerCertificate: peer,
      peerAuthorized: !!socket?.authorized,
      authorization,
      clientAddress,
    });
    if (result && "error" in result) {
      // An address that keeps failing is told when to come back rather than answered 401 again.
      if (result.retryAfterSeconds !== undefined) return tooManyRequests(result.error, result.retryAfterSeconds);
      return unauthorized();
    }
    const user = result?.user ?? ANONYMOUS;
    if (socket && result) socketUsers.set(socket, { user, authorization, at: Date.now() });
    return user;
  }

  const app = new Hono<{ Bindings: Env; Variables: Variables }>();

  app.onError((err) => {
    const status = toStatusError(err);
    if (status.code >= 500) console.error("apiserver:", err);
    return statusResponse(status);
  });
  app.notFound(() => statusResponse(pathNotFound()));

  /** Impersonate-User/-Group headers (kubectl --as): allowed when the caller may `impersonate` them. */
  async function impersonate(req: Request, user: UserInfo): Promise<UserInfo | StatusError> {
    const as = req.headers.get("impersonate-user");
    if (!as) return user;
    const groups =
      req.headers
        .get("impersonate-group")
        ?.split(",")
        .map((g) => g.trim())
        .filter(Boolean) ?? [];
    const checks = [
      {
        resource: as.startsWith("system:serviceaccount:") ? "serviceaccounts" : "users",
        name: as.startsWith("system:serviceaccount:") ? as.split(":")[3] : as,
        namespace: as.startsWith("system:serviceaccount:") ? as.split(":")[2] : undefined,
      },
      ...groups.map((g) => ({ resource: "groups", name: g, namespace: undefined })),
    ];
    for (const chk of checks) {
      const d = await context.authorizer.authorize(user, { verb: "impersonate", apiGroup: "", ...chk });
      if (!d.allowed) {
        return forbidden(
          {
            user: user.username,
            verb: "impersonate",
            resource: chk.resource,
            group: "",
            name: chk.name,
            namespace: chk.namespace,
          },
          d.reason ?? "",
        );
      }
    }
    const implied = as.startsWith("system:serviceaccount:")
      ? ["system:serviceaccounts", `system:serviceaccounts:${as.split(":")[2]}`]
      : [];
    return { username: as, groups: [...new Set([...groups, ...implied, "system:authenticated"])] };
  }

  /** Who a request is from: its in-process identity, client certificate or token, then impersonation. */
  async function authenticateRequest(req: Request, env: Env | undefined): Promise<UserInfo | StatusError> {
    const who = await identify(req, env);
    return who instanceof StatusError || who === ANONYMOUS ? who : impersonate(req, who);
  }

  /** A 403 Status when `user` may not do what `info` describes (system:masters skip the authorizer). */
  async function authorizeRequest(user: UserInfo, info: RequestInfo): Promise<StatusError | undefined> {
    if (user.groups.includes(MASTERS)) return undefined;
    const decision = await context.authorizer.authorize(user, {
      verb: info.verb,
      apiGroup: info.group,
      apiVersion: info.version,
      resource: info.resource,
      subresource: info.subresource,
      namespace: info.namespace,
      name: info.name,
      path: info.isResourceRequest ? undefined : info.path,
    });
    if (decision.allowed) return undefined;
    const { verb, resource, subresource, group, name, namespace, path } = info;
    return forbidden(
      { user: user.username, verb, resource, subresource, group, name, namespace, path },
      decision.reason ?? "",
    );
  }

  app.use("*", async (c, next) => {
    if (SELF_AUTHENTICATED_PATHS.has(c.req.path)) {
      c.set("user", ANONYMOUS);
      return next();
    }
    const who = await authenticateRequest(c.req.raw, c.env);
    if (who instanceof StatusError) return statusResponse(who);
    if (who === ANONYMOUS && !PUBLIC_PATHS.has(c.req.path)) return statusResponse(unauthorized());
    c.set("user", who);
    await next();
  });

  const ok = (c: { text(t: string): Response }) => c.text("ok");
  app.get("/healthz", ok);
  app.get("/livez", ok);
  app.get("/readyz", (c) => (ready.value ? c.text("ok") : c.text("[-]not ready", 500)));
  app.get("/ping", ok);
  app.get("/version", () => jsonText(200, versionDoc));

  const mounted: { path: string; app: Hono }[] = [];
  app.all("*", async (c) => {
    const req = c.req.raw;
    const url = new URL(req.url);
    const path = url.pathname;
    for (const m of mounted) {
      if (isUnder(path, m.path)) {
        const res = await m.app.fetch(req, c.env);
        if (res.status !== 404 || res.headers.get("content-type")?.includes("json")) return res;
      }
    }
    const user = c.get("user");
    const info = requestInfo(req.method, path, url.searchParams.get("watch"));
    const denied = await authorizeRequest(user, info);
    if (denied) return statusResponse(denied);
    if (!info.isResourceRequest) return discoveryResponse(path, req, url);
    return serveResource(context, info, req, url.searchParams, user, subresources);
  });

  function discoveryResponse(path: string, req: Request, url: URL): Response {
    if (req.method !== "GET" && req.method !== "HEAD") throw pathNotFound();
    const accept = req.headers.get("accept");
    const clean = path.replace(/\/$/, "");
    if (clean === "/api" || clean === "/apis") {
      const aggregated = aggregatedDiscoveryVersion(accept);
      if (aggregated) {
        return new Response(discovery.aggregated(clean === "/api", aggregated), {
          headers: { "content-type": aggregatedDiscoveryType(aggregated) },
        });
      }
      return jsonText(200, clean === "/api" ? discovery.coreVersions(url.host) : discovery.groups());
    }
    const parts = clean.split("/").filter(Boolean);
    let text: string | undefined;
    if (parts[0] === "api" && parts.length === 2) text = discovery.resources("", parts[1]);
    else if (parts[0] === "apis" && parts.length === 2) text = discovery.group(parts[1]);
    else if (parts[0] === "apis" && parts.length === 3) text = discovery.resources(parts[1], parts[2]);
    if (!text) throw pathNotFound();
    return jsonText(200, text);
  }

  return {
    app,
    registry,
    context,
    storage,
    allocators,
    subresources,
    ready,
    fast: createFastGet({
      identify: identifyConnection,
      authorizeRequest,
      registry,
      storage,
      isMounted: (path) => mounted.some((m) => isUnder(path, m.path)),
    }),
    authenticateRequest,
    authorizeRequest,
    mount(path, sub) {
      mounted.push({ path: path.replace(/\/$/, "") || "/", app: sub });
    },
    setAuth(auth) {
      if (auth.authenticate) authenticate = auth.authenticate;
      if (auth.authorizer) context.authorizer = auth.authorizer;
      if (auth.authenticateToken) context.authenticateToken = auth.authenticateToken;
    },
  };
}

/** Whether a mounted sub-app at `mount` serves `path`. */
function isUnder(path: string, mount: string): boolean {
  return path === mount || path.startsWith(`${mount}/`) || mount === "/";
}
