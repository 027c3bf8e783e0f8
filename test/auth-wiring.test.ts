// The security component as wired into a real API server: node identities create only their own Node and Lease,
// RBAC escalation prevention on role and binding writes, and failed-authentication rate limiting per address.
// Real `k3lite server` process, real kubectl, client certificates from the server's own client CA.

import { beforeAll, describe, expect, test } from "bun:test";
import { readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { JoinError, joinCluster } from "../src/auth/join.ts";
import { renderKubeconfig } from "../src/auth/kubeconfig.ts";
import { issueClientCert } from "../src/auth/pki.ts";
import { useAuthCluster } from "./auth-fixture.ts";
import { runK3lite } from "./harness.ts";

const E2E_TIMEOUT_MS = 30_000;
const c = useAuthCluster();
const { kubectlOk, kubeconfigFor, as } = c;

/** A client certificate from the cluster's client CA, and a kubeconfig using it. */
async function certFor(commonName: string, organizations: string[] = []) {
  const tls = join(c.k.dataDir, "server", "tls");
  const clientCaCertPem = await readFile(join(tls, "client-ca.crt"), "utf8");
  const clientCaKeyPem = await readFile(join(tls, "client-ca.key"), "utf8");
  const cert = await issueClientCert({ clientCaCertPem, clientCaKeyPem }, { commonName, organizations });
  return { ...cert, kubeconfig: await kubeconfigFor(commonName.replaceAll(":", "_"), cert) };
}

describe("node identities", () => {
  test(
    "a node creates its own Node and Lease but not another node's",
    async () => {
      const { kubeconfig } = await certFor("system:node:w1", ["system:nodes"]);
      const other = await as(kubeconfig, ["create", "-f", "-"], "apiVersion: v1\nkind: Node\nmetadata: {name: w2}\n");
      expect(other.code).not.toBe(0);
      expect(other.stderr).toContain(`nodes "w2" is forbidden: User "system:node:w1" cannot create resource "nodes"`);
      const own = await as(kubeconfig, ["create", "-f", "-"], "apiVersion: v1\nkind: Node\nmetadata: {name: w1}\n");
      expect(own.stderr).toBe("");
      const lease = (name: string) =>
        `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata: {name: ${name}, namespace: kube-node-lease}\nspec: {holderIdentity: ${name}}\n`;
      const otherLease = await as(kubeconfig, ["create", "-f", "-"], lease("w2"));
      expect(otherLease.stderr).toContain("Forbidden");
      expect((await as(kubeconfig, ["create", "-f", "-"], lease("w1"))).code).toBe(0);
      expect((await kubectlOk(["get", "nodes", "-o", "name"])).trim().split("\n")).not.toContain("node/w2");
    },
    E2E_TIMEOUT_MS,
  );
});

describe("RBAC escalation prevention", () => {
  let eddie: string;
  beforeAll(async () => {
    await kubectlOk(["create", "namespace", "team"]);
    // eddie may edit the namespace and write roles and bindings there, but holds no RBAC permissions beyond that.
    await kubectlOk(["create", "rolebinding", "eddie-edit", "-n", "team", "--clusterrole=edit", "--user=eddie"]);
    await kubectlOk([
      "create",
      "role",
      "rbac-writer",
      "-n",
      "team",
      "--verb=get,create,update,patch",
      "--resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io",
    ]);
    await kubectlOk(["create", "rolebinding", "eddie-rbac", "-n", "team", "--role=rbac-writer", "--user=eddie"]);
    eddie = (await certFor("eddie")).kubeconfig;
  });

  test(
    "a binding to a role the user does not hold is refused with upstream's message",
    async () => {
      const r = await as(eddie, [
        "create",
        "rolebinding",
        "grab-admin",
        "-n",
        "team",
        "--clusterrole=admin",
        "--user=eddie",
      ]);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toContain(`rolebindings.rbac.authorization.k8s.io "grab-admin" is forbidden: user "eddie"`);
      expect(r.stderr).toContain("is attempting to grant RBAC permissions not currently held");
      expect(
        (await as(eddie, ["create", "rolebinding", "share-edit", "-n", "team", "--clusterrole=edit", "--user=ann"]))
          .code,
      ).toBe(0);
    },
    E2E_TIMEOUT_MS,
  );

  test(
    "a role with verbs the user lacks is refused, on create and on update",
    async () => {
      const refused = await as(eddie, [
        "create",
        "role",
        "peek",
        "-n",
        "team",
        "--verb=delete",
        "--resource=roles.rbac.authorization.k8s.io",
      ]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain("is attempting to grant RBAC permissions not currently held");
      expect(refused.stderr).toContain(
        `{APIGroups:["rbac.authorization.k8s.io"], Resources:["roles"], Verbs:["delete"]}`,
      );
      expect(
        (await as(eddie, ["create", "role", "pod-reader", "-n", "team", "--verb=get", "--resource=pods"])).code,
      ).toBe(0);
      const patch = JSON.stringify([
        { op: "add", path: "/rules/-", value: { apiGroups: [""], resources: ["nodes"], verbs: ["delete"] } },
      ]);
      const escalated = await as(eddie, ["patch", "role", "pod-reader", "-n", "team", "--type=json", "-p", patch]);
      expect(escalated.code).not.toBe(0);
      expect(escalated.stderr).toContain("not currently held");
      // The admin (system:masters) is not subject to the check.
      await kubectlOk([
        "create",
        "role",
        "admin-made",
        "-n",
        "team",
        "--verb=get",
        "--resource=roles.rbac.authorization.k8s.io",
      ]);
    },
    E2E_TIMEOUT_MS,
  );
});

describe("joining", () => {
  const serverToken = async () => (await readFile(join(c.k.dataDir, "server", "token"), "utf8")).trim();

  test(
    "a node name is kept by the node password it first joined with (k3s's node-password Secret)",
    async () => {
      const token = await serverToken();
      await joinCluster({ server: c.k.url, token, nodeName: "pw-node", nodePassword: "first" });
      await joinCluster({ server: c.k.url, token, nodeName: "pw-node", nodePassword: "first" });
      const err = await joinCluster({ server: c.k.url, token, nodeName: "pw-node", nodePassword: "second" }).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(JoinError);
      expect((err as JoinError).message).toContain("node password rejected");
      expect(
        await kubectlOk(["get", "secret", "-n", "kube-system", "pw-node.node-password.k3lite", "-o", "name"]),
      ).toContain("pw-node.node-password.k3lite");
    },
    E2E_TIMEOUT_MS,
  );
});

describe("k3lite token rotate", () => {
  const k3lite = (args: string[]) => runK3lite([...args, "--config", "/dev/null"]);

  test(
    "new joins need the new token; a node that joined before keeps working",
    async () => {
      const old = (await readFile(join(c.k.dataDir, "server", "token"), "utf8")).trim();
      const before = await joinCluster({ server: c.k.url, token: old, nodeName: "before-rotate", nodePassword: "p" });
      const rotated = await k3lite(["token", "rotate", "--data-dir", c.k.dataDir, "--new-token", "brand-new-secret"]);
      expect(rotated.stderr).toBe("");
      const token = rotated.stdout.trim();
      expect(token).toBe(`${old.slice(0, old.indexOf("::"))}::server:brand-new-secret`);
      expect((await readFile(join(c.k.dataDir, "server", "token"), "utf8")).trim()).toBe(token);

      const refused = await joinCluster({
        server: c.k.url,
        token: old,
        nodeName: "after-rotate",
        nodePassword: "p",
      }).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(JoinError);
      expect((refused as JoinError).message).toContain("invalid token");
      await joinCluster({ server: c.k.url, token, nodeName: "after-rotate", nodePassword: "p" });

      const kubeconfig = join(c.k.dataDir, "before-rotate.yaml");
      await writeFile(kubeconfig, renderKubeconfig({ ...before, server: c.k.url, caPem: c.serverCaPem }), {
        mode: 0o600,
      });
      const who = await as(kubeconfig, ["auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"]);
      expect(who.stdout).toBe("system:node:before-rotate");
    },
    E2E_TIMEOUT_MS,
  );
});

// Last: they block 127.0.0.1 for a minute (bearer tokens and joins; client certificates keep working).
describe("failed join rate limiting", () => {
  test(
    "repeated joins with a wrong secret get 429; the server stays up",
    async () => {
      const token = (await readFile(join(c.k.dataDir, "server", "token"), "utf8")).trim();
      const wrong = `${token.slice(0, token.indexOf("::"))}::server:wrong-secret`;
      const nodeCert = () =>
        fetch(`${c.k.url}/v1-k3lite/node-cert`, {
          method: "POST",
          headers: { authorization: `Basic ${btoa(`node:${wrong}`)}`, "content-type": "application/json" },
          body: JSON.stringify({ nodeName: "guess", nodePassword: "x" }),
          tls: { ca: c.serverCaPem },
        });
      // Earlier tests may have spent some of this address's failures: count until the limit is reached.
      let limited = await nodeCert();
      expect(limited.status).toBe(401);
      for (let i = 0; i < 10 && limited.status === 401; i++) limited = await nodeCert();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect((await fetch(`${c.k.url}/cacerts`, { tls: { ca: c.serverCaPem } })).status).toBe(200);
    },
    E2E_TIMEOUT_MS,
  );
});

// Last: it blocks bearer tokens from 127.0.0.1 for a minute (client certificates keep working).
describe("failed authentication rate limiting", () => {
  test(
    "repeated bad tokens from one address get 429 with Retry-After; the server stays up",
    async () => {
      const tls = { ca: c.serverCaPem };
      const bad = () =>
        fetch(`${c.k.url}/api/v1/namespaces`, { headers: { authorization: "Bearer not-a-token" }, tls });
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await bad()).status);
      expect(statuses.slice(0, 10)).toEqual(Array(10).fill(401));
      const limited = await bad();
      expect(limited.status).toBe(429);
      expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
      expect(((await limited.json()) as { reason: string }).reason).toBe("TooManyRequests");
      // A client certificate still authenticates from the blocked address, and kubectl keeps working.
      expect((await fetch(`${c.k.url}/readyz`, { tls })).status).toBe(200);
      expect(await kubectlOk(["get", "ns", "default", "-o", "name"])).toContain("namespace/default");
    },
    E2E_TIMEOUT_MS,
  );
});
