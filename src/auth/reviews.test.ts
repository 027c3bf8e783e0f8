import { expect, test } from "bun:test";
import type { ClusterRole, ClusterRoleBinding } from "kubernetes-types/rbac/v1";
import type { UserInfo } from "../api/types.ts";
import { createAuthorizer } from "./authorize.ts";
import { bootstrapRbacObjects, nodeUser } from "./rbac/index.ts";
import {
  accessReviewRequest,
  selfSubjectReviewStatus,
  selfSubjectRulesReviewStatus,
  subjectAccessReviewStatus,
  tokenReviewStatus,
} from "./reviews.ts";

const objects = bootstrapRbacObjects();
const roles = objects.filter((o) => o.kind === "ClusterRole") as ClusterRole[];
let bindings = objects.filter((o) => o.kind === "ClusterRoleBinding") as ClusterRoleBinding[];
const authorizer = createAuthorizer({
  rbac: {
    listRoleBindings: () => [],
    listClusterRoleBindings: () => bindings,
    getRole: () => undefined,
    getClusterRole: (name) => roles.find((r) => r.metadata?.name === name),
  },
  nodeGraph: { listPodsOnNode: () => [], getPod: () => undefined, getPersistentVolumeClaim: () => undefined },
});
const admin: UserInfo = { username: "system:admin", groups: ["system:masters", "system:authenticated"] };
const alice: UserInfo = { username: "alice", groups: ["system:authenticated"] };

test("system:masters stays allowed even without the cluster-admin binding", async () => {
  const saved = bindings;
  bindings = bindings.filter((b) => b.metadata?.name !== "cluster-admin");
  expect(
    (await authorizer.authorize(admin, { verb: "delete", apiGroup: "", resource: "nodes", name: "x" })).allowed,
  ).toBe(true);
  expect((await authorizer.canGrant(admin, [{ verbs: ["*"], apiGroups: ["*"], resources: ["*"] }])).allowed).toBe(true);
  bindings = saved;
});

test("SubjectAccessReview answers with the request authorizer's decision", async () => {
  const { user, attrs } = accessReviewRequest({
    user: "alice",
    groups: ["system:authenticated"],
    resourceAttributes: { verb: "list", resource: "secrets", namespace: "default" },
  });
  expect(await subjectAccessReviewStatus(authorizer, user, attrs)).toEqual({ allowed: false });
  const nonResource = accessReviewRequest({
    user: "alice",
    groups: ["system:authenticated"],
    nonResourceAttributes: { verb: "get", path: "/version" },
  });
  expect((await subjectAccessReviewStatus(authorizer, nonResource.user, nonResource.attrs)).allowed).toBe(true);
  expect((await subjectAccessReviewStatus(authorizer, user, { verb: "" })).evaluationError).toBeDefined();
});

test("SelfSubjectRulesReview: resource and non-resource rules; node users are incomplete", async () => {
  const status = await selfSubjectRulesReviewStatus(authorizer, alice, "default");
  expect(status.incomplete).toBe(false);
  expect(status.resourceRules).toContainEqual({
    verbs: ["create"],
    apiGroups: ["authorization.k8s.io"],
    resources: ["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
  });
  expect(status.nonResourceRules?.some((r) => r.nonResourceURLs?.includes("/healthz"))).toBe(true);
  expect((await selfSubjectRulesReviewStatus(authorizer, nodeUser("n1"), "default")).incomplete).toBe(true);
  expect((await selfSubjectRulesReviewStatus(authorizer, admin, "default")).resourceRules).toContainEqual({
    verbs: ["*"],
    apiGroups: ["*"],
    resources: ["*"],
  });
});

test("TokenReview and SelfSubjectReview bodies", () => {
  expect(tokenReviewStatus({ error: "invalid bearer token" })).toEqual({
    authenticated: false,
    user: {},
    error: "invalid bearer token",
  });
  expect(tokenReviewStatus({ user: { ...alice, uid: "u1" }, audiences: ["a"] })).toEqual({
    authenticated: true,
    user: { username: "alice", uid: "u1", groups: ["system:authenticated"] },
    audiences: ["a"],
  });
  expect(selfSubjectReviewStatus(alice)).toEqual({ userInfo: { username: "alice", groups: ["system:authenticated"] } });
});
