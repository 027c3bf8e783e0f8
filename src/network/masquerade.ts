// iptables rules for the pod network: masquerade traffic from pods that leaves the cluster CIDR, and accept
// forwarding to and from it (hosts with a DROP forward policy, e.g. where Docker runs). Rules live in our own
// chains (K3LITE-POSTROUTING, K3LITE-FORWARD) and are added only when missing, so restarts do not stack them.

const NAT_CHAIN = "K3LITE-POSTROUTING";
const FORWARD_CHAIN = "K3LITE-FORWARD";

async function iptables(args: string[]): Promise<{ ok: boolean; stderr: string }> {
  const proc = Bun.spawn(["iptables", "-w", "5", ...args], {
    stdout: "ignore",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr).text()]);
  return { ok: code === 0, stderr: stderr.trim() };
}

async function ensureChain(table: string, chain: string, from: string): Promise<void> {
  await iptables(["-t", table, "-N", chain]); // fails harmlessly when it exists
  await ensureRule(table, from, ["-j", chain]);
}

async function ensureRule(table: string, chain: string, rule: string[]): Promise<void> {
  if ((await iptables(["-t", table, "-C", chain, ...rule])).ok) return;
  const res = await iptables(["-t", table, "-A", chain, ...rule]);
  if (!res.ok) throw new Error(`iptables -t ${table} -A ${chain} ${rule.join(" ")}: ${res.stderr}`);
}

export async function ensureMasquerade(clusterCidr: string): Promise<void> {
  const comment = ["-m", "comment", "--comment", "k3lite pod network"];
  await ensureChain("nat", NAT_CHAIN, "POSTROUTING");
  await ensureRule("nat", NAT_CHAIN, ["-s", clusterCidr, "!", "-d", clusterCidr, ...comment, "-j", "MASQUERADE"]);
  await ensureChain("filter", FORWARD_CHAIN, "FORWARD");
  await ensureRule("filter", FORWARD_CHAIN, ["-s", clusterCidr, ...comment, "-j", "ACCEPT"]);
  await ensureRule("filter", FORWARD_CHAIN, ["-d", clusterCidr, ...comment, "-j", "ACCEPT"]);
}

/** Removes the rules `ensureMasquerade` added for `clusterCidr` (uninstall, tests). */
export async function removeMasquerade(clusterCidr: string): Promise<void> {
  const comment = ["-m", "comment", "--comment", "k3lite pod network"];
  await iptables([
    "-t",
    "nat",
    "-D",
    NAT_CHAIN,
    "-s",
    clusterCidr,
    "!",
    "-d",
    clusterCidr,
    ...comment,
    "-j",
    "MASQUERADE",
  ]);
  await iptables(["-t", "filter", "-D", FORWARD_CHAIN, "-s", clusterCidr, ...comment, "-j", "ACCEPT"]);
  await iptables(["-t", "filter", "-D", FORWARD_CHAIN, "-d", clusterCidr, ...comment, "-j", "ACCEPT"]);
}
