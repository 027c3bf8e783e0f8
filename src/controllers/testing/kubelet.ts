// A stand-in kubelet for controller unit tests: new pods turn Running and Ready a moment after they appear.

import type { Pod } from "../../api/types.ts";
import { pods } from "../../client/refs.ts";
import { rfc3339 } from "../clock.ts";
import type { FakeCluster } from "./fake.ts";

export function fakeKubelet(cluster: FakeCluster, opts: { podIp?: boolean } = {}): void {
  let ip = 2;
  cluster.informer<Pod>(pods).addEventHandler({
    onAdd: (pod) =>
      setTimeout(() => {
        const cur = cluster.objects<Pod>(pods).find((p) => p.metadata?.uid === pod.metadata?.uid);
        if (!cur || cur.status?.phase) return;
        cluster.put(pods, {
          ...cur,
          status: {
            phase: "Running",
            podIP: opts.podIp ? `10.42.0.${ip++}` : undefined,
            conditions: [{ type: "Ready", status: "True", lastTransitionTime: rfc3339(cluster.clock.now()) }],
          },
        });
      }, 2),
  });
}
