// Puts an extra IPv4 address (/32) on the node's loopback interface, so a service the node runs itself answers on
// a cluster IP: the cluster DNS IP, which every pod's resolv.conf names, is served on each node without iptables
// or a pod (as NodeLocal DNSCache does; these machines have no `dummy` link type, and loopback needs none).

async function ip(args: string[]): Promise<{ ok: boolean; out: string }> {
  const proc = Bun.spawn(["ip", ...args], { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    proc.exited,
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
  ]);
  return { ok: code === 0, out: code === 0 ? out : err.trim() };
}

/** Adds `address`/32 to `lo` unless some interface of the node already has it. */
export async function ensureLoopbackAddress(address: string): Promise<void> {
  const shown = await ip(["-o", "-4", "addr", "show"]);
  if (shown.ok && shown.out.split("\n").some((line) => line.includes(` inet ${address}/`))) return;
  const added = await ip(["addr", "add", `${address}/32`, "dev", "lo"]);
  if (!added.ok && !added.out.includes("File exists"))
    throw new Error(`ip addr add ${address}/32 dev lo: ${added.out}`);
}
