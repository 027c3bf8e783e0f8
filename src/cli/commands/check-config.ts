// `k3lite check-config`: says whether this machine can run pods, and how to fix what is missing.

import { defineCommand } from "citty";
import { checkConfig } from "../../agent/checkconfig.ts";

export default defineCommand({
  meta: {
    name: "check-config",
    description: "Check that this machine can run pods (containerd, runc, cgroups, overlay, iptables…)",
  },
  run() {
    const { ok, lines } = checkConfig();
    for (const line of lines) console.log(line);
    process.exit(ok ? 0 : 1);
  },
});
