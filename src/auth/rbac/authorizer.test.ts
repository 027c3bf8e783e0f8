import { describe, expect, test } from "bun:test";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding, Subject } from "kubernetes-types/rbac/v1";
import type { KubeObject, UserInfo } from "../../api/types.ts";
import {
  aggregatedClusterRoleRules,
  bootstrapRbacObjects,
  controllerUser,
  createRbacAuthorizer,
  forbiddenMessage,
  forbiddenStatus,
  nodeUser,
  rulesCover,
  SCHEDULER_USER,
} from "./index.ts";

function memorySource(objects: KubeObject[]) {
  const of = <T>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
  return {
    listRoleBindings: (ns: string) => of<RoleBinding>("RoleBinding").filter((b) => b.metadata?.namespace === ns),
    listClusterRoleBindings: () => of<ClusterRoleBinding>("ClusterRoleBinding"),
    getRole: (ns: string, name: string) =>
      of<Role>("Role").find((r) => r.metadata?.namespace === ns && r.metadata?.name === name),
    getClusterRole: (name: string) => of<ClusterRole>("ClusterRole").find((r) => r.metadata?.name === name),
    listClusterRoles: () => of<ClusterRole>("ClusterRole"),
  };
}

const sa = (ns: string, name: string): UserInfo => ({
  username: `system:serviceaccount:${ns}:${name}`,
  groups: ["system:serviceaccounts", `system:serviceaccounts:${ns}`, "system:authenticated"],
});
const rb = (ns: string, name: string, roleKind: string, role: string, subject: Subject): RoleBinding => ({
  apiVersion: "rbac.authorization.k8s.io/v1",
  kind: "RoleBinding",
  metadata: { name, namespace: ns },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: role },
  subjects: [subject],
});

const objects: KubeObject[] = [
  ...bootstrapRbacObjects(),
  rb("default", "viewer", "ClusterRole", "view", { kind: "ServiceAccount", name: "viewer" }),
  {
    apiVersion: "rbac.authorization.k8s.io/v1",
    kind: "Role",
    metadata: { name: "cm-reader", namespace: "team" },
    rules: [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["settings"] }],
  },
  rb("team", "alice-cm", "Role", "cm-reader", { kind: "User", name: "alice" }),
  rb("team", "dangling", "Role", "missing", { kind: "User", name: "bob" }),
];
const rbac = createRbacAuthorizer(memorySource(objects));
const admin: UserInfo = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };
const alice: UserInfo = { username: "alice", groups: ["system:authenticated"] };

describe("RBAC authorize", () => {
  test("system:masters may do anything, with upstream's reason", async () => {
    const d = await rbac.authorize(admin, {
      verb: "delete",
      apiGroup: "apps",
      resource: "deployments",
      namespace: "x",
    });
    expect(d).toEqual({
      allowed: true,
      reason:
        'RBAC: allowed by ClusterRoleBinding "cluster-admin" of ClusterRole "cluster-admin" to Group "system:masters"',
    });
    expect((await rbac.authorize(admin, { verb: "get", path: "/metrics" })).allowed).toBe(true);
  });

  test("a ServiceAccount bound to view lists pods but not secrets", async () => {
    const viewer = sa("default", "viewer");
    expect(
      (await rbac.authorize(viewer, { verb: "list", apiGroup: "", resource: "pods", namespace: "default" })).allowed,
    ).toBe(true);
    expect(
      (await rbac.authorize(viewer, { verb: "list", apiGroup: "", resource: "secrets", namespace: "default" })).allowed,
    ).toBe(false);
    expect(
      (await rbac.authorize(viewer, { verb: "list", apiGroup: "", resource: "pods", namespace: "other" })).allowed,
    ).toBe(false);
    expect(
      (
        await rbac.authorize(viewer, {
          verb: "get",
          apiGroup: "apps",
          resource: "deployments",
          subresource: "scale",
          namespace: "default",
        })
      ).allowed,
    ).toBe(true);
    expect(
      (
        await rbac.authorize(viewer, {
          verb: "create",
          apiGroup: "",
          resource: "pods",
          subresource: "exec",
          namespace: "default",
        })
      ).allowed,
    ).toBe(false);
  });

  test("resourceNames restrict; missing roles explain themselves", async () => {
    const get = (name?: string) => ({ verb: "get", apiGroup: "", resource: "configmaps", namespace: "team", name });
    expect((await rbac.authorize(alice, get("settings"))).allowed).toBe(true);
    expect((await rbac.authorize(alice, get("other"))).allowed).toBe(false);
    const bob = await rbac.authorize({ username: "bob", groups: [] }, get("settings"));
    expect(bob).toEqual({ allowed: false, reason: 'RBAC: [role.rbac.authorization.k8s.io "missing" not found]' });
  });

  test("discovery and public info for everyone; selfsubjectaccessreviews for authenticated", async () => {
    const anon: UserInfo = { username: "system:anonymous", groups: ["system:unauthenticated"] };
    expect((await rbac.authorize(anon, { verb: "get", path: "/healthz" })).allowed).toBe(true);
    expect((await rbac.authorize(anon, { verb: "get", path: "/api" })).allowed).toBe(false);
    expect((await rbac.authorize(alice, { verb: "get", path: "/apis/apps/v1" })).allowed).toBe(true);
    expect(
      (
        await rbac.authorize(alice, {
          verb: "create",
          apiGroup: "authorization.k8s.io",
          resource: "selfsubjectaccessreviews",
        })
      ).allowed,
    ).toBe(true);
  });

  test("component identities", async () => {
    expect(
      (
        await rbac.authorize(SCHEDULER_USER, {
          verb: "create",
          apiGroup: "",
          resource: "pods",
          subresource: "binding",
          namespace: "x",
        })
      ).allowed,
    ).toBe(true);
    expect(
      (await rbac.authorize(SCHEDULER_USER, { verb: "get", apiGroup: "", resource: "secrets", namespace: "x" }))
        .allowed,
    ).toBe(false);
    const rs = controllerUser("replicaset-controller");
    expect((await rbac.authorize(rs, { verb: "create", apiGroup: "", resource: "pods", namespace: "x" })).allowed).toBe(
      true,
    );
    expect(
      (await rbac.authorize(rs, { verb: "delete", apiGroup: "apps", resource: "deployments", namespace: "x" })).allowed,
    ).toBe(false);
    const gc = controllerUser("generic-garbage-collector");
    expect(
      (await rbac.authorize(gc, { verb: "delete", apiGroup: "example.com", resource: "widgets", namespace: "x" }))
        .allowed,
    ).toBe(true);
    // system:nodes get the proxier role cluster-wide; the node role itself is the Node authorizer's business.
    expect(
      (
        await rbac.authorize(nodeUser("n1"), {
          verb: "watch",
          apiGroup: "discovery.k8s.io",
          resource: "endpointslices",
        })
      ).allowed,
    ).toBe(true);
  });

  test("rulesFor lists what can-i --list shows", async () => {
    const rules = await rbac.rulesFor(alice, "team");
    expect(rules).toContainEqual({
      verbs: ["get"],
      apiGroups: [""],
      resources: ["configmaps"],
      resourceNames: ["settings"],
    });
    expect(rules.some((r) => r.nonResourceURLs?.includes("/api"))).toBe(true);
  });
});

describe("aggregation", () => {
  test("admin ⊇ edit ⊇ view, and a labelled custom role joins view", () => {
    const roles = objects.filter((o) => o.kind === "ClusterRole") as ClusterRole[];
    const rulesOf = (name: string) => roles.find((r) => r.metadata?.name === name)?.rules ?? [];
    expect(rulesCover(rulesOf("edit"), rulesOf("view")).covered).toBe(true);
    expect(rulesCover(rulesOf("admin"), rulesOf("edit")).covered).toBe(true);
    expect(rulesCover(rulesOf("view"), rulesOf("edit")).covered).toBe(false);
    const custom: ClusterRole = {
      kind: "ClusterRole",
      metadata: { name: "widgets-view", labels: { "rbac.authorization.k8s.io/aggregate-to-view": "true" } },
      rules: [{ verbs: ["get"], apiGroups: ["example.com"], resources: ["widgets"] }],
    };
    const view = roles.find((r) => r.metadata?.name === "view") as ClusterRole;
    expect(aggregatedClusterRoleRules(view, [...roles, custom])).toContainEqual({
      verbs: ["get"],
      apiGroups: ["example.com"],
      resources: ["widgets"],
    });
  });
});

describe("escalation", () => {
  test("rulesCover handles wildcards, subresources and names", () => {
    const owner = [
      { verbs: ["get", "list"], apiGroups: [""], resources: ["pods", "*/status"] },
      { verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["a"] },
    ];
    expect(rulesCover(owner, [{ verbs: ["get"], apiGroups: [""], resources: ["pods", "nodes/status"] }]).covered).toBe(
      true,
    );
    expect(
      rulesCover(owner, [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"], resourceNames: ["a"] }]).covered,
    ).toBe(true);
    expect(rulesCover(owner, [{ verbs: ["get"], apiGroups: [""], resources: ["configmaps"] }]).covered).toBe(false);
    expect(rulesCover(owner, [{ verbs: ["delete"], apiGroups: [""], resources: ["pods"] }]).uncovered).toHaveLength(1);
  });

  test("canGrant: the viewer cannot grant secrets access; admin can", async () => {
    const secretsRule = [{ verbs: ["get"], apiGroups: [""], resources: ["secrets"] }];
    expect((await rbac.canGrant(sa("default", "viewer"), secretsRule, "default")).allowed).toBe(false);
    expect((await rbac.canGrant(admin, secretsRule)).allowed).toBe(true);
  });
});

describe("forbidden wording", () => {
  test("namespaced, cluster scope, subresource, non-resource", () => {
    const x: UserInfo = { username: "x", groups: [] };
    expect(forbiddenMessage(x, { verb: "list", apiGroup: "", resource: "secrets", namespace: "y" })).toBe(
      'User "x" cannot list resource "secrets" in API group "" in the namespace "y"',
    );
    expect(forbiddenMessage(x, { verb: "list", apiGroup: "", resource: "nodes" })).toBe(
      'User "x" cannot list resource "nodes" in API group "" at the cluster scope',
    );
    expect(
      forbiddenMessage(x, { verb: "create", apiGroup: "", resource: "pods", subresource: "exec", namespace: "d" }),
    ).toBe('User "x" cannot create resource "pods/exec" in API group "" in the namespace "d"');
    expect(forbiddenMessage(x, { verb: "get", path: "/metrics" })).toBe('User "x" cannot get path "/metrics"');
    expect(
      forbiddenStatus(x, { verb: "get", apiGroup: "apps", resource: "deployments", namespace: "d", name: "web" })
        .message,
    ).toBe(
      'deployments.apps "web" is forbidden: User "x" cannot get resource "deployments" in API group "apps" in the namespace "d"',
    );
    expect(forbiddenStatus(x, { verb: "list", apiGroup: "", resource: "secrets", namespace: "y" }).message).toBe(
      'secrets is forbidden: User "x" cannot list resource "secrets" in API group "" in the namespace "y"',
    );
    expect(forbiddenStatus(x, { verb: "get", path: "/metrics" }).message).toBe(
      'forbidden: User "x" cannot get path "/metrics"',
    );
  });
});

describe("decision cache", () => {
  test("decisions are remembered until the RBAC version changes", async () => {
    const live = [...objects];
    let version = 1;
    let bindingLists = 0;
    const source = memorySource(live);
    const cached = createRbacAuthorizer({
      ...source,
      listClusterRoleBindings: () => {
        bindingLists++;
        return source.listClusterRoleBindings();
      },
      version: () => version,
    });
    const ask = { verb: "list", apiGroup: "", resource: "secrets", namespace: "team" };
    expect((await cached.authorize(alice, ask)).allowed).toBe(false);
    const walks = bindingLists;
    expect((await cached.authorize(alice, ask)).allowed).toBe(false);
    expect(bindingLists).toBe(walks); // answered from the cache
    live.push({
      apiVersion: "rbac.authorization.k8s.io/v1",
      kind: "ClusterRoleBinding",
      metadata: { name: "alice-admin" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "User", name: "alice" }],
    });
    version++;
    expect((await cached.authorize(alice, ask)).allowed).toBe(true);
  });
});
