// Every controller writes as its own kube-system ServiceAccount, and that account has a bootstrap role: a
// controller added without one would run with the controller manager's identity and be forbidden.
import { expect, test } from "bun:test";
import { CONTROLLER_NAMES } from "../auth/rbac/controller-roles.ts";
import { CONTROLLER_SERVICE_ACCOUNTS, CONTROLLERS } from "./index.ts";

test("each controller has a ServiceAccount with a system:controller role", () => {
  for (const name of Object.keys(CONTROLLERS)) {
    const account = CONTROLLER_SERVICE_ACCOUNTS[name];
    expect({ name, account }).toEqual({ name, account: expect.any(String) });
    expect(CONTROLLER_NAMES).toContain(account!);
  }
});
