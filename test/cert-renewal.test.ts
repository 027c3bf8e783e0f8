// Certificate renewal while the server runs: a serving certificate near expiry is re-issued by the renewal
// timer (shortened here instead of waiting a day) and new TLS connections get the new one without a restart.

import "reflect-metadata";
import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect } from "node:tls";
import * as x509 from "@peculiar/x509";
import { signLeafCert } from "../src/auth/pki.ts";
import { type RunningServer, startServer } from "../src/server/index.ts";
import { testServerConfig, waitFor } from "./harness.ts";

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "k3lite-certs-"));
  const config = testServerConfig(dataDir, 0, { nodeName: "n1" });
  server = await startServer(config, { certRenewalIntervalMs: 500 });
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** The certificate a new TLS connection to the server is given. */
function servedCertificate(): Promise<x509.X509Certificate> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port: server.port, rejectUnauthorized: false }, () => {
      const raw = socket.getPeerCertificate().raw;
      socket.end();
      resolve(new x509.X509Certificate(raw));
    });
    socket.on("error", reject);
  });
}

test("a serving certificate near expiry is renewed and served to new connections", async () => {
  const paths = server.pki.paths;
  const before = await servedCertificate();
  expect(before.toString("pem")).toBe(new x509.X509Certificate(server.pki.servingCertPem).toString("pem"));

  // Replace the file with a certificate for the same key and names that expires in 10 days (inside the 90-day window).
  const sans = before.getExtension(x509.SubjectAlternativeNameExtension)?.names.items.map((n) => n.value) ?? [];
  const ca = { certPem: await readFile(paths.serverCaCert, "utf8"), keyPem: await readFile(paths.serverCaKey, "utf8") };
  const expiring = await signLeafCert(ca, {
    subject: "CN=kube-apiserver",
    notAfter: new Date(Date.now() + 10 * 24 * 3600 * 1000),
    usages: ["1.3.6.1.5.5.7.3.1"],
    sans,
    publicKey: before.publicKey,
  });
  await writeFile(paths.servingCert, expiring);

  // Renewed: what new connections get is the certificate now on disk, neither the old one nor the expiring one.
  const renewed = await waitFor(
    async () => {
      const served = await servedCertificate();
      const onDisk = new x509.X509Certificate(await readFile(paths.servingCert, "utf8"));
      return served.serialNumber !== before.serialNumber && served.serialNumber === onDisk.serialNumber
        ? served
        : undefined;
    },
    30_000,
    "the renewed serving certificate",
  );
  expect(renewed.notAfter.getTime()).toBeGreaterThan(Date.now() + 300 * 24 * 3600 * 1000);
  // The renewed certificate verifies against the cluster CA: a verifying client still gets through.
  const res = await fetch(`${server.url}/readyz`, { tls: { ca: ca.certPem } });
  expect(res.status).toBe(200);
}, 60_000);
