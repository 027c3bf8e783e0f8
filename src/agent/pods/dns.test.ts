import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Pod } from "../../api/types.ts";
import { podDnsConfig } from "./dns.ts";

test("DNS per dnsPolicy: ClusterFirst searches the namespace, Default copies the host, dnsConfig merges", () => {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-dns-"));
  const resolvConf = join(dir, "resolv.conf");
  writeFileSync(resolvConf, "nameserver 192.0.2.53\nsearch home.lan\noptions edns0\n");
  const s = { clusterDns: "10.43.0.10", clusterDomain: "cluster.local", resolvConf };
  try {
    const pod = (spec: object) => ({ metadata: { namespace: "web" }, spec: { containers: [], ...spec } }) as Pod;
    expect(podDnsConfig(pod({}), s)).toEqual({
      servers: ["10.43.0.10"],
      searches: ["web.svc.cluster.local", "svc.cluster.local", "cluster.local", "home.lan"],
      options: ["ndots:5"],
    });
    expect(podDnsConfig(pod({ dnsPolicy: "Default" }), s).servers).toEqual(["192.0.2.53"]);
    expect(podDnsConfig(pod({ hostNetwork: true }), s).servers).toEqual(["192.0.2.53"]);
    expect(podDnsConfig(pod({ hostNetwork: true, dnsPolicy: "ClusterFirstWithHostNet" }), s).servers).toEqual([
      "10.43.0.10",
    ]);
    const custom = podDnsConfig(
      pod({ dnsPolicy: "None", dnsConfig: { nameservers: ["1.1.1.1"], options: [{ name: "ndots", value: "2" }] } }),
      s,
    );
    expect(custom).toEqual({ servers: ["1.1.1.1"], searches: [], options: ["ndots:2"] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
