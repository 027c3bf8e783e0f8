import { describe, expect, test } from "bun:test";
import type { PersistentVolumeClaim, Pod, UserInfo } from "../api/types.ts";
import { createNodeAuthorizer, nodeNameOf } from "./node-authorizer.ts";
import { podReferences } from "./pod-references.ts";
import type { AuthorizationAttributes, Authorize } from "./rbac/rules.ts";

const pod = (name: string, nodeName: string, spec: Partial<Pod["spec"]> = {}): Pod => ({
  metadata: { name, namespace: "default" },
  spec: { nodeName, containers: [{ name: "c" }], ...spec },
});
const pods: Pod[] = [
  pod("web", "n1", {
    serviceAccountName: "web-sa",
    containers: [{ name: "c", env: [{ name: "A", valueFrom: { secretKeyRef: { name: "db-pass", key: "p" } } }] }],
    volumes: [
      { name: "cfg", configMap: { name: "web-config" } },
      { name: "data", persistentVolumeClaim: { claimName: "web-data" } },
      { name: "proj", projected: { sources: [{ secret: { name: "projected-secret" } }] } },
    ],
  }),
  pod("other", "n2", { volumes: [{ name: "s", secret: { secretName: "other-secret" } }] }),
];
const pvcs: Record<string, PersistentVolumeClaim> = { "default/web-data": { spec: { volumeName: "pv-1" } } };

const rbacCalls: AuthorizationAttributes[] = [];
const rbac: Authorize = async (_user, attrs) => {
  rbacCalls.push(attrs);
  return { allowed: attrs.resource === "endpointslices" };
};
const authorize = createNodeAuthorizer(
  {
    listPodsOnNode: (node) => pods.filter((p) => p.spec?.nodeName === node),
    getPod: (ns, name) => pods.find((p) => p.metadata?.namespace === ns && p.metadata?.name === name),
    getPersistentVolumeClaim: (ns, name) => pvcs[`${ns}/${name}`],
  },
  rbac,
);
const n1: UserInfo = { username: "system:node:n1", groups: ["system:nodes", "system:authenticated"] };
const get = (resource: string, name: string, namespace = "default", verb = "get"): AuthorizationAttributes => ({
  verb,
  apiGroup: "",
  resource,
  name,
  namespace,
});

describe("Node authorizer", () => {
  test("reads only secrets/configmaps/PVCs/PVs its pods reference", async () => {
    for (const [resource, name] of [
      ["secrets", "db-pass"],
      ["secrets", "projected-secret"],
      ["configmaps", "web-config"],
      ["persistentvolumeclaims", "web-data"],
    ]) {
      expect((await authorize(n1, get(resource as string, name as string))).allowed).toBe(true);
    }
    expect(
      (await authorize(n1, { verb: "get", apiGroup: "", resource: "persistentvolumes", name: "pv-1" })).allowed,
    ).toBe(true);
    const denied = await authorize(n1, get("secrets", "other-secret"));
    expect(denied).toEqual({ allowed: false, reason: "no relationship found between node 'n1' and this object" });
    expect((await authorize(n1, get("secrets", "db-pass", "kube-system"))).allowed).toBe(false);
    expect(
      (await authorize(n1, { verb: "list", apiGroup: "", resource: "secrets", namespace: "default" })).allowed,
    ).toBe(false);
  });

  test("own Node and Lease only; other nodes readable but not writable", async () => {
    expect((await authorize(n1, { verb: "update", apiGroup: "", resource: "nodes", name: "n1" })).allowed).toBe(true);
    expect(
      (await authorize(n1, { verb: "patch", apiGroup: "", resource: "nodes", subresource: "status", name: "n1" }))
        .allowed,
    ).toBe(true);
    expect(
      (await authorize(n1, { verb: "patch", apiGroup: "", resource: "nodes", subresource: "status", name: "n2" }))
        .allowed,
    ).toBe(false);
    expect((await authorize(n1, { verb: "delete", apiGroup: "", resource: "nodes", name: "n2" })).allowed).toBe(false);
    expect((await authorize(n1, { verb: "get", apiGroup: "", resource: "nodes", name: "n2" })).allowed).toBe(true);
    const lease = (name: string) => ({
      verb: "update",
      apiGroup: "coordination.k8s.io",
      resource: "leases",
      namespace: "kube-node-lease",
      name,
    });
    expect((await authorize(n1, lease("n1"))).allowed).toBe(true);
    expect((await authorize(n1, { ...lease(""), verb: "create", name: undefined })).allowed).toBe(true);
    expect((await authorize(n1, { ...lease("n2"), verb: "create" })).allowed).toBe(false);
    expect((await authorize(n1, { verb: "create", apiGroup: "", resource: "nodes" })).allowed).toBe(true);
    expect((await authorize(n1, { verb: "create", apiGroup: "", resource: "nodes", name: "n2" })).allowed).toBe(false);
    expect((await authorize(n1, lease("n2"))).allowed).toBe(false);
  });

  test("status of pods bound to it only; token for its pods' ServiceAccounts only", async () => {
    const status = (name: string) => ({
      verb: "patch",
      apiGroup: "",
      resource: "pods",
      subresource: "status",
      namespace: "default",
      name,
    });
    expect((await authorize(n1, status("web"))).allowed).toBe(true);
    expect((await authorize(n1, status("other"))).allowed).toBe(false);
    const token = (name: string) => ({
      verb: "create",
      apiGroup: "",
      resource: "serviceaccounts",
      subresource: "token",
      namespace: "default",
      name,
    });
    expect((await authorize(n1, token("web-sa"))).allowed).toBe(true);
    expect((await authorize(n1, token("default"))).allowed).toBe(false);
    expect((await authorize(n1, { verb: "watch", apiGroup: "", resource: "pods" })).allowed).toBe(true);
  });

  test("falls through to RBAC for what the node rules do not cover, and for non-nodes", async () => {
    rbacCalls.length = 0;
    expect(
      (await authorize(n1, { verb: "list", apiGroup: "discovery.k8s.io", resource: "endpointslices" })).allowed,
    ).toBe(true);
    expect(
      (await authorize(n1, { verb: "delete", apiGroup: "apps", resource: "deployments", namespace: "x", name: "d" }))
        .allowed,
    ).toBe(false);
    const alice = { username: "system:node:n1", groups: ["system:authenticated"] }; // not in system:nodes
    expect((await authorize(alice, get("secrets", "db-pass"))).allowed).toBe(false);
    expect(rbacCalls).toHaveLength(3);
  });

  test("nodeNameOf and podReferences", () => {
    expect(nodeNameOf(n1)).toBe("n1");
    expect(nodeNameOf({ username: "system:node:", groups: ["system:nodes"] })).toBeUndefined();
    const refs = podReferences(pods[0] as Pod);
    expect([...refs.secrets].sort()).toEqual(["db-pass", "projected-secret"]);
    expect(refs.serviceAccount).toBe("web-sa");
  });
});
