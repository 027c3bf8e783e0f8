// NodePorts: a pod's hostPorts must be free on the node (same protocol and port, with either host IP 0.0.0.0 or
// the same address, conflict).

import { type Plugin, skip, unschedulable } from "../framework.ts";
import type { HostPort } from "../nodeinfo.ts";

export const ERR_REASON_PORTS = "node(s) didn't have free ports for the requested pod ports";

export function portsConflict(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.protocol !== b.protocol) return false;
  return a.hostIP === b.hostIP || a.hostIP === "0.0.0.0" || b.hostIP === "0.0.0.0";
}

export const NodePorts: Plugin = {
  name: "NodePorts",
  preFilter: (state) => (state.podInfo.hostPorts.length === 0 ? skip : undefined),
  filter(state, _pod, node) {
    for (const want of state.podInfo.hostPorts) {
      if (node.usedPorts.some((used) => portsConflict(want, used))) return unschedulable(ERR_REASON_PORTS);
    }
    return undefined;
  },
};
