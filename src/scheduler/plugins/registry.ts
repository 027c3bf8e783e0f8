// The default plugin set, in the order kube-scheduler runs them. Adding a rule means adding a file and a line here.

import type { Plugin } from "../framework.ts";
import { NodeResourcesBalancedAllocation } from "./balancedallocation.ts";
import { InterPodAffinity } from "./interpodaffinity.ts";
import { NodeAffinity } from "./nodeaffinity.ts";
import { NodeName } from "./nodename.ts";
import { NodePorts } from "./nodeports.ts";
import { NodeResourcesFit } from "./noderesourcesfit.ts";
import { NodeUnschedulable } from "./nodeunschedulable.ts";
import { PodTopologySpread } from "./podtopologyspread.ts";
import { TaintToleration } from "./tainttoleration.ts";

/** Filter and score plugins; PostFilter (preemption) and Bind are added by the scheduler, which owns the client. */
export const DEFAULT_PLUGINS: Plugin[] = [
  NodeUnschedulable,
  NodeName,
  TaintToleration,
  NodeAffinity,
  NodePorts,
  NodeResourcesFit,
  PodTopologySpread,
  InterPodAffinity,
  NodeResourcesBalancedAllocation,
];
