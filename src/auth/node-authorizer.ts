// The Node authorizer, as upstream: an agent (user system:node:<name>, group system:nodes) may read and write its
// own Node and Lease, the pods bound to it and their status, and read only the Secrets, ConfigMaps, PVCs/PVs and
// ServiceAccount tokens its pods reference. Other requests of nodes get the system:node rules; everyone else,
// and whatever those do not allow, falls through to the next authorizer (RBAC).
import type { PersistentVolumeClaim, Pod, UserInfo } from "../api/types.ts";
import { podReferences } from "./pod-references.ts";
import { nodeRules } from "./rbac/bootstrap-roles.ts";
import { type AuthorizationAttributes, type AuthorizationDecision, type Authorize, rulesAllow } from "./rbac/rules.ts";

type MaybePromise<T> = T | Promise<T>;

export const NODES_GROUP = "system:nodes";
const NODE_USER_PREFIX = "system:node:";
const NODE_LEASE_NAMESPACE = "kube-node-lease";

/** What the Node authorizer reads, from the API server's cache. */
export interface NodeGraphSource {
  /** Pods whose spec.nodeName is `nodeName`. */
  listPodsOnNode(nodeName: string): MaybePromise<Pod[]>;
  getPod(namespace: string, name: string): MaybePromise<Pod | undefined>;
  getPersistentVolumeClaim(namespace: string, name: string): MaybePromise<PersistentVolumeClaim | undefined>;
}

/** The node a user acts for, or undefined when it is not a node identity. */
export function nodeNameOf(user: UserInfo): string | undefined {
  if (!user.groups.includes(NODES_GROUP) || !user.username.startsWith(NODE_USER_PREFIX)) return undefined;
  return user.username.slice(NODE_USER_PREFIX.length) || undefined;
}

const READ_VERBS = new Set(["get", "list", "watch"]);

export function createNodeAuthorizer(source: NodeGraphSource, next: Authorize): Authorize {
  const noOpinion = (user: UserInfo, attrs: AuthorizationAttributes) => next(user, attrs);
  // Upstream answers "no opinion" (not a hard deny), so RBAC may still allow; the node reason explains a 403.
  const deny = (reason: string): AuthorizationDecision => ({ allowed: false, reason });
  const allow: AuthorizationDecision = { allowed: true, reason: "allowed by Node authorizer" };

  /** Whether some pod on the node references `name` in `namespace` through `pick`. */
  async function referencedByNodePods(
    node: string,
    namespace: string,
    name: string,
    pick: (pod: Pod) => Iterable<string>,
  ): Promise<boolean> {
    for (const pod of await source.listPodsOnNode(node)) {
      if (pod.metadata?.namespace !== namespace) continue;
      for (const ref of pick(pod)) if (ref === name) return true;
    }
    return false;
  }

  async function graphRead(node: string, attrs: AuthorizationAttributes, pick: (pod: Pod) => Iterable<string>) {
    if (!READ_VERBS.has(attrs.verb) || !attrs.name || !attrs.namespace) {
      return deny(`node "${node}" can only get individual ${attrs.resource}`);
    }
    if (await referencedByNodePods(node, attrs.namespace, attrs.name, pick)) return allow;
    return deny(`no relationship found between node '${node}' and this object`);
  }

  async function persistentVolumeRead(node: string, attrs: AuthorizationAttributes) {
    if (attrs.verb !== "get" || !attrs.name) return deny(`node "${node}" can only get individual persistentvolumes`);
    for (const pod of await source.listPodsOnNode(node)) {
      const ns = pod.metadata?.namespace ?? "";
      for (const claim of podReferences(pod).persistentVolumeClaims) {
        const pvc = await source.getPersistentVolumeClaim(ns, claim);
        if (pvc?.spec?.volumeName === attrs.name) return allow;
      }
    }
    return deny(`no relationship found between node '${node}' and this object`);
  }

  async function podWrite(node: string, attrs: AuthorizationAttributes) {
    if (!attrs.namespace || !attrs.name) return deny(`node "${node}" can only modify individual pods`);
    const pod = await source.getPod(attrs.namespace, attrs.name);
    if (pod?.spec?.nodeName === node) return allow;
    return deny(`pod "${attrs.namespace}/${attrs.name}" is not bound to node "${node}"`);
  }

  return async function authorize(user, attrs): Promise<AuthorizationDecision> {
    const node = nodeNameOf(user);
    if (!node) return noOpinion(user, attrs);
    const decision = await decide(node, attrs);
    if (decision === undefined) return noOpinion(user, attrs);
    if (decision.allowed) return decision;
    const fallback = await next(user, attrs);
    return fallback.allowed ? fallback : decision;
  };

  async function decide(node: string, attrs: AuthorizationAttributes): Promise<AuthorizationDecision | undefined> {
    const group = attrs.apiGroup ?? "";
    // A create's URL has no name; the API server passes the body's name when it can. Without one we cannot
    // tell, and allow as upstream's authorizer does (its NodeRestriction admission checks the body).
    const own = attrs.name === node || (attrs.verb === "create" && !attrs.name);
    try {
      if (group === "" && !attrs.subresource) {
        switch (attrs.resource) {
          case "secrets":
            return await graphRead(node, attrs, (p) => podReferences(p).secrets);
          case "configmaps":
            return await graphRead(node, attrs, (p) => podReferences(p).configMaps);
          case "persistentvolumeclaims":
            return await graphRead(node, attrs, (p) => podReferences(p).persistentVolumeClaims);
          case "persistentvolumes":
            return await persistentVolumeRead(node, attrs);
          case "nodes":
            if (READ_VERBS.has(attrs.verb)) return allow;
            // create carries no name in the URL; the API server passes the body's name.
            if (["create", "update", "patch", "delete"].includes(attrs.verb)) {
              return own ? allow : deny(`node "${node}" cannot modify node "${attrs.name ?? ""}"`);
            }
            break;
          case "pods":
            if (attrs.verb === "delete") return await podWrite(node, attrs);
            break;
        }
      }
      if (group === "" && attrs.resource === "nodes" && attrs.subresource === "status") {
        return own ? allow : deny(`node "${node}" cannot modify node "${attrs.name ?? ""}"`);
      }
      if (group === "" && attrs.resource === "pods" && attrs.subresource === "status")
        return await podWrite(node, attrs);
      if (group === "" && attrs.resource === "serviceaccounts" && attrs.subresource === "token") {
        return await graphRead(node, { ...attrs, verb: "get" }, (p) => [podReferences(p).serviceAccount]);
      }
      if (group === "coordination.k8s.io" && attrs.resource === "leases") {
        if (attrs.namespace !== NODE_LEASE_NAMESPACE)
          return deny(`node "${node}" can only access leases in ${NODE_LEASE_NAMESPACE}`);
        return own ? allow : deny(`node "${node}" can only access its own lease`);
      }
    } catch (err) {
      return deny(`node authorizer lookup failed: ${(err as Error).message}`);
    }
    return rulesAllow(nodeRules, attrs) ? allow : undefined;
  }
}
