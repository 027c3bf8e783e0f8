// Security end to end against a real `k3lite server` process and the real kubectl: TLS-verified admin access,
// 401 without credentials, RBAC with upstream's 403 wording, bound tokens dying with their pod, the Node
// authorizer, bootstrap token expiry, joins with a tampered CA hash, and garbage credentials.

import { describe, expect, test } from "bun:test";
import { mkdtemp, readdir, readFile, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { bootstrapTokenSecret } from "../src/auth/bootstrap-token.ts";
import { JoinError, joinCluster } from "../src/auth/join.ts";
import { ensureServerPki, issueClientCert } from "../src/auth/pki.ts";
import { signServiceAccountToken } from "../src/auth/serviceaccount-token.ts";
import { useAuthCluster } from "./auth-fixture.ts";
import { waitFor } from "./harness.ts";

/** Each test drives kubectl several times; a loaded CI machine needs more than bun's 5 s default. */
const E2E_TIMEOUT_MS = 30_000;
const c = useAuthCluster();
const { kubectlOk, kubeconfigFor, as } = c;
const tls = () => ({ tls: { ca: c.serverCaPem } });

async function serviceAccountToken(name: string, boundPod?: { name: string; uid: string }): Promise<string> {
  const uid = (await kubectlOk(["get", "sa", name, "-o", "jsonpath={.metadata.uid}"])).trim();
  const signingKeyPem = await readFile(join(c.k.dataDir, "server", "tls", "service.key"), "utf8");
  const { token } = await signServiceAccountToken(
    { signingKeyPem },
    {
      kind: "bound",
      serviceAccount: { namespace: "default", name, uid },
      audiences: ["https://kubernetes.default.svc.cluster.local"],
      boundObject: boundPod && { kind: "Pod", ...boundPod },
    },
  );
  return token;
}

describe("authentication", () => {
  test(
    "kubectl with the admin kubeconfig works with TLS verification",
    async () => {
      const config = await readFile(c.k.kubeconfig, "utf8");
      expect(config).not.toContain("insecure-skip-tls-verify");
      expect(await kubectlOk(["get", "ns", "kube-system", "-o", "name"])).toBe("namespace/kube-system\n");
      expect(await kubectlOk(["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])).toBe("system:admin");
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "no or invalid credentials: 401; anonymous health endpoints stay readable",
    async () => {
      expect((await fetch(`${c.k.url}/api/v1/namespaces`, tls())).status).toBe(401);
      expect((await fetch(`${c.k.url}/healthz`, tls())).status).toBe(200);
      for (const authorization of [
        "Bearer garbage",
        "Bearer a.b.c",
        `Bearer ${"x".repeat(8000)}`,
        "Bearer eyJhbGciOiJub25lIn0.e30.",
      ]) {
        const res = await fetch(`${c.k.url}/api/v1/namespaces`, { ...tls(), headers: { authorization } });
        expect(res.status).toBe(401);
      }
      const huge = await fetch(`${c.k.url}/api/v1/namespaces`, {
        ...tls(),
        headers: { authorization: `Bearer ${"x".repeat(200_000)}` },
      }).catch(() => undefined);
      expect(huge === undefined || huge.status >= 400).toBe(true);
      // A client certificate from a foreign CA (same subject as the admin) is not an identity.
      const foreignDir = await mkdtemp(join(tmpdir(), "k3lite-foreign-"));
      try {
        const foreign = await ensureServerPki({
          dataDir: foreignDir,
          nodeName: "x",
          sans: [],
          clusterDomain: "cluster.local",
          firstServiceIp: "10.43.0.1",
        });
        const forged = await issueClientCert(foreign, {
          commonName: "system:admin",
          organizations: ["system:masters"],
        });
        const res = await fetch(`${c.k.url}/api/v1/namespaces`, {
          tls: { ca: c.serverCaPem, cert: forged.certPem, key: forged.keyPem },
        });
        expect(res.status).toBe(401);
      } finally {
        await rm(foreignDir, { recursive: true, force: true });
      }
      expect((await fetch(`${c.k.url}/readyz`, tls())).status).toBe(200); // still up
    },
    E2E_TIMEOUT_MS,
  );
});

describe("authorization", () => {
  test(
    "a ServiceAccount bound to view lists pods but not secrets (upstream's 403); can-i --list matches",
    async () => {
      await kubectlOk(["create", "sa", "viewer"]);
      await kubectlOk(["create", "rolebinding", "viewer", "--clusterrole=view", "--serviceaccount=default:viewer"]);
      await kubectlOk(["create", "secret", "generic", "db", "--from-literal=password=hunter2"]);
      const viewer = await kubeconfigFor("viewer", { token: await serviceAccountToken("viewer") });
      expect((await as(viewer, ["get", "pods"])).code).toBe(0);
      const denied = await as(viewer, ["get", "secrets"]);
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain(
        'Error from server (Forbidden): secrets is forbidden: User "system:serviceaccount:default:viewer" cannot list resource "secrets" in API group "" in the namespace "default"',
      );
      const list = (await as(viewer, ["auth", "can-i", "--list"])).stdout;
      expect(list).toMatch(/^pods\s+\[\]\s+\[\]\s+\[get list watch\]$/m);
      expect(list).not.toMatch(/^secrets\s/m);
      expect((await as(viewer, ["auth", "can-i", "delete", "pods"])).stdout.trim()).toBe("no");
    },
    E2E_TIMEOUT_MS,
  );

  test("a pod-bound token stops working when its pod is deleted", async () => {
    await kubectlOk(["create", "sa", "runner"]);
    await kubectlOk([
      "run",
      "holder",
      "--image=busybox",
      "--restart=Never",
      "--overrides",
      '{"spec":{"serviceAccountName":"runner"}}',
    ]);
    const uid = (await kubectlOk(["get", "pod", "holder", "-o", "jsonpath={.metadata.uid}"])).trim();
    const runner = await kubeconfigFor("runner", {
      token: await serviceAccountToken("runner", { name: "holder", uid }),
    });
    expect((await as(runner, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])).stdout).toBe(
      "system:serviceaccount:default:runner",
    );
    await kubectlOk(["delete", "pod", "holder", "--grace-period=0", "--force", "--wait=false"]);
    await waitFor(async () => (await c.k.kubectl(["get", "pod", "holder"])).code !== 0, 30_000, "pod holder gone");
    // Successful token checks are cached for up to 10 s, as in kube-apiserver.
    const after = await waitFor(
      async () => {
        const r = await as(runner, ["auth", "whoami"]);
        return r.code !== 0 ? r : undefined;
      },
      30_000,
      "the bound token to stop working",
    );
    expect(after.stderr).toMatch(/Unauthorized|must be logged in/);
  }, 60_000);

  test(
    "a node identity cannot read a secret its pods do not reference, nor modify another node",
    async () => {
      const clientCaCertPem = await readFile(join(c.k.dataDir, "server", "tls", "client-ca.crt"), "utf8");
      const clientCaKeyPem = await readFile(join(c.k.dataDir, "server", "tls", "client-ca.key"), "utf8");
      const cert = await issueClientCert(
        { clientCaCertPem, clientCaKeyPem },
        { commonName: "system:node:n1", organizations: ["system:nodes"] },
      );
      const node = await kubeconfigFor("node-n1", cert);
      await kubectlOk(["create", "-f", "-"], "apiVersion: v1\nkind: Node\nmetadata: {name: n2}\n");
      const secret = await as(node, ["get", "secret", "db"]);
      expect(secret.stderr).toContain(
        `User "system:node:n1" cannot get resource "secrets" in API group "" in the namespace "default"`,
      );
      const label = await as(node, ["label", "node", "n2", "hijacked=true"]);
      expect(label.code).not.toBe(0);
      expect(label.stderr).toContain("Forbidden");
    },
    E2E_TIMEOUT_MS,
  );
});

describe("secrets at rest and files on disk", () => {
  test(
    "Secret data is not in plaintext in the datastore files, yet reads back",
    async () => {
      const marker = "plaintext-marker-7f3a9c";
      await kubectlOk(["create", "secret", "generic", "at-rest", `--from-literal=value=${marker}`]);
      expect(
        Buffer.from(await kubectlOk(["get", "secret", "at-rest", "-o", "jsonpath={.data.value}"]), "base64").toString(),
      ).toBe(marker);
      const dbDir = join(c.k.dataDir, "server", "db");
      const files = (await readdir(dbDir)).map((f) => join(dbDir, f));
      expect(files.length).toBeGreaterThan(0);
      let sawEnvelope = false;
      for (const file of files) {
        const bytes = await readFile(file);
        expect(bytes.includes(marker)).toBe(false);
        expect(bytes.includes(Buffer.from(marker).toString("base64"))).toBe(false);
        sawEnvelope ||= bytes.includes("k8s:enc:aesgcm:v1:");
      }
      expect(sawEnvelope).toBe(true);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "keys, token and encryption config are 0600",
    async () => {
      const tlsDir = join(c.k.dataDir, "server", "tls");
      const keys = (await readdir(tlsDir)).filter((f) => f.endsWith(".key")).map((f) => join(tlsDir, f));
      expect(keys.length).toBeGreaterThanOrEqual(4);
      for (const file of [
        ...keys,
        join(c.k.dataDir, "server", "token"),
        join(c.k.dataDir, "server", "cred", "encryption-config"),
      ]) {
        expect({ file, mode: (await stat(file)).mode & 0o777 }).toEqual({ file, mode: 0o600 });
      }
    },
    E2E_TIMEOUT_MS,
  );
});

describe("tokens and joining", () => {
  test(
    "bootstrap tokens authenticate until they expire",
    async () => {
      const fresh = bootstrapTokenSecret({ token: { id: "e2eok1", secret: "0123456789abcdef" }, ttlSeconds: 3600 });
      const stale = bootstrapTokenSecret({
        token: { id: "e2eold", secret: "0123456789abcdef" },
        ttlSeconds: 60,
        now: new Date(Date.now() - 3600_000),
      });
      for (const secret of [fresh, stale]) await kubectlOk(["create", "-f", "-"], JSON.stringify(secret));
      const ok = await kubeconfigFor("bootstrap-ok", { token: "e2eok1.0123456789abcdef" });
      expect((await as(ok, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"])).stdout).toBe(
        "system:bootstrap:e2eok1",
      );
      const expired = await kubeconfigFor("bootstrap-old", { token: "e2eold.0123456789abcdef" });
      expect((await as(expired, ["auth", "whoami"])).code).not.toBe(0);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "an agent joins with the server token and acts as its node; an expired bootstrap token cannot join",
    async () => {
      const token = (await readFile(join(c.k.dataDir, "server", "token"), "utf8")).trim();
      const creds = await joinCluster({
        server: c.k.url,
        token,
        nodeName: "joined-1",
        nodePassword: "joined-1-password",
      });
      const node = await kubeconfigFor("joined-1", creds);
      const who = await as(node, [
        "auth",
        "whoami",
        "-o",
        "jsonpath={.status.userInfo.username} {.status.userInfo.groups}",
      ]);
      expect(who.stdout).toBe('system:node:joined-1 ["system:nodes","system:authenticated"]');
      const expired = bootstrapTokenSecret({
        token: { id: "e2eexp", secret: "abcdef0123456789" },
        ttlSeconds: 60,
        now: new Date(Date.now() - 3600_000),
      });
      await kubectlOk(["create", "-f", "-"], JSON.stringify(expired));
      const hash = token.slice(0, token.indexOf("::"));
      const err = await joinCluster({
        server: c.k.url,
        token: `${hash}::e2eexp.abcdef0123456789`,
        nodeName: "late",
      }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JoinError);
      expect((err as JoinError).message).toContain("expired");
      expect((err as JoinError).retryable).toBe(false);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "a join with a tampered CA hash is refused before any secret is sent",
    async () => {
      const token = (await readFile(join(c.k.dataDir, "server", "token"), "utf8")).trim();
      expect(token).toMatch(/^K10[0-9a-f]{64}::server:/);
      const tampered = `K10${"0".repeat(64)}${token.slice(67)}`;
      const err = await joinCluster({ server: c.k.url, token: tampered, nodeName: "evil" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(JoinError);
      expect((err as JoinError).message).toContain("refusing to send the token secret");
      expect((err as JoinError).retryable).toBe(false);
    },
    E2E_TIMEOUT_MS,
  );
});
