// Fuzz-ish: many malformed inputs on the authentication paths must each be refused cleanly, never thrown.
import { beforeAll, expect, test } from "bun:test";
import { type Authenticator, createAuthenticator, signServiceAccountToken } from "./authenticate.ts";
import { issueClientCert, type ServerPki } from "./pki.ts";
import { tempDirs, testPki } from "./testing.ts";
import { x509 } from "./x509.ts";

const tempDir = tempDirs("fuzz");

let dir: string;
let pki: ServerPki;
let auth: Authenticator;

beforeAll(async () => {
  dir = await tempDir();
  pki = await testPki(dir);
  auth = createAuthenticator({
    clientCaPem: pki.clientCaCertPem,
    saVerifyKeyPem: pki.saVerifyKeyPem,
    lookup: {
      secret: async () => {
        throw new Error("store unavailable");
      },
      pod: async () => undefined,
      serviceAccount: async () => ({ metadata: { uid: "u" } }),
    },
  });
});

/** A small deterministic PRNG so failures reproduce. */
function prng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

// Hundreds of signature checks: allow for a loaded machine.
const FUZZ_TIMEOUT_MS = 30_000;

test(
  "mutated client certificates are refused without throwing",
  async () => {
    const { certPem } = await issueClientCert(pki, { commonName: "alice", organizations: ["dev"] });
    const der = new Uint8Array(x509.PemConverter.decodeFirst(certPem));
    const rand = prng(42);
    for (let i = 0; i < 300; i++) {
      const mutated = new Uint8Array(der);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips; f++) mutated[Math.floor(rand() * mutated.length)] = Math.floor(rand() * 256);
      const raw = Buffer.from(rand() < 0.2 ? mutated.subarray(0, Math.floor(rand() * mutated.length)) : mutated);
      const result = await auth.authenticate({ peerCertificate: { raw }, peerAuthorized: true });
      // A flip may land in a byte that does not matter (e.g. unused padding); it must never grant another identity.
      if (result && "user" in result) expect(result.user.username).toBe("alice");
      else expect(result).toHaveProperty("error");
    }
  },
  FUZZ_TIMEOUT_MS,
);

test(
  "mutated and malformed bearer tokens are refused without throwing, even when lookups fail",
  async () => {
    const { token } = await signServiceAccountToken(
      { signingKeyPem: pki.saSigningKeyPem },
      {
        kind: "bound",
        serviceAccount: { namespace: "ns", name: "sa", uid: "u" },
        audiences: ["https://kubernetes.default.svc.cluster.local"],
      },
    );
    const rand = prng(7);
    const alphabet = "ABCDEFabcdef0123456789-_.=+/ \t\u0000é";
    for (let i = 0; i < 300; i++) {
      const chars = token.split("");
      for (let f = 0; f < 3; f++)
        chars[Math.floor(rand() * chars.length)] = alphabet[Math.floor(rand() * alphabet.length)] as string;
      const result = await auth.authenticate({ peerAuthorized: false, authorization: `Bearer ${chars.join("")}` });
      if (result && "user" in result) expect(result.user.username).toBe("system:serviceaccount:ns:sa");
      else expect(result).toHaveProperty("error");
    }
    const legacyShaped = await signServiceAccountToken(
      { signingKeyPem: pki.saSigningKeyPem },
      { kind: "legacy", serviceAccount: { namespace: "ns", name: "sa", uid: "u" }, secretName: "s" },
    );
    expect(
      await auth.authenticate({ peerAuthorized: false, authorization: `Bearer ${legacyShaped.token}` }),
    ).toHaveProperty("error");
    expect(await auth.authenticate({ peerAuthorized: false, authorization: "Bearer" })).toBeNull(); // no token: anonymous, as upstream
    for (const header of ["Bearer ", `Bearer ${"a".repeat(1 << 20)}`, "Bearer abcdef.0123456789abcdef"]) {
      expect(await auth.authenticate({ peerAuthorized: false, authorization: header })).toHaveProperty("error");
    }
  },
  FUZZ_TIMEOUT_MS,
);
