// The serviceaccounts/token subresource handler (TokenRequest) the API server plugs into its router:
// api.subresources.set("serviceaccounts/token", tokenRequestHandler(...)). Reads the body the way other
// subresources do (JSON, YAML or protobuf), answers 201 with the TokenRequest and its token.
import type { TokenRequest } from "kubernetes-types/authentication/v1";
import type { ServiceAccount } from "../api/types.ts";
import { asObject, readBody } from "../apiserver/body.ts";
import { badRequest, invalid, methodNotSupported, notFound } from "../apiserver/errors.ts";
import { respondObject } from "../apiserver/output.ts";
import type { SubresourceHandler } from "../apiserver/rest/router.ts";
import { serveTokenRequest, type TokenRequestOptions } from "./token-request.ts";

export interface TokenRequestHandlerOptions {
  signingKeyPem: string;
  issuer?: string;
  apiAudiences: string[];
  lookup: TokenRequestOptions["lookup"] & {
    serviceAccount(namespace: string, name: string): Promise<ServiceAccount | undefined>;
  };
}

export function tokenRequestHandler(opts: TokenRequestHandlerOptions): SubresourceHandler {
  return async (s, name) => {
    if (s.info.verb !== "create") throw methodNotSupported({ group: "", resource: "serviceaccounts" }, s.info.verb);
    const namespace = s.namespace ?? "";
    const request = asObject((await readBody(s.req, false)).value) as TokenRequest;
    const serviceAccount = await opts.lookup.serviceAccount(namespace, name);
    if (!serviceAccount) throw notFound({ group: "", resource: "serviceaccounts" }, name);
    const result = await serveTokenRequest({
      signingKeyPem: opts.signingKeyPem,
      issuer: opts.issuer,
      apiAudiences: opts.apiAudiences,
      serviceAccount,
      request,
      lookup: opts.lookup,
    });
    if ("tokenRequest" in result) return respondObject(201, result.tokenRequest, s.output);
    if (result.code === 422) {
      throw invalid("authentication.k8s.io", "TokenRequest", name, [
        { reason: "FieldValueInvalid", field: result.field, message: result.detail ?? result.message },
      ]);
    }
    if (result.code === 404) {
      const kind = request.spec?.boundObjectRef?.kind === "Secret" ? "secrets" : "pods";
      throw notFound({ group: "", resource: kind }, request.spec?.boundObjectRef?.name ?? "");
    }
    throw badRequest(result.message);
  };
}
