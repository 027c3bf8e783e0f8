// `k3lite sim --nodes N`: registers N hollow nodes (like kwok) against a running cluster, for trying the scheduler
// and controllers at scale without containers. Pods bound to them are reported Running and Ready.

import { defineCommand } from "citty";
import { consola } from "consola";
import { startHollowNodes } from "../../agent/hollow.ts";
import { clientFromKubeconfig } from "../../client/kubeconfig.ts";
import { ConfigError, req, resolveFlags, str } from "../config.ts";
import { type FlagSpec, serverFlags } from "../flags.ts";
import { configureLogging } from "../logging.ts";
import { cittyArgs, runUntilSignal } from "../run.ts";

const positiveInt = (v: string) => (/^[1-9]\d*$/.test(v) ? undefined : `"${v}" is not a positive whole number`);
const wholeNumber = (v: string) => (/^\d+$/.test(v) ? undefined : `"${v}" is not a whole number`);

const flags: FlagSpec[] = [
  ...serverFlags.filter((f) => ["config", "write-kubeconfig", "log-format", "debug"].includes(f.name)),
  {
    name: "kubeconfig",
    type: "string",
    description: "Kubeconfig with rights to register nodes (default: the admin kubeconfig)",
  },
  { name: "nodes", type: "string", description: "How many hollow nodes", default: () => "3", validate: positiveInt },
  { name: "name-prefix", type: "string", description: "Node names are <prefix><index>", default: () => "hollow-" },
  { name: "node-cpu", type: "string", description: "CPU capacity of each node", default: () => "4" },
  { name: "node-memory", type: "string", description: "Memory capacity of each node", default: () => "8Gi" },
  {
    name: "ready-delay",
    type: "string",
    description: "Milliseconds from binding to Running/Ready",
    default: () => "500",
    validate: wholeNumber,
  },
];

export default defineCommand({
  meta: { name: "sim", description: "Run hollow nodes (no containers) against a cluster, for scale tests" },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const v = resolveFlags(flags, rawArgs);
    configureLogging(str(v, "log-format") as "text" | "json", v.debug === true);
    const kubeconfig = str(v, "kubeconfig") ?? process.env.KUBECONFIG ?? req(v, "write-kubeconfig");
    if (!(await Bun.file(kubeconfig).exists()))
      throw new ConfigError(`no kubeconfig at ${kubeconfig} (pass --kubeconfig)`);
    await runUntilSignal(async () => {
      const hollow = startHollowNodes(clientFromKubeconfig(kubeconfig), {
        count: Number(str(v, "nodes")),
        namePrefix: str(v, "name-prefix"),
        cpu: str(v, "node-cpu"),
        memory: str(v, "node-memory"),
        readyDelayMs: Number(str(v, "ready-delay")),
      });
      await hollow.ready;
      consola.info(`${hollow.nodeNames.length} hollow nodes registered (${hollow.nodeNames[0]} …)`);
      return hollow;
    });
  },
});
