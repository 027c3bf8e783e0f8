// `k3lite version`: the same text as `k3lite --version`.

import { defineCommand } from "citty";
import { versionLine } from "../../version.ts";

export default defineCommand({
  meta: { name: "version", description: "Print the k3lite version, git commit and Bun version" },
  run() {
    console.log(versionLine());
  },
});
