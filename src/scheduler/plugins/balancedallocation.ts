// NodeResourcesBalancedAllocation: prefers nodes where cpu and memory would be used in similar proportions, so
// neither runs out while the other idles.

import { MAX_NODE_SCORE, type Plugin } from "../framework.ts";
import { utilisation } from "./noderesourcesfit.ts";

export const NodeResourcesBalancedAllocation: Plugin = {
  name: "NodeResourcesBalancedAllocation",
  score(state, _pod, node) {
    const { cpu, memory } = utilisation(state, node);
    // The standard deviation of two fractions is half their difference.
    const std = Math.abs(Math.min(cpu, 1) - Math.min(memory, 1)) / 2;
    return Math.floor((1 - std) * MAX_NODE_SCORE);
  },
};
