// NodeName: a pod that names its node (spec.nodeName) fits only there.

import type { Plugin } from "../framework.ts";
import { unresolvable } from "../framework.ts";

export const ERR_REASON_NODE_NAME = "node(s) didn't match the requested node name";

export const NodeName: Plugin = {
  name: "NodeName",
  filter(_state, pod, node) {
    const wanted = pod.spec?.nodeName;
    return wanted && wanted !== node.name ? unresolvable(ERR_REASON_NODE_NAME) : undefined;
  },
};
