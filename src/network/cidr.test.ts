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
