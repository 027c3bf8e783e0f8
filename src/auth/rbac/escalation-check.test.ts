import { expect, test } from "bun:test";
import type { ClusterRole, ClusterRoleBinding, Role, RoleBinding } from "kubernetes-types/rbac/v1";
import type { KubeObject, UserInfo } from "../../api/types.ts";
import { createAuthorizer } from "../authorize.ts";
import { bootstrapRbacObjects } from "./bootstrap-policy.ts";
import { checkRbacEscalation } from "./escalation-check.ts";

const objects: KubeObject[] = [
  ...bootstrapRbacObjects(),
  {
    kind: "RoleBinding",
    metadata: { name: "v", namespace: "team" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "view" },
    subjects: [{ kind: "User", name: "vic" }],
  },
  {
    kind: "RoleBinding",
    metadata: { name: "a", namespace: "team" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "admin" },
    subjects: [{ kind: "User", name: "ann" }],
  },
  {
    kind: "ClusterRole",
    metadata: { name: "binder" },
    rules: [
      {
        verbs: ["bind"],
        apiGroups: ["rbac.authorization.k8s.io"],
        resources: ["clusterroles"],
        resourceNames: ["edit"],
      },
      { verbs: ["create"], apiGroups: ["rbac.authorization.k8s.io"], resources: ["rolebindings"] },
    ],
  },
  {
    kind: "ClusterRoleBinding",
    metadata: { name: "binder" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "binder" },
    subjects: [{ kind: "User", name: "bo" }],
  },
];
const of = <T>(kind: string) => objects.filter((o) => o.kind === kind) as T[];
const source = {
  listRoleBindings: (ns: string) => of<RoleBinding>("RoleBinding").filter((b) => b.metadata?.namespace === ns),
  listClusterRoleBindings: () => of<ClusterRoleBinding>("ClusterRoleBinding"),
  getRole: (ns: string, name: string) =>
    of<Role>("Role").find((r) => r.metadata?.namespace === ns && r.metadata?.name === name),
  getClusterRole: (name: string) => of<ClusterRole>("ClusterRole").find((r) => r.metadata?.name === name),
  listClusterRoles: () => of<ClusterRole>("ClusterRole"),
};
const authorizer = createAuthorizer({
  rbac: source,
  nodeGraph: { listPodsOnNode: () => [], getPod: () => undefined, getPersistentVolumeClaim: () => undefined },
});
const deps = {
  ...authorizer,
  getRole: source.getRole,
  getClusterRole: source.getClusterRole,
  listClusterRoles: source.listClusterRoles,
};
const user = (name: string): UserInfo => ({ username: name, groups: ["system:authenticated"] });
const role = (rules: Role["rules"]): KubeObject => ({
  kind: "Role",
  metadata: { name: "r", namespace: "team" },
  rules,
});
const binding = (kind: string, ns: string | undefined, roleKind: string, roleName: string): KubeObject => ({
  kind,
  metadata: { name: "b", namespace: ns },
  roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: roleKind, name: roleName },
  subjects: [{ kind: "User", name: "someone" }],
});
const secretsRule = [{ verbs: ["get", "list"], apiGroups: [""], resources: ["secrets"] }];

test("roles: only rules the creator holds in that namespace", async () => {
  expect(await checkRbacEscalation(deps, user("ann"), role(secretsRule))).toEqual({ allowed: true });
  const denied = await checkRbacEscalation(deps, user("vic"), role(secretsRule));
  expect(denied).toEqual({
    allowed: false,
    code: 403,
    message:
      'roles.rbac.authorization.k8s.io "r" is forbidden: user "vic" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:\n{APIGroups:[""], Resources:["secrets"], Verbs:["get", "list"]}',
  });
  expect(
    (
      await checkRbacEscalation(deps, user("ann"), {
        ...role(secretsRule),
        metadata: { name: "r", namespace: "other" },
      })
    ).allowed,
  ).toBe(false);
});

test("bindings: the bound role's rules must be held in scope, unless the binder has `bind` on it", async () => {
  expect(
    (await checkRbacEscalation(deps, user("ann"), binding("RoleBinding", "team", "ClusterRole", "edit"))).allowed,
  ).toBe(true);
  expect(
    (await checkRbacEscalation(deps, user("ann"), binding("ClusterRoleBinding", undefined, "ClusterRole", "edit")))
      .allowed,
  ).toBe(false);
  expect(
    (await checkRbacEscalation(deps, user("vic"), binding("RoleBinding", "team", "ClusterRole", "edit"))).allowed,
  ).toBe(false);
  expect(
    (await checkRbacEscalation(deps, user("bo"), binding("RoleBinding", "team", "ClusterRole", "edit"))).allowed,
  ).toBe(true);
  expect(
    (await checkRbacEscalation(deps, user("bo"), binding("RoleBinding", "team", "ClusterRole", "admin"))).allowed,
  ).toBe(false);
  expect(await checkRbacEscalation(deps, user("ann"), binding("RoleBinding", "team", "Role", "missing"))).toMatchObject(
    { code: 404 },
  );
});

test("aggregationRule needs everything; system:masters may do anything; other kinds pass", async () => {
  const aggregating: KubeObject = {
    kind: "ClusterRole",
    metadata: { name: "agg" },
    aggregationRule: { clusterRoleSelectors: [{ matchLabels: { x: "y" } }] },
  };
  expect(await checkRbacEscalation(deps, user("ann"), aggregating)).toMatchObject({
    allowed: false,
    message: expect.stringContaining("aggregationRule"),
  });
  const admin: UserInfo = { username: "system:admin", groups: ["system:masters"] };
  expect((await checkRbacEscalation(deps, admin, aggregating)).allowed).toBe(true);
  expect(
    (await checkRbacEscalation(deps, admin, binding("ClusterRoleBinding", undefined, "ClusterRole", "cluster-admin")))
      .allowed,
  ).toBe(true);
  expect((await checkRbacEscalation(deps, user("vic"), { kind: "ConfigMap" })).allowed).toBe(true);
});
