// The review APIs: TokenReview, SelfSubjectReview (`kubectl auth whoami`), SelfSubjectAccessReview,
// (Local)SubjectAccessReview (`kubectl auth can-i`) and SelfSubjectRulesReview (`can-i --list`). Virtual: each
// create is answered by the auth component's review functions and nothing is stored.

import type { KubeObject } from "../../api/types.ts";
import {
  accessReviewAttributes,
  accessReviewRequest,
  selfSubjectReviewStatus,
  selfSubjectRulesReviewStatus,
  subjectAccessReviewStatus,
  tokenReviewStatus,
} from "../../auth/reviews.ts";
import { describe, type ResourceDescriptor, type VirtualContext } from "./types.ts";

type Answer = (obj: KubeObject, ctx: VirtualContext) => Promise<KubeObject["status"]>;

const review = (group: string, kind: string, plural: string, namespaced: boolean, answer: Answer): ResourceDescriptor =>
  describe({
    group,
    version: "v1",
    kind,
    plural,
    namespaced,
    virtual: true,
    verbs: ["create"],
    createVirtual: async (obj, ctx): Promise<KubeObject> => ({
      ...obj,
      metadata: { ...obj.metadata, creationTimestamp: undefined },
      status: await answer(obj, ctx),
    }),
  });

export const selfsubjectreviews = review(
  "authentication.k8s.io",
  "SelfSubjectReview",
  "selfsubjectreviews",
  false,
  async (_obj, ctx) => selfSubjectReviewStatus(ctx.user),
);

export const tokenreviews = review("authentication.k8s.io", "TokenReview", "tokenreviews", false, async (obj, ctx) =>
  tokenReviewStatus(
    ctx.authenticateToken
      ? await ctx.authenticateToken(obj.spec?.token ?? "", obj.spec?.audiences)
      : { error: "token authentication is not available" },
  ),
);

export const selfsubjectaccessreviews = review(
  "authorization.k8s.io",
  "SelfSubjectAccessReview",
  "selfsubjectaccessreviews",
  false,
  (obj, ctx) => subjectAccessReviewStatus(ctx.authorizer, ctx.user, accessReviewAttributes(obj.spec ?? {})),
);

export const subjectaccessreviews = review(
  "authorization.k8s.io",
  "SubjectAccessReview",
  "subjectaccessreviews",
  false,
  (obj, ctx) => {
    const { user, attrs } = accessReviewRequest(obj.spec ?? {});
    return subjectAccessReviewStatus(ctx.authorizer, user, attrs);
  },
);

export const localsubjectaccessreviews = review(
  "authorization.k8s.io",
  "LocalSubjectAccessReview",
  "localsubjectaccessreviews",
  true,
  (obj, ctx) => {
    const { user, attrs } = accessReviewRequest(obj.spec ?? {});
    return subjectAccessReviewStatus(ctx.authorizer, user, { ...attrs, namespace: obj.metadata?.namespace });
  },
);

export const selfsubjectrulesreviews = review(
  "authorization.k8s.io",
  "SelfSubjectRulesReview",
  "selfsubjectrulesreviews",
  false,
  (obj, ctx) => selfSubjectRulesReviewStatus(ctx.authorizer, ctx.user, obj.spec?.namespace ?? ""),
);
