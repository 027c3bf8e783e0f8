// `k3lite kubectl …`: runs the kubectl found on PATH against this machine's cluster (the admin kubeconfig),
// like `k3s kubectl`, without bundling kubectl into the binary.

import { existsSync } from "node:fs";
import { defineCommand } from "citty";
import { req, resolveFlags } from "../config.ts";
import { serverFlags } from "../flags.ts";

export default defineCommand({
  meta: { name: "kubectl", description: "Run kubectl (from PATH) with this cluster's admin kubeconfig" },
  async run({ rawArgs }) {
    const kubectl = Bun.which("kubectl");
    if (!kubectl) {
      console.error("kubectl was not found on PATH; install it from your distribution (e.g. apt-get install kubectl)");
      process.exit(1);
    }
    // Only the kubeconfig location matters here; all other arguments belong to kubectl.
    const flags = resolveFlags(
      serverFlags.filter((f) => ["config", "write-kubeconfig", "data-dir"].includes(f.name)),
      [],
    );
    const kubeconfig = process.env.KUBECONFIG || req(flags, "write-kubeconfig");
    if (!existsSync(kubeconfig) && !process.env.KUBECONFIG) {
      console.error(`no kubeconfig at ${kubeconfig}: is k3lite server running on this machine?`);
      process.exit(1);
    }
    const proc = Bun.spawn([kubectl, ...rawArgs], {
      stdio: ["inherit", "inherit", "inherit"],
      env: { ...process.env, KUBECONFIG: kubeconfig },
    });
    process.exit(await proc.exited);
  },
});
