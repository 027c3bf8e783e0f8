// rbac.authorization.k8s.io/v1 Role, ClusterRole, RoleBinding, ClusterRoleBinding. Their names may be any path
// segment (system:… names), and a binding's roleRef is immutable, as upstream.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, createdAtColumn, nameColumn, wide } from "../table.ts";
import { type FieldError, immutable, pathSegmentName, required } from "../validation.ts";
import { describe, type ResourceDescriptor } from "./types.ts";

const subjects = (kind: string) => (b: KubeObject) =>
  ((b.subjects ?? []) as { kind: string; name: string; namespace?: string }[])
    .filter((s) => s.kind === kind)
    .map((s) => (kind === "ServiceAccount" ? `${s.namespace}/${s.name}` : s.name))
    .join(", ");

function validateBinding(b: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  if (!b.roleRef?.name) errs.push(required("roleRef.name"));
  if (!b.roleRef?.kind) errs.push(required("roleRef.kind"));
  return errs;
}

const rbac = (d: Omit<ResourceDescriptor, "group" | "version" | "singular">) =>
  describe({ group: "rbac.authorization.k8s.io", version: "v1", nameValidator: pathSegmentName, ...d });

const roleColumns = [nameColumn, createdAtColumn];
const bindingColumns = [
  nameColumn,
  col("Role", (b) => `${b.roleRef?.kind}/${b.roleRef?.name}`),
  ageColumn,
  wide("Users", subjects("User")),
  wide("Groups", subjects("Group")),
  wide("ServiceAccounts", subjects("ServiceAccount")),
];
const bindingUpdate = (b: KubeObject, old: KubeObject) =>
  JSON.stringify(b.roleRef) === JSON.stringify(old.roleRef) ? [] : [immutable("roleRef", b.roleRef)];

export const roles = rbac({ kind: "Role", plural: "roles", namespaced: true, columns: roleColumns });
export const clusterroles = rbac({
  kind: "ClusterRole",
  plural: "clusterroles",
  namespaced: false,
  columns: roleColumns,
});
export const rolebindings = rbac({
  kind: "RoleBinding",
  plural: "rolebindings",
  namespaced: true,
  validate: validateBinding,
  validateUpdate: bindingUpdate,
  columns: bindingColumns,
});
export const clusterrolebindings = rbac({
  kind: "ClusterRoleBinding",
  plural: "clusterrolebindings",
  namespaced: false,
  validate: validateBinding,
  validateUpdate: bindingUpdate,
  columns: bindingColumns,
});
