// Upstream's 403 wording (apiserver responsewriters.forbiddenMessage + apierrors.NewForbidden), so scripts and
// users matching on kubectl's "Error from server (Forbidden): …" see exactly what they would on Kubernetes.
import type { Status, UserInfo } from "../../api/types.ts";
import { type AuthorizationAttributes, isResourceRequest } from "./rules.ts";

export function forbiddenMessage(user: UserInfo, attrs: AuthorizationAttributes): string {
  const who = JSON.stringify(user.username);
  if (!isResourceRequest(attrs)) return `User ${who} cannot ${attrs.verb} path ${JSON.stringify(attrs.path ?? "")}`;
  const resource = attrs.subresource ? `${attrs.resource}/${attrs.subresource}` : (attrs.resource as string);
  const what = `User ${who} cannot ${attrs.verb} resource ${JSON.stringify(resource)} in API group ${JSON.stringify(attrs.apiGroup ?? "")}`;
  return attrs.namespace
    ? `${what} in the namespace ${JSON.stringify(attrs.namespace)}`
    : `${what} at the cluster scope`;
}

/** The whole Status body of the 403: `secrets "x" is forbidden: User … cannot get resource …`. */
export function forbiddenStatus(user: UserInfo, attrs: AuthorizationAttributes, reason?: string): Status {
  const err = reason ? `${forbiddenMessage(user, attrs)}: ${reason}` : forbiddenMessage(user, attrs);
  const group = attrs.apiGroup ?? "";
  const resource = isResourceRequest(attrs) ? (attrs.resource as string) : "";
  const qualified = group ? `${resource}.${group}` : resource;
  const name = attrs.name ?? "";
  const message =
    resource === "" && group === ""
      ? `forbidden: ${err}`
      : name === ""
        ? `${qualified} is forbidden: ${err}`
        : `${qualified} ${JSON.stringify(name)} is forbidden: ${err}`;
  const details: Status["details"] = { kind: resource };
  if (group) details.group = group;
  if (name) details.name = name;
  return {
    kind: "Status",
    apiVersion: "v1",
    metadata: {},
    status: "Failure",
    message,
    reason: "Forbidden",
    details,
    code: 403,
  };
}
