// `k3lite portforward-relay PORT` (hidden): the agent runs it under `nsenter --net=<pod netns>` so that
// `kubectl port-forward` reaches ports a container binds on localhost only, as upstream's runtime does.

import { defineCommand } from "citty";
import { relayLocalhostPort } from "../../agent/streams/localhost-relay.ts";

export default defineCommand({
  meta: {
    name: "portforward-relay",
    description: "Copy stdin/stdout to localhost:PORT (used by the agent inside a pod's network namespace)",
    hidden: true,
  },
  args: { port: { type: "positional", description: "TCP port on localhost", required: true } },
  async run({ args }) {
    const port = Number(args.port);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`"${args.port}" is not a TCP port`);
    process.exit(await relayLocalhostPort(port));
  },
});
