import { describe, expect, test } from "bun:test";
import { readFile, stat, writeFile } from "node:fs/promises";
import * as tls from "node:tls";
import {
  certExpiresWithin,
  ensureServerPki,
  issueClientCert,
  scheduleCertificateRenewal,
  servingCertSans,
  signLeafCert,
} from "./pki.ts";
import { tempDirs } from "./testing.ts";
import { generateKeyPair, parseCertificates, privateKeyToPem, x509 } from "./x509.ts";

const tempDir = tempDirs("pki");

const base = {
  nodeName: "node-a",
  sans: ["10.0.0.5", "k3lite.example.com"],
  clusterDomain: "cluster.local",
  firstServiceIp: "10.43.0.1",
};

function sansOf(pem: string): string[] {
  const cert = parseCertificates(pem)[0];
  return (cert?.getExtension(x509.SubjectAlternativeNameExtension)?.names.items ?? []).map((n) => n.value).sort();
}

describe("ensureServerPki", () => {
  test("creates CAs, serving cert with all SANs, SA keys; keys are 0600", async () => {
    const dataDir = await tempDir();
    const pki = await ensureServerPki({ dataDir, ...base });
    expect(sansOf(pki.servingCertPem)).toEqual(
      [
        "127.0.0.1",
        "localhost",
        "node-a",
        "10.0.0.5",
        "k3lite.example.com",
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.cluster.local",
        "10.43.0.1",
      ].sort(),
    );
    expect(pki.caBundlePem).toBe(pki.serverCaCertPem + pki.clientCaCertPem);
    expect(pki.saSigningKeyPem).toContain("BEGIN PRIVATE KEY");
    expect(pki.saVerifyKeyPem).toContain("BEGIN PUBLIC KEY");
    for (const key of [pki.paths.serverCaKey, pki.paths.clientCaKey, pki.paths.servingKey, pki.paths.saSigningKey]) {
      expect((await stat(key)).mode & 0o777).toBe(0o600);
    }
  });

  test("is idempotent, and re-issues the serving cert only when the SANs change", async () => {
    const dataDir = await tempDir();
    const first = await ensureServerPki({ dataDir, ...base });
    const again = await ensureServerPki({ dataDir, ...base });
    expect(again.servingCertPem).toBe(first.servingCertPem);
    expect(again.caBundlePem).toBe(first.caBundlePem);
    expect(again.saSigningKeyPem).toBe(first.saSigningKeyPem);

    const changed = await ensureServerPki({ dataDir, ...base, sans: [...base.sans, "192.168.1.9"] });
    expect(changed.servingCertPem).not.toBe(first.servingCertPem);
    expect(changed.caBundlePem).toBe(first.caBundlePem);
    expect(sansOf(changed.servingCertPem)).toContain("192.168.1.9");
  });

  test("restores 0600 on keys whose mode was widened", async () => {
    const dataDir = await tempDir();
    const pki = await ensureServerPki({ dataDir, ...base });
    const { chmod } = await import("node:fs/promises");
    await chmod(pki.paths.servingKey, 0o644);
    await ensureServerPki({ dataDir, ...base });
    expect((await stat(pki.paths.servingKey)).mode & 0o777).toBe(0o600);
  });

  test("re-issues a serving cert whose key does not match it", async () => {
    const dataDir = await tempDir();
    const pki = await ensureServerPki({ dataDir, ...base });
    await writeFile(pki.paths.servingKey, await privateKeyToPem((await generateKeyPair()).privateKey));
    const again = await ensureServerPki({ dataDir, ...base });
    expect(again.servingCertPem).not.toBe(pki.servingCertPem);
  });

  test("re-issues a serving cert that is unreadable", async () => {
    const dataDir = await tempDir();
    const pki = await ensureServerPki({ dataDir, ...base });
    await writeFile(pki.paths.servingCert, "garbage");
    const again = await ensureServerPki({ dataDir, ...base });
    expect(parseCertificates(again.servingCertPem)).toHaveLength(1);
  });

  test("TLS: the serving cert verifies against the server CA and client certs against the client CA", async () => {
    const dataDir = await tempDir();
    const pki = await ensureServerPki({ dataDir, ...base });
    const admin = await issueClientCert(pki, { commonName: "system:admin", organizations: ["system:masters"] });
    const subject = parseCertificates(admin.certPem)[0]?.subject;
    expect(subject).toContain("CN=system:admin");
    expect(subject).toContain("O=system:masters");

    const server = tls.createServer({
      cert: pki.servingCertPem,
      key: pki.servingKeyPem,
      ca: pki.clientCaCertPem,
      requestCert: true,
      rejectUnauthorized: false,
    });
    const seen = new Promise<{ authorized: boolean; cn: unknown }>((resolve) =>
      server.on("secureConnection", (sock) => {
        resolve({ authorized: sock.authorized, cn: sock.getPeerCertificate().subject?.CN });
        sock.end();
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const client = tls.connect({
      host: "127.0.0.1",
      port,
      ca: pki.serverCaCertPem,
      cert: admin.certPem,
      key: admin.keyPem,
      servername: "kubernetes.default.svc",
    });
    await new Promise<void>((resolve, reject) => {
      client.on("secureConnect", resolve);
      client.on("error", reject);
    });
    expect(client.authorized).toBe(true);
    expect(await seen).toEqual({ authorized: true, cn: "system:admin" });
    client.destroy();
    server.close();
  });
});

test("servingCertSans de-duplicates and normalises", () => {
  const sans = servingCertSans({ ...base, sans: ["LOCALHOST", "::0:1", "127.0.0.1"] });
  expect(sans.filter((s) => s === "localhost")).toHaveLength(1);
  expect(sans).toContain("::1");
});

test("certExpiresWithin", async () => {
  const dataDir = await tempDir();
  const pki = await ensureServerPki({ dataDir, ...base });
  expect(certExpiresWithin(pki.servingCertPem, 90)).toBe(false);
  expect(certExpiresWithin(pki.servingCertPem, 400)).toBe(true);
  expect(certExpiresWithin("nonsense", 1)).toBe(true);
});

describe("renewal", () => {
  test("a serving certificate within 90 days of expiry is re-issued, at start and by the daily timer", async () => {
    const dataDir = await tempDir();
    const opts = { dataDir, ...base };
    const pki = await ensureServerPki(opts);
    const nearExpiry = async () => {
      const keys = await generateKeyPair();
      const certPem = await signLeafCert(
        { certPem: pki.serverCaCertPem, keyPem: pki.serverCaKeyPem },
        {
          subject: [{ CN: ["kube-apiserver"] }],
          notAfter: new Date(Date.now() + 30 * 24 * 3600_000),
          usages: [x509.ExtendedKeyUsage.serverAuth],
          sans: servingCertSans(base),
          publicKey: keys.publicKey,
        },
      );
      await writeFile(pki.paths.servingKey, await privateKeyToPem(keys.privateKey));
      await writeFile(pki.paths.servingCert, certPem);
      return certPem;
    };
    const old = await nearExpiry();
    const renewed = await ensureServerPki(opts);
    expect(renewed.servingCertPem).not.toBe(old);
    expect(certExpiresWithin(renewed.servingCertPem, 90)).toBe(false);

    const seen: string[] = [];
    const stop = scheduleCertificateRenewal(
      opts,
      renewed,
      (p) => seen.push(p.servingCertPem),
      () => {},
      20,
    );
    try {
      const stale = await nearExpiry();
      const deadline = Date.now() + 20_000;
      while (seen.length === 0 && Date.now() < deadline) await Bun.sleep(20);
      // The timer may also catch the moment between the key and the cert being written: then it renews twice.
      await Bun.sleep(100);
      expect(seen.length).toBeGreaterThanOrEqual(1);
      expect(seen.at(-1)).not.toBe(stale);
      expect(certExpiresWithin(await readFile(pki.paths.servingCert, "utf8"), 90)).toBe(false);
    } finally {
      stop();
    }
  }, 30_000);
});
