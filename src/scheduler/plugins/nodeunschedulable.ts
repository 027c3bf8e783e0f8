// NodeUnschedulable: cordoned nodes (spec.unschedulable) take only pods that tolerate the
// node.kubernetes.io/unschedulable:NoSchedule taint.

import type { Plugin } from "../framework.ts";
import { unresolvable } from "../framework.ts";
import { toleratesTaint } from "./tainttoleration.ts";

export const ERR_REASON_UNSCHEDULABLE = "node(s) were unschedulable";
const UNSCHEDULABLE_TAINT = { key: "node.kubernetes.io/unschedulable", effect: "NoSchedule" } as const;

export const NodeUnschedulable: Plugin = {
  name: "NodeUnschedulable",
  filter(_state, pod, node) {
    if (!node.node.spec?.unschedulable) return undefined;
    const tolerated = (pod.spec?.tolerations ?? []).some((t) => toleratesTaint(t, UNSCHEDULABLE_TAINT));
    return tolerated ? undefined : unresolvable(ERR_REASON_UNSCHEDULABLE);
  },
};
