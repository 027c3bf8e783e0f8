import { describe, expect, test } from "bun:test";
import type { EndpointSlice, Service } from "../../api/types.ts";
import { staticCatalog } from "./catalog.ts";
import { createRecordLookup } from "./records.ts";

const web: Service = {
  metadata: { name: "web", namespace: "default" },
  spec: {
    clusterIP: "10.43.0.20",
    clusterIPs: ["10.43.0.20"],
    ports: [{ name: "http", port: 80, protocol: "TCP" }, { name: "dns", port: 53, protocol: "UDP" }, { port: 9000 }],
  },
};
const db: Service = {
  metadata: { name: "db", namespace: "data" },
  spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] },
};
const ext: Service = {
  metadata: { name: "ext", namespace: "default" },
  spec: { type: "ExternalName", externalName: "example.com." },
};
const dbSlice: EndpointSlice = {
  metadata: { name: "db-abc", namespace: "data", labels: { "kubernetes.io/service-name": "db" } },
  addressType: "IPv4",
  ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
  endpoints: [
    { addresses: ["10.42.0.7"], hostname: "db-0", conditions: { ready: true } },
    { addresses: ["10.42.0.8"], conditions: {} },
    { addresses: ["10.42.0.9"], hostname: "db-2", conditions: { ready: false } },
  ],
};

const lookup = createRecordLookup(staticCatalog([web, db, ext], [dbSlice]), "cluster.local");
const ask = (name: string, type = "A") => lookup({ name, type: type as "A" });
const dataOf = (a: unknown) => (a as { data?: unknown }).data;
const data = (name: string, type = "A") => ask(name, type)?.answers.map(dataOf);

describe("cluster DNS records", () => {
  test("a ClusterIP Service resolves to its cluster IP, case-insensitively, with a 5 s TTL", () => {
    const r = ask("Web.Default.SVC.cluster.local");
    expect(r?.rcode).toBe("NOERROR");
    expect(r?.answers).toEqual([{ name: "Web.Default.SVC.cluster.local", type: "A", ttl: 5, data: "10.43.0.20" }]);
  });

  test("an existing name asked for another type is NODATA; a missing one NXDOMAIN with the SOA", () => {
    const nodata = ask("web.default.svc.cluster.local", "AAAA");
    expect(nodata?.rcode).toBe("NOERROR");
    expect(nodata?.answers).toEqual([]);
    expect(nodata?.authorities[0]?.type).toBe("SOA");
    const nx = ask("nope.default.svc.cluster.local");
    expect(nx?.rcode).toBe("NXDOMAIN");
    expect(nx?.authorities[0]?.type).toBe("SOA");
    expect(ask("nope.cluster.local")?.rcode).toBe("NXDOMAIN");
    expect(ask("default.svc.cluster.local")?.rcode).toBe("NOERROR");
    expect(ask("empty.svc.cluster.local")?.rcode).toBe("NXDOMAIN");
    expect(ask("svc.cluster.local")?.rcode).toBe("NOERROR");
  });

  test("a headless Service resolves to its ready endpoints; endpoints by hostname or dashed IP", () => {
    expect(data("db.data.svc.cluster.local")).toEqual(["10.42.0.7", "10.42.0.8"]);
    expect(data("db-0.db.data.svc.cluster.local")).toEqual(["10.42.0.7"]);
    expect(data("10-42-0-8.db.data.svc.cluster.local")).toEqual(["10.42.0.8"]);
    expect(ask("db-2.db.data.svc.cluster.local")?.rcode).toBe("NXDOMAIN");
  });

  test("an ExternalName Service is a CNAME", () => {
    expect(ask("ext.default.svc.cluster.local")?.answers).toEqual([
      { name: "ext.default.svc.cluster.local", type: "CNAME", ttl: 5, data: "example.com" },
    ]);
  });

  test("SRV for named ports: the Service name for ClusterIP, each endpoint for headless", () => {
    const r = ask("_http._tcp.web.default.svc.cluster.local", "SRV");
    expect(r?.answers.map(dataOf)).toEqual([
      { priority: 0, weight: 100, port: 80, target: "web.default.svc.cluster.local" },
    ]);
    expect(r?.additionals).toEqual([{ name: "web.default.svc.cluster.local", type: "A", ttl: 5, data: "10.43.0.20" }]);
    expect(data("_dns._udp.web.default.svc.cluster.local", "SRV")).toHaveLength(1);
    expect(ask("_dns._tcp.web.default.svc.cluster.local", "SRV")?.rcode).toBe("NXDOMAIN");
    expect(data("web.default.svc.cluster.local", "SRV")).toHaveLength(2); // unnamed ports have no SRV
    const targets = ask("_pg._tcp.db.data.svc.cluster.local", "SRV")?.answers.map(
      (a) => (dataOf(a) as { target: string }).target,
    );
    expect(targets).toEqual(["db-0.db.data.svc.cluster.local", "10-42-0-8.db.data.svc.cluster.local"]);
  });

  test("dashed-IP pod names resolve to the IP", () => {
    expect(data("10-42-1-5.default.pod.cluster.local")).toEqual(["10.42.1.5"]);
    expect(ask("10-42-1.default.pod.cluster.local")?.rcode).toBe("NXDOMAIN");
  });

  test("reverse lookups of Service and endpoint IPs; other addresses are not ours", () => {
    expect(data("20.0.43.10.in-addr.arpa", "PTR")).toEqual(["web.default.svc.cluster.local"]);
    expect(data("7.0.42.10.in-addr.arpa", "PTR")).toEqual(["db-0.db.data.svc.cluster.local"]);
    expect(ask("8.8.8.8.in-addr.arpa", "PTR")).toBeUndefined();
  });

  test("names outside the cluster domain are not answered (forwarded)", () => {
    expect(ask("example.com")).toBeUndefined();
    expect(ask("svc.cluster.local.example.com")).toBeUndefined();
  });

  test("the cluster domain is configurable", () => {
    const other = createRecordLookup(staticCatalog([web]), "k3.lan.");
    expect(other({ name: "web.default.svc.k3.lan", type: "A" })?.answers.map(dataOf)[0]).toBe("10.43.0.20");
    expect(other({ name: "web.default.svc.cluster.local", type: "A" })).toBeUndefined();
  });
});
