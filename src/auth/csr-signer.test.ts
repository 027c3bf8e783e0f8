import { beforeAll, expect, test } from "bun:test";
import type { CertificateSigningRequest } from "kubernetes-types/certificates/v1";
import {
  KUBE_APISERVER_CLIENT,
  KUBE_APISERVER_CLIENT_KUBELET,
  KUBELET_SERVING,
  signCertificateSigningRequest,
} from "./csr-signer.ts";
import type { ServerPki } from "./pki.ts";
import { tempDirs, testPki } from "./testing.ts";
import { EC_SIGNING_ALGORITHM, generateKeyPair, parseCertificates, x509 } from "./x509.ts";
import { createX509Authenticator } from "./x509-authenticator.ts";

const tempDir = tempDirs("csr");

let dir: string;
let pki: ServerPki;
beforeAll(async () => {
  dir = await tempDir();
  pki = await testPki(dir);
});

async function csr(
  name: string,
  signerName: string,
  usages: string[],
  sans: x509.JsonGeneralName[] = [],
): Promise<CertificateSigningRequest> {
  const extensions = sans.length ? [new x509.SubjectAlternativeNameExtension(sans)] : [];
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name,
    keys: await generateKeyPair(),
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions,
  });
  return {
    metadata: { name: "c" },
    spec: { request: btoa(request.toString("pem")), signerName, usages: usages as never },
  };
}

const certOf = (result: Awaited<ReturnType<typeof signCertificateSigningRequest>>) => {
  if (!("certificate" in result)) throw new Error(result.failed);
  return parseCertificates(Buffer.from(result.certificate, "base64").toString())[0] as x509.X509Certificate;
};

test("kube-apiserver-client: any identity, signed by the client CA, usable for API authentication", async () => {
  const cert = certOf(
    await signCertificateSigningRequest(
      pki,
      await csr("CN=jane, O=devs", KUBE_APISERVER_CLIENT, ["client auth", "digital signature"]),
    ),
  );
  const verdict = await createX509Authenticator(pki.clientCaCertPem)(new Uint8Array(cert.rawData));
  expect(verdict).toEqual({ user: { username: "jane", groups: ["devs", "system:authenticated"] } });
  const short = { ...(await csr("CN=jane", KUBE_APISERVER_CLIENT, ["client auth"])) };
  short.spec.expirationSeconds = 3600;
  const shortCert = certOf(await signCertificateSigningRequest(pki, short));
  expect(shortCert.notAfter.getTime() - Date.now()).toBeLessThan(3700_000);
});

test("kubelet signers accept only node identities; serving certs come from the server CA with their SANs", async () => {
  expect(
    await signCertificateSigningRequest(
      pki,
      await csr("CN=jane, O=system:nodes", KUBE_APISERVER_CLIENT_KUBELET, ["client auth"]),
    ),
  ).toHaveProperty("failed");
  expect(
    await signCertificateSigningRequest(
      pki,
      await csr("CN=system:node:n1, O=system:masters", KUBE_APISERVER_CLIENT_KUBELET, ["client auth"]),
    ),
  ).toHaveProperty("failed");
  certOf(
    await signCertificateSigningRequest(
      pki,
      await csr("CN=system:node:n1, O=system:nodes", KUBE_APISERVER_CLIENT_KUBELET, ["client auth"]),
    ),
  );
  const serving = certOf(
    await signCertificateSigningRequest(
      pki,
      await csr(
        "CN=system:node:n1, O=system:nodes",
        KUBELET_SERVING,
        ["server auth", "digital signature"],
        [
          { type: "dns", value: "n1" },
          { type: "ip", value: "10.0.0.7" },
        ],
      ),
    ),
  );
  expect(serving.issuer).toBe(parseCertificates(pki.serverCaCertPem)[0]?.subject as string);
  const sans = serving.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value);
  expect(sans).toEqual(["n1", "10.0.0.7"]);
  expect(
    await signCertificateSigningRequest(
      pki,
      await csr("CN=system:node:n1, O=system:nodes", KUBELET_SERVING, ["server auth"]),
    ),
  ).toHaveProperty("failed");
});

test("garbage, tampered requests, wrong usages and unknown signers fail cleanly", async () => {
  const good = await csr("CN=jane", KUBE_APISERVER_CLIENT, ["client auth"]);
  expect(
    await signCertificateSigningRequest(pki, { ...good, spec: { ...good.spec, request: btoa("nonsense") } }),
  ).toHaveProperty("failed");
  const pem = Buffer.from(good.spec.request, "base64").toString();
  const der = Buffer.from(x509.PemConverter.decodeFirst(pem));
  der[der.length - 5] = (der[der.length - 5] as number) ^ 0xff;
  const tampered = btoa(x509.PemConverter.encode(der, "CERTIFICATE REQUEST"));
  expect(
    await signCertificateSigningRequest(pki, { ...good, spec: { ...good.spec, request: tampered } }),
  ).toHaveProperty("failed");
  expect(
    await signCertificateSigningRequest(pki, await csr("CN=jane", KUBE_APISERVER_CLIENT, ["server auth"])),
  ).toHaveProperty("failed");
  expect(
    await signCertificateSigningRequest(pki, await csr("CN=jane", "example.com/custom", ["client auth"])),
  ).toHaveProperty("failed");
});
