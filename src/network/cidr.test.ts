import { expect, test } from "bun:test";
import { cidrContains, firstSubnet, gatewayOf, parseCidr } from "./cidr.ts";
import { cniConflist } from "./cni.ts";

test("CIDR helpers: first /24 of the cluster range, gateway, containment", () => {
  expect(firstSubnet("10.42.0.0/16")).toBe("10.42.0.0/24");
  expect(firstSubnet("10.42.7.0/24")).toBe("10.42.7.0/24");
  expect(firstSubnet("10.42.7.128/25")).toBe("10.42.7.128/25");
  expect(gatewayOf("10.42.0.0/24")).toBe("10.42.0.1");
  expect(cidrContains("10.42.0.0/16", "10.42.200.3")).toBe(true);
  expect(cidrContains("10.42.0.0/16", "10.43.0.1")).toBe(false);
  expect(() => parseCidr("10.42.0.0")).toThrow("invalid IPv4 CIDR");
  expect(() => parseCidr("300.1.1.1/8")).toThrow();
});

test("the CNI conflist: bridge k3lite0 with host-local over the pod CIDR, then portmap", () => {
  const conf = cniConflist({ confDir: "/x", ipamDataDir: "/y", clusterCidr: "10.42.0.0/16" }) as {
    plugins: { type: string; bridge?: string; ipam?: { ranges: { subnet: string }[][]; dataDir: string } }[];
  };
  expect(conf.plugins.map((p) => p.type)).toEqual(["bridge", "portmap"]);
  expect(conf.plugins[0]?.bridge).toBe("k3lite0");
  expect(conf.plugins[0]?.ipam?.ranges[0]?.[0]?.subnet).toBe("10.42.0.0/24");
  expect(conf.plugins[0]?.ipam?.dataDir).toBe("/y");
  const assigned = cniConflist({
    confDir: "/x",
    ipamDataDir: "/y",
    clusterCidr: "10.42.0.0/16",
    podCidr: "10.42.3.0/24",
  }) as typeof conf;
  expect(assigned.plugins[0]?.ipam?.ranges[0]?.[0]?.subnet).toBe("10.42.3.0/24");
});

test("a changed pod CIDR replaces the bridge's old gateway address", async () => {
  const { setupPodNetwork } = await import("./cni.ts");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  if (process.getuid?.() !== 0) return;
  const bridge = `k3lt${Math.floor(Math.random() * 0xffff).toString(16)}b`;
  const dir = mkdtempSync(join(tmpdir(), "k3lite-cni-"));
  try {
    expect(Bun.spawnSync(["ip", "link", "add", bridge, "type", "bridge"]).success).toBe(true);
    Bun.spawnSync(["ip", "addr", "add", "10.123.0.1/24", "dev", bridge]);
    await setupPodNetwork({
      confDir: join(dir, "net.d"),
      ipamDataDir: join(dir, "ipam"),
      clusterCidr: "10.124.0.0/16",
      bridge,
    });
    const addrs = Bun.spawnSync(["ip", "-4", "-o", "addr", "show", "dev", bridge]).stdout.toString();
    expect(addrs).not.toContain("10.123.0.1");
  } finally {
    Bun.spawnSync(["ip", "link", "del", bridge]);
    await (await import("./masquerade.ts")).removeMasquerade("10.124.0.0/16");
    rmSync(dir, { recursive: true, force: true });
  }
});
