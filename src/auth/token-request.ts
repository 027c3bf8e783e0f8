// Issuing ServiceAccount tokens the way the API does: the TokenRequest subresource (serviceaccounts/token,
// upstream's validation and pod/secret binding) and the data of legacy `kubernetes.io/service-account-token`
// Secrets (what the tokens controller fills in). The API server calls these; signing stays in this component.
import type { TokenRequest } from "kubernetes-types/authentication/v1";
import type { Node, Pod, Secret, ServiceAccount } from "../api/types.ts";
import { MIN_TOKEN_EXPIRATION_SECONDS, signServiceAccountToken } from "./serviceaccount-token.ts";

const MAX_EXPIRATION_SECONDS = 2 ** 32;

export interface TokenRequestOptions {
  signingKeyPem: string;
  issuer?: string;
  /** --api-audiences: the default when the request names none. */
  apiAudiences: string[];
  serviceAccount: ServiceAccount;
  request: TokenRequest;
  lookup: {
    pod(namespace: string, name: string): Promise<Pod | undefined>;
    secret(namespace: string, name: string): Promise<Secret | undefined>;
    node?(name: string): Promise<Node | undefined>;
  };
  now?: Date;
}

export type TokenRequestResult =
  | { tokenRequest: TokenRequest }
  | { code: 400 | 404 | 422; message: string; field?: string; detail?: string };

export async function serveTokenRequest(opts: TokenRequestOptions): Promise<TokenRequestResult> {
  const sa = opts.serviceAccount;
  const ns = sa.metadata?.namespace ?? "";
  const saName = sa.metadata?.name ?? "";
  const spec = opts.request.spec ?? { audiences: [] };
  const expirationSeconds = spec.expirationSeconds ?? 3600;
  const invalidExpiration = (why: string) => {
    const detail = `Invalid value: ${expirationSeconds}: ${why}`;
    const message = `TokenRequest.authentication.k8s.io "${saName}" is invalid: spec.expirationSeconds: ${detail}`;
    return { code: 422 as const, message, field: "spec.expirationSeconds", detail };
  };
  if (expirationSeconds < MIN_TOKEN_EXPIRATION_SECONDS)
    return invalidExpiration("may not specify a duration less than 10 minutes");
  if (expirationSeconds > MAX_EXPIRATION_SECONDS)
    return invalidExpiration("may not specify a duration larger than 2^32 seconds");
  const audiences = spec.audiences?.length ? spec.audiences : opts.apiAudiences;

  let boundObject: { kind: "Pod" | "Secret"; name: string; uid: string } | undefined;
  let node: { name: string; uid: string } | undefined;
  const ref = spec.boundObjectRef;
  if (ref) {
    if (ref.kind !== "Pod" && ref.kind !== "Secret") {
      return {
        code: 400,
        message: `cannot bind token to object of type ${ref.apiVersion ?? "v1"}, Kind=${ref.kind ?? ""}`,
      };
    }
    const name = ref.name ?? "";
    const obj = ref.kind === "Pod" ? await opts.lookup.pod(ns, name) : await opts.lookup.secret(ns, name);
    if (!obj) return { code: 404, message: `${ref.kind === "Pod" ? "pods" : "secrets"} "${name}" not found` };
    const uid = obj.metadata?.uid ?? "";
    if (ref.uid && ref.uid !== uid) {
      return {
        code: 400,
        message: `the UID in the bound object reference (${ref.uid}) does not match the UID in record. The object might have been deleted and then recreated`,
      };
    }
    if (ref.kind === "Pod") {
      const pod = obj as Pod;
      if ((pod.spec?.serviceAccountName || "default") !== saName) {
        return {
          code: 400,
          message: `cannot bind token for serviceaccount "${saName}" to pod running with different serviceaccount name.`,
        };
      }
      const nodeName = pod.spec?.nodeName;
      if (nodeName) {
        const n = await opts.lookup.node?.(nodeName);
        if (n?.metadata?.uid) node = { name: nodeName, uid: n.metadata.uid };
      }
    }
    boundObject = { kind: ref.kind, name, uid };
  }

  const { token, expirationTimestamp } = await signServiceAccountToken(
    { signingKeyPem: opts.signingKeyPem, issuer: opts.issuer, now: opts.now },
    {
      kind: "bound",
      serviceAccount: { namespace: ns, name: saName, uid: sa.metadata?.uid ?? "" },
      audiences,
      expirationSeconds,
      boundObject,
      node,
    },
  );
  const expires = (expirationTimestamp ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z");
  return {
    tokenRequest: {
      apiVersion: "authentication.k8s.io/v1",
      kind: "TokenRequest",
      metadata: {
        name: saName,
        namespace: ns,
        creationTimestamp: (opts.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, "Z"),
      },
      spec: { audiences, expirationSeconds, ...(ref ? { boundObjectRef: ref } : {}) },
      status: { token, expirationTimestamp: expires },
    },
  };
}

/**
 * The `data` of a legacy token Secret (type kubernetes.io/service-account-token, annotation
 * kubernetes.io/service-account.name): token, ca.crt and namespace, base64 as stored.
 */
export async function legacyTokenSecretData(opts: {
  signingKeyPem: string;
  serviceAccount: ServiceAccount;
  secretName: string;
  caPem: string;
}): Promise<Record<string, string>> {
  const ns = opts.serviceAccount.metadata?.namespace ?? "";
  const { token } = await signServiceAccountToken(
    { signingKeyPem: opts.signingKeyPem },
    {
      kind: "legacy",
      serviceAccount: {
        namespace: ns,
        name: opts.serviceAccount.metadata?.name ?? "",
        uid: opts.serviceAccount.metadata?.uid ?? "",
      },
      secretName: opts.secretName,
    },
  );
  const b64 = (s: string) => Buffer.from(s).toString("base64");
  return { token: b64(token), "ca.crt": b64(opts.caPem), namespace: b64(ns) };
}
