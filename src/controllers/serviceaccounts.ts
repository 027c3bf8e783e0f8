// ServiceAccountsController: a `default` ServiceAccount in every namespace, recreated if deleted.

import type { ServiceAccount } from "../api/types.ts";
import { serviceaccounts } from "../client/refs.ts";
import type { Controller, ControllerContext } from "./framework.ts";
import { startPerNamespaceController } from "./pernamespace.ts";

export function startServiceAccountsController(ctx: ControllerContext): Controller {
  return startPerNamespaceController<ServiceAccount>(ctx, {
    controllerName: "serviceaccount",
    ref: serviceaccounts,
    name: "default",
    desired: (namespace) => ({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name: "default", namespace } }),
  });
}
