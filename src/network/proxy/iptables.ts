// Applies Service rules to the kernel: one atomic `iptables-restore --noflush` per sync, the jumps into our chains
// from the built-in nat chains (added once), and their removal. `prefix` runs every command through e.g.
// `ip netns exec NS`, so tests can work in a network namespace of their own.

import { FIREWALL_CHAIN, FIXED_CHAINS, isServiceChain, POSTROUTING_CHAIN, SERVICES_CHAIN } from "./rules.ts";

export interface IptablesOptions {
  /** Command prefix, e.g. ["ip", "netns", "exec", "k3lite-proxy-x"]. */
  prefix?: string[];
}

interface Result {
  ok: boolean;
  stdout: string;
  stderr: string;
}

async function run(opts: IptablesOptions, argv: string[], stdin?: string): Promise<Result> {
  const proc = Bun.spawn([...(opts.prefix ?? []), ...argv], {
    stdin: stdin === undefined ? "ignore" : new TextEncoder().encode(stdin),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stdout, stderr] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { ok: code === 0, stdout, stderr: stderr.trim() };
}

function iptables(opts: IptablesOptions, args: string[]): Promise<Result> {
  return run(opts, ["iptables", "-w", "5", ...args]);
}

/** The jumps from the built-in chains into ours (kube-proxy's "portals"). */
const JUMPS: { table: string; chain: string; rule: string[] }[] = [
  {
    table: "nat",
    chain: "PREROUTING",
    rule: ["-m", "comment", "--comment", "k3lite service portals", "-j", SERVICES_CHAIN],
  },
  {
    table: "nat",
    chain: "OUTPUT",
    rule: ["-m", "comment", "--comment", "k3lite service portals", "-j", SERVICES_CHAIN],
  },
  {
    table: "nat",
    chain: "POSTROUTING",
    rule: ["-m", "comment", "--comment", "k3lite service SNAT", "-j", POSTROUTING_CHAIN],
  },
  {
    table: "filter",
    chain: "INPUT",
    rule: ["-m", "comment", "--comment", "k3lite localnet guard", "-j", FIREWALL_CHAIN],
  },
];

/** Writes `rules` (the output of buildServiceRules) in one transaction; throws with iptables' message. */
export async function applyServiceRules(rules: string, opts: IptablesOptions = {}): Promise<void> {
  const res = await run(opts, ["iptables-restore", "-w", "5", "--noflush"], rules);
  if (!res.ok) throw new Error(`iptables-restore: ${res.stderr || "failed"}`);
}

/**
 * Adds the jumps into our chains where missing (checked with -C, so restarts do not stack them). They go first
 * in their chains, as kube-proxy's do, so no earlier rule (another tool's DNAT or ACCEPT) can bypass Services.
 * The chains must exist: call after the first applyServiceRules.
 */
export async function ensureServiceJumps(opts: IptablesOptions = {}): Promise<void> {
  for (const { table, chain, rule } of JUMPS) {
    if ((await iptables(opts, ["-t", table, "-C", chain, ...rule])).ok) continue;
    const res = await iptables(opts, ["-t", table, "-I", chain, "1", ...rule]);
    if (!res.ok) throw new Error(`iptables -t ${table} -I ${chain} ${rule.join(" ")}: ${res.stderr}`);
  }
}

/** Lets node ports answer on 127.0.0.1: the kernel otherwise drops loopback-sourced packets routed elsewhere. */
export async function enableRouteLocalnet(opts: IptablesOptions = {}): Promise<void> {
  const res = await run(opts, ["sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=1"]);
  if (!res.ok) throw new Error(`sysctl net.ipv4.conf.all.route_localnet=1: ${res.stderr || "failed"}`);
}

/** Names of the chains in the nat table now. */
export async function listNatChains(opts: IptablesOptions = {}): Promise<string[]> {
  const res = await run(opts, ["iptables-save", "-t", "nat"]);
  if (!res.ok) throw new Error(`iptables-save -t nat: ${res.stderr || "failed"}`);
  return res.stdout
    .split("\n")
    .filter((line) => line.startsWith(":"))
    .map((line) => line.slice(1).split(" ")[0]!);
}

/**
 * Removes every trace of Service routing: the jumps, all our chains, and route_localnet (which without the guard
 * chain would let outside packets for 127.0.0.0/8 in). For uninstall, tests, or the proxy turned off.
 */
export async function removeServiceRules(opts: IptablesOptions = {}): Promise<void> {
  for (const { table, chain, rule } of JUMPS) {
    while ((await iptables(opts, ["-t", table, "-D", chain, ...rule])).ok) {}
  }
  const ours = (await listNatChains(opts)).filter((c) => FIXED_CHAINS.includes(c) || isServiceChain(c));
  const deleteChains = (table: string, chains: string[]) => [
    `*${table}`,
    ...chains.map((c) => `:${c} - [0:0]`),
    ...chains.map((c) => `-X ${c}`),
    "COMMIT",
  ];
  const text = [...deleteChains("nat", ours), ...deleteChains("filter", [FIREWALL_CHAIN]), ""].join("\n");
  await applyServiceRules(text, opts);
  await run(opts, ["sysctl", "-q", "-w", "net.ipv4.conf.all.route_localnet=0"]);
}
