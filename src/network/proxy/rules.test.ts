import { describe, expect, test } from "bun:test";
import type { EndpointSlice, Service } from "../../api/types.ts";
import { buildServiceRules, chainName, isServiceChain } from "./rules.ts";

const CIDR = "10.42.0.0/16";

function service(name: string, spec: Service["spec"], status?: Service["status"]): Service {
  return { apiVersion: "v1", kind: "Service", metadata: { namespace: "default", name }, spec, status };
}

type Ep = { ip: string; ready?: boolean; serving?: boolean; nodeName?: string };

function slice(svc: string, ports: { name?: string; port: number; protocol?: string }[], eps: Ep[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: "default", name: `${svc}-abc`, labels: { "kubernetes.io/service-name": svc } },
    addressType: "IPv4",
    ports,
    endpoints: eps.map((ep) => ({
      addresses: [ep.ip],
      nodeName: ep.nodeName,
      conditions: { ready: ep.ready, serving: ep.serving },
    })),
  };
}

const web = service("web", { clusterIP: "10.43.0.50", ports: [{ name: "http", port: 80, protocol: "TCP" }] });
const webSlice = (eps: Ep[]) => slice("web", [{ name: "http", port: 8080, protocol: "TCP" }], eps);
const lines = (text: string) => text.split("\n");
const sep = (ip: string, port = 8080, key = "default/web:http/tcp") => chainName("SEP", `${key}/${ip}:${port}`);
const svc = (key = "default/web:http/tcp") => chainName("SVC", key);

describe("buildServiceRules", () => {
  test("routes a ClusterIP to its endpoints, load-balanced 1/n, 1/(n-1), …", () => {
    const text = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7" }, { ip: "10.42.0.8" }, { ip: "10.42.0.9" }])], {
      clusterCidr: CIDR,
    });
    const l = lines(text);
    expect(l[0]).toBe("*nat");
    expect(l.at(-2)).toBe("COMMIT");
    for (const chain of ["K3LITE-SERVICES", "K3LITE-NODEPORTS", "K3LITE-MARK-MASQ", "K3LITE-SVC-POSTROUTING", svc()]) {
      expect(l).toContain(`:${chain} - [0:0]`);
    }
    expect(l).toContain(
      `-A K3LITE-SERVICES -m comment --comment "default/web:http" -d 10.43.0.50/32 -p tcp -m tcp --dport 80 -j ${svc()}`,
    );
    expect(l).toContain(
      `-A ${svc()} -m comment --comment "default/web:http" ! -s ${CIDR} -d 10.43.0.50/32 -p tcp -m tcp --dport 80 -j K3LITE-MARK-MASQ`,
    );
    // the masquerade mark comes before the jump to an endpoint (which DNATs and ends the chain)
    expect(l.find((x) => x.startsWith(`-A ${svc()}`))).toEndWith("-j K3LITE-MARK-MASQ");
    const jumps = l.filter((x) => x.startsWith(`-A ${svc()}`) && x.includes("-j K3LITE-SEP-"));
    expect(jumps).toEqual([
      `-A ${svc()} -m comment --comment "default/web:http" -m statistic --mode random --probability 0.3333333333 -j ${sep("10.42.0.7")}`,
      `-A ${svc()} -m comment --comment "default/web:http" -m statistic --mode random --probability 0.5000000000 -j ${sep("10.42.0.8")}`,
      `-A ${svc()} -m comment --comment "default/web:http" -j ${sep("10.42.0.9")}`,
    ]);
    expect(l).toContain(
      `-A ${sep("10.42.0.7")} -m comment --comment "default/web:http" -p tcp -m tcp -j DNAT --to-destination 10.42.0.7:8080`,
    );
    // hairpin
    expect(l).toContain(
      `-A ${sep("10.42.0.7")} -m comment --comment "default/web:http" -s 10.42.0.7/32 -j K3LITE-MARK-MASQ`,
    );
    expect(l).toContain("-A K3LITE-MARK-MASQ -j MARK --or-mark 0x4000");
    expect(l.some((x) => x.startsWith("-A K3LITE-SVC-POSTROUTING") && x.includes("-j MASQUERADE"))).toBe(true);
    // node ports are jumped to last
    expect(l.filter((x) => x.startsWith("-A K3LITE-SERVICES")).at(-1)).toContain(
      "-m addrtype --dst-type LOCAL -j K3LITE-NODEPORTS",
    );
  });

  test("only ready endpoints; serving ones when none is ready; none at all: no rule", () => {
    const mixed = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7", ready: false }, { ip: "10.42.0.8" }])], {
      clusterCidr: CIDR,
    });
    expect(mixed).not.toContain("10.42.0.7:8080");
    expect(mixed).toContain("--to-destination 10.42.0.8:8080");

    const terminating = buildServiceRules(
      [web],
      [
        webSlice([
          { ip: "10.42.0.7", ready: false, serving: true },
          { ip: "10.42.0.8", ready: false, serving: false },
        ]),
      ],
      { clusterCidr: CIDR },
    );
    expect(terminating).toContain("--to-destination 10.42.0.7:8080");
    expect(terminating).not.toContain("10.42.0.8:8080");

    const none = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7", ready: false }])], { clusterCidr: CIDR });
    expect(none).not.toContain("10.43.0.50");
    expect(none).not.toContain("REJECT");
    expect(none).not.toContain(svc());
  });

  test("headless and ExternalName services are skipped", () => {
    const headless = service("db", { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] });
    const external = service("ext", { type: "ExternalName", externalName: "example.com", ports: [{ port: 80 }] });
    const text = buildServiceRules(
      [headless, external],
      [
        slice("db", [{ name: "pg", port: 5432 }], [{ ip: "10.42.0.7" }]),
        slice("ext", [{ port: 80 }], [{ ip: "1.2.3.4" }]),
      ],
      { clusterCidr: CIDR },
    );
    expect(lines(text).filter((x) => x.startsWith(":") && isServiceChain(x.slice(1).split(" ")[0]!))).toEqual([]);
  });

  test("protocols per port; endpoint ports matched by port name", () => {
    const dns = service("kube-dns", {
      clusterIP: "10.43.0.10",
      ports: [
        { name: "dns", port: 53, protocol: "UDP" },
        { name: "dns-tcp", port: 53, protocol: "TCP" },
        { name: "sig", port: 99, protocol: "SCTP" },
      ],
    });
    const text = buildServiceRules(
      [dns],
      [
        slice(
          "kube-dns",
          [
            { name: "dns", port: 5353, protocol: "UDP" },
            { name: "dns-tcp", port: 5354, protocol: "TCP" },
            { name: "sig", port: 9999, protocol: "SCTP" },
          ],
          [{ ip: "10.42.0.3" }],
        ),
      ],
      { clusterCidr: CIDR },
    );
    expect(text).toContain("-d 10.43.0.10/32 -p udp -m udp --dport 53");
    expect(text).toContain("-d 10.43.0.10/32 -p tcp -m tcp --dport 53");
    expect(text).toContain("-d 10.43.0.10/32 -p sctp -m sctp --dport 99");
    expect(text).toContain("-p udp -m udp -j DNAT --to-destination 10.42.0.3:5353");
    expect(text).toContain("-p tcp -m tcp -j DNAT --to-destination 10.42.0.3:5354");
    expect(text).toContain("-p sctp -m sctp -j DNAT --to-destination 10.42.0.3:9999");
  });

  test("NodePort: in K3LITE-NODEPORTS, always masqueraded; node IPs restrict where it answers", () => {
    const np = service("web", {
      type: "NodePort",
      clusterIP: "10.43.0.50",
      ports: [{ name: "http", port: 80, nodePort: 30080, protocol: "TCP" }],
    });
    const ext = chainName("EXT", "default/web:http/tcp");
    const text = buildServiceRules([np], [webSlice([{ ip: "10.42.0.7" }])], {
      clusterCidr: CIDR,
      nodeIps: ["192.168.1.5"],
    });
    const l = lines(text);
    expect(l).toContain(
      `-A K3LITE-NODEPORTS -m comment --comment "default/web:http" -p tcp -m tcp --dport 30080 -j ${ext}`,
    );
    expect(l).toContain(`-A ${ext} -j K3LITE-MARK-MASQ`);
    expect(l).toContain(`-A ${ext} -j ${svc()}`);
    expect(l).toContain(
      '-A K3LITE-SERVICES -m comment --comment "k3lite service nodeports" -d 192.168.1.5/32 -j K3LITE-NODEPORTS',
    );
    expect(text).not.toContain("--dst-type LOCAL");
  });

  test("externalTrafficPolicy Local: outside traffic only to this node's endpoints, unmasqueraded", () => {
    const np = service("web", {
      type: "LoadBalancer",
      clusterIP: "10.43.0.50",
      externalTrafficPolicy: "Local",
      ports: [{ name: "http", port: 80, nodePort: 30080 }],
    });
    const text = buildServiceRules(
      [np],
      [
        webSlice([
          { ip: "10.42.0.7", nodeName: "a" },
          { ip: "10.42.1.7", nodeName: "b" },
        ]),
      ],
      { clusterCidr: CIDR, nodeName: "a" },
    );
    const ext = chainName("EXT", "default/web:http/tcp");
    const svl = chainName("SVL", "default/web:http/tcp");
    const l = lines(text);
    expect(l).toContain(`-A ${ext} -j ${svl}`);
    expect(l).not.toContain(`-A ${ext} -j K3LITE-MARK-MASQ`);
    expect(l.filter((x) => x.startsWith(`-A ${svl}`))).toEqual([
      `-A ${svl} -m comment --comment "default/web:http" -j ${sep("10.42.0.7")}`,
    ]);
  });

  test("internalTrafficPolicy Local: the ClusterIP goes to this node's endpoints only", () => {
    const local = service("web", {
      clusterIP: "10.43.0.50",
      internalTrafficPolicy: "Local",
      ports: [{ name: "http", port: 80 }],
    });
    const eps = webSlice([
      { ip: "10.42.0.7", nodeName: "a" },
      { ip: "10.42.1.7", nodeName: "b" },
    ]);
    const svl = chainName("SVL", "default/web:http/tcp");
    const l = lines(buildServiceRules([local], [eps], { clusterCidr: CIDR, nodeName: "a" }));
    expect(l).toContain(
      `-A K3LITE-SERVICES -m comment --comment "default/web:http" -d 10.43.0.50/32 -p tcp -m tcp --dport 80 -j ${svl}`,
    );
    expect(l.filter((x) => x.startsWith(`-A ${svl}`))).toEqual([
      `-A ${svl} -m comment --comment "default/web:http" ! -s ${CIDR} -d 10.43.0.50/32 -p tcp -m tcp --dport 80 -j K3LITE-MARK-MASQ`,
      `-A ${svl} -m comment --comment "default/web:http" -j ${sep("10.42.0.7")}`,
    ]);
    // Without a node name there is no "local": every endpoint serves.
    expect(buildServiceRules([local], [eps], { clusterCidr: CIDR })).not.toContain(svl);
  });

  test("external and load-balancer IPs route like the node port", () => {
    const lb = service(
      "web",
      { type: "ClusterIP", clusterIP: "10.43.0.50", externalIPs: ["203.0.113.9"], ports: [{ name: "http", port: 80 }] },
      { loadBalancer: { ingress: [{ ip: "198.51.100.4" }] } },
    );
    const text = buildServiceRules([lb], [webSlice([{ ip: "10.42.0.7" }])], { clusterCidr: CIDR });
    const ext = chainName("EXT", "default/web:http/tcp");
    expect(text).toContain(`-d 203.0.113.9/32 -p tcp -m tcp --dport 80 -j ${ext}`);
    expect(text).toContain(`-d 198.51.100.4/32 -p tcp -m tcp --dport 80 -j ${ext}`);
    expect(text).not.toContain("-A K3LITE-NODEPORTS");
  });

  test("ClientIP affinity sticks with -m recent", () => {
    const sticky = service("web", {
      clusterIP: "10.43.0.50",
      sessionAffinity: "ClientIP",
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 600 } },
      ports: [{ name: "http", port: 80 }],
    });
    const text = buildServiceRules([sticky], [webSlice([{ ip: "10.42.0.7" }])], { clusterCidr: CIDR });
    const ep = sep("10.42.0.7");
    expect(text).toContain(`-m recent --name ${ep} --rcheck --seconds 600 --reap -j ${ep}`);
    expect(text).toContain(`-m recent --name ${ep} --set -p tcp -m tcp -j DNAT --to-destination 10.42.0.7:8080`);
  });

  test("stale per-service chains are flushed and deleted; others' chains are left alone", () => {
    const gone = chainName("SEP", "default/old:http/tcp/10.42.0.1:80");
    const kept = sep("10.42.0.7");
    const text = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7" }])], {
      clusterCidr: CIDR,
      existingChains: ["PREROUTING", "K3LITE-POSTROUTING", "KUBE-SVC-ABCDEFGHIJKLMNOP", gone, kept],
    });
    const l = lines(text);
    expect(l).toContain(`:${gone} - [0:0]`);
    expect(l).toContain(`-X ${gone}`);
    expect(l).not.toContain(`-X ${kept}`);
    expect(text).not.toContain("K3LITE-POSTROUTING ");
    expect(text).not.toContain("KUBE-SVC");
  });

  test("localhost node ports: a guard for 127.0.0.0/8 in the filter table, only when asked for", () => {
    const on = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7" }])], {
      clusterCidr: CIDR,
      localhostNodePorts: true,
    });
    const filter = on.slice(on.indexOf("*filter"));
    expect(filter).toContain(":K3LITE-SVC-FIREWALL - [0:0]");
    expect(filter).toContain(
      "! -s 127.0.0.0/8 -d 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP",
    );
    const off = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7" }])], { clusterCidr: CIDR });
    expect(off).toContain(":K3LITE-SVC-FIREWALL - [0:0]"); // declared, so turning the option off flushes it
    expect(off).not.toContain("127.0.0.0/8");
  });

  test("a dual-stack cluster CIDR masquerades by its IPv4 range", () => {
    const text = buildServiceRules([web], [webSlice([{ ip: "10.42.0.7" }])], { clusterCidr: `${CIDR},fd42::/56` });
    expect(text).toContain(`! -s ${CIDR} -d 10.43.0.50/32`);
    expect(text).not.toContain("fd42");
  });

  test("chain names: ≤ 28 characters, stable, ours", () => {
    const name = chainName("SEP", "some-long-namespace/some-long-service-name:https/tcp/10.42.33.44:8443");
    expect(name.length).toBeLessThanOrEqual(28);
    expect(name).toBe(chainName("SEP", "some-long-namespace/some-long-service-name:https/tcp/10.42.33.44:8443"));
    expect(isServiceChain(name)).toBe(true);
    expect(isServiceChain("K3LITE-SVC-POSTROUTING")).toBe(false);
    expect(isServiceChain("K3LITE-SERVICES")).toBe(false);
  });

  test("the same objects give the same text, whatever their order", () => {
    const other = service("api", { clusterIP: "10.43.0.60", ports: [{ name: "", port: 443 }] });
    const otherSlice = slice("api", [{ port: 6443 }], [{ ip: "192.168.1.5" }]);
    const eps = webSlice([{ ip: "10.42.0.8" }, { ip: "10.42.0.7" }]);
    const a = buildServiceRules([web, other], [eps, otherSlice], { clusterCidr: CIDR });
    const b = buildServiceRules([other, web], [otherSlice, eps], { clusterCidr: CIDR });
    expect(a).toBe(b);
  });
});
