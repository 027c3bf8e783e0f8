// Signing CertificateSigningRequests (certificates.k8s.io/v1) with the cluster CAs, for the built-in signers:
// kube-apiserver-client (any client identity), kube-apiserver-client-kubelet and kubelet-serving (node
// identities only, as upstream restricts them). The caller (the CSR signing controller in the server) only calls
// this for approved CSRs; the answer is status.certificate or the reason for a Failed condition.

import { isIP } from "node:net";
import type { CertificateSigningRequest } from "kubernetes-types/certificates/v1";
import { type ServerPki, signLeafCert } from "./pki.ts";
import { x509 } from "./x509.ts";

export const KUBE_APISERVER_CLIENT = "kubernetes.io/kube-apiserver-client";
export const KUBE_APISERVER_CLIENT_KUBELET = "kubernetes.io/kube-apiserver-client-kubelet";
export const KUBELET_SERVING = "kubernetes.io/kubelet-serving";

const DEFAULT_DURATION_SECONDS = 365 * 24 * 3600;
const MIN_DURATION_SECONDS = 600;
const CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
const KEY_USAGES = new Set(["digital signature", "key encipherment"]);

export type CsrSigningResult = { certificate: string /* base64 PEM, for status.certificate */ } | { failed: string };

export async function signCertificateSigningRequest(
  pki: Pick<ServerPki, "clientCaCertPem" | "clientCaKeyPem" | "serverCaCertPem" | "serverCaKeyPem">,
  csr: CertificateSigningRequest,
  now = new Date(),
): Promise<CsrSigningResult> {
  const spec = csr.spec;
  let request: x509.Pkcs10CertificateRequest;
  try {
    request = new x509.Pkcs10CertificateRequest(Buffer.from(spec.request, "base64").toString());
    if (!(await request.verify())) return { failed: "the request's signature does not match its public key" };
  } catch {
    return { failed: "spec.request is not a PEM-encoded PKCS#10 certificate request" };
  }
  const cn = request.subjectName.getField("CN")[0] ?? "";
  const orgs = request.subjectName.getField("O");
  const sanExt = request.getExtension("2.5.29.17");
  const sans = sanExt ? new x509.SubjectAlternativeNameExtension(sanExt.rawData).names.items : [];
  const usages = spec.usages ?? [];
  const isNode =
    cn.startsWith("system:node:") &&
    cn.length > "system:node:".length &&
    orgs.length === 1 &&
    orgs[0] === "system:nodes";

  let serving = false;
  switch (spec.signerName) {
    case KUBE_APISERVER_CLIENT:
      if (!usages.includes("client auth") || !usages.every((u) => u === "client auth" || KEY_USAGES.has(u))) {
        return {
          failed: `usages for ${KUBE_APISERVER_CLIENT} must include "client auth" and may add only "digital signature" and "key encipherment"`,
        };
      }
      break;
    case KUBE_APISERVER_CLIENT_KUBELET:
      if (!isNode) return { failed: "subject must be CN=system:node:<name>, O=system:nodes" };
      if (sans.length > 0) return { failed: "subject alternative names are not allowed for client certificates" };
      if (!usages.includes("client auth") || !usages.every((u) => u === "client auth" || KEY_USAGES.has(u))) {
        return { failed: 'usages must be "client auth" (and optionally "digital signature", "key encipherment")' };
      }
      break;
    case KUBELET_SERVING:
      if (!isNode) return { failed: "subject must be CN=system:node:<name>, O=system:nodes" };
      if (sans.length === 0 || sans.some((n) => n.type !== "dns" && n.type !== "ip")) {
        return { failed: "kubelet serving certificates need DNS or IP subject alternative names, and only those" };
      }
      if (!usages.includes("server auth") || !usages.every((u) => u === "server auth" || KEY_USAGES.has(u))) {
        return { failed: 'usages must be "server auth" (and optionally "digital signature", "key encipherment")' };
      }
      serving = true;
      break;
    default:
      return { failed: `signer ${spec.signerName} is not served by k3lite` };
  }

  const seconds = Math.max(spec.expirationSeconds ?? DEFAULT_DURATION_SECONDS, MIN_DURATION_SECONDS);
  const ca = serving
    ? { certPem: pki.serverCaCertPem, keyPem: pki.serverCaKeyPem }
    : { certPem: pki.clientCaCertPem, keyPem: pki.clientCaKeyPem };
  const certPem = await signLeafCert(ca, {
    subject: request.subjectName,
    notAfter: new Date(now.getTime() + Math.min(seconds, DEFAULT_DURATION_SECONDS) * 1000),
    usages: [serving ? SERVER_AUTH : CLIENT_AUTH],
    sans: serving
      ? sans.map((n) => n.value).filter((v) => v !== "" && (isIP(v) !== 0 || /^[a-z0-9.-]+$/i.test(v)))
      : undefined,
    publicKey: request.publicKey,
  });
  return { certificate: Buffer.from(certPem).toString("base64") };
}
