// `k3lite portforward-relay` (hidden): the agent runs it under `nsenter --net=<pod netns>` so that `kubectl
// port-forward` reaches ports a container binds on localhost only, as upstream's runtime does.

import { defineCommand } from "citty";
import { serveLocalhostRelay } from "../../agent/streams/localhost-relay.ts";

export default defineCommand({
  meta: {
    name: "portforward-relay",
    description: "Relay the agent's port-forward connections to localhost (run inside a pod's network namespace)",
    hidden: true,
  },
  async run() {
    await serveLocalhostRelay();
    process.exit(0);
  },
});
