// The pod network on one node: writes containerd's CNI config (bridge `k3lite0` with host-local IPAM over the
// node's pod CIDR, then portmap for hostPort), turns on forwarding and masquerades traffic that leaves the
// cluster CIDR. containerd's CRI adds the loopback interface itself. Routes between nodes, Services and network
// policy come later as more plugins in the same chain.

import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { consola } from "consola";
import { firstSubnet, gatewayOf } from "./cidr.ts";
import { ensureMasquerade } from "./masquerade.ts";

const log = consola.withTag("cni");

export const DEFAULT_BRIDGE = "k3lite0";
export const NETWORK_NAME = "k3lite";
const CONFLIST = "10-k3lite.conflist";

export interface PodNetworkOptions {
  /** containerd's CNI conf_dir. */
  confDir: string;
  /** host-local's lease directory (kept per data dir so two agents on one host never share one). */
  ipamDataDir: string;
  /** The node's spec.podCIDR; default: the first /24 of clusterCidr. */
  podCidr?: string;
  clusterCidr: string;
  bridge?: string;
  /** Skip iptables/sysctl changes (tests that only check the file). */
  skipHostSetup?: boolean;
}

export function cniConflist(opts: PodNetworkOptions): object {
  const podCidr = opts.podCidr ?? firstSubnet(opts.clusterCidr);
  return {
    cniVersion: "1.0.0",
    name: NETWORK_NAME,
    plugins: [
      {
        type: "bridge",
        bridge: opts.bridge ?? DEFAULT_BRIDGE,
        isGateway: true,
        // We masquerade for the whole cluster CIDR ourselves (ipMasq would add one chain per pod).
        ipMasq: false,
        hairpinMode: true,
        ipam: {
          type: "host-local",
          ranges: [[{ subnet: podCidr }]],
          routes: [{ dst: "0.0.0.0/0" }],
          dataDir: opts.ipamDataDir,
        },
      },
      { type: "portmap", capabilities: { portMappings: true }, snat: true },
    ],
  };
}

/** Writes the conflist (only ours in the directory) and sets up forwarding and masquerading. */
export async function setupPodNetwork(opts: PodNetworkOptions): Promise<{ podCidr: string }> {
  mkdirSync(opts.confDir, { recursive: true });
  mkdirSync(opts.ipamDataDir, { recursive: true });
  // containerd uses the first file in name order: make sure that is ours.
  for (const f of readdirSync(opts.confDir)) if (f !== CONFLIST) rmSync(join(opts.confDir, f), { force: true });
  const conf = cniConflist(opts);
  writeFileSync(join(opts.confDir, CONFLIST), `${JSON.stringify(conf, null, 2)}\n`);
  const podCidr = opts.podCidr ?? firstSubnet(opts.clusterCidr);
  if (!opts.skipHostSetup) {
    dropStaleBridgeAddresses(opts.bridge ?? DEFAULT_BRIDGE, podCidr);
    enableForwarding();
    await ensureMasquerade(opts.clusterCidr).catch((err) => log.warn(`masquerading not set up: ${err.message}`));
  }
  return { podCidr };
}

/**
 * The bridge plugin refuses to run when the bridge already holds a gateway address of another range (the pod
 * CIDR changed: --cluster-cidr edited, or node IPAM assigned a different one). Pods still on the old range lose
 * their gateway, which is why this only happens when the range really changed.
 */
function dropStaleBridgeAddresses(bridge: string, podCidr: string): void {
  const out = Bun.spawnSync(["ip", "-4", "-o", "addr", "show", "dev", bridge], { stderr: "ignore" });
  if (!out.success) return; // no bridge yet: the plugin creates it
  const wanted = `${gatewayOf(podCidr)}/${podCidr.split("/")[1]}`;
  for (const m of out.stdout.toString().matchAll(/\binet (\d+\.\d+\.\d+\.\d+\/\d+)/g)) {
    if (m[1] === wanted) continue;
    log.warn(`pod CIDR is now ${podCidr}: removing ${m[1]} from ${bridge}`);
    Bun.spawnSync(["ip", "addr", "del", m[1] as string, "dev", bridge], { stderr: "ignore" });
  }
}

function enableForwarding(): void {
  writeSysctl("/proc/sys/net/ipv4/ip_forward", "1");
  // Traffic between pods on the bridge must pass iptables for Services (kube-proxy's rules) to apply.
  const brnf = "/proc/sys/net/bridge/bridge-nf-call-iptables";
  if (existsSync(brnf)) writeSysctl(brnf, "1");
}

function writeSysctl(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (err) {
    log.warn(`cannot set ${path}=${value}: ${(err as Error).message}`);
  }
}
