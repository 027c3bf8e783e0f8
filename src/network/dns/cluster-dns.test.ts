import { afterAll, beforeAll, expect, test } from "bun:test";
import type { Service } from "../../api/types.ts";
import { inProcessTransport } from "../../apiserver/in-process.ts";
import { useInProcessApi } from "../../apiserver/testing.ts";
import { createClient } from "../../client/client.ts";
import { waitFor } from "../../client/testing.ts";
import { type ClusterDns, startClusterDns } from "./cluster-dns.ts";
import { ask } from "./testing.ts";

let dns: ClusterDns;
// Registered before the API's hooks so that it runs first: the informers stop before the store closes.
afterAll(async () => {
  await dns?.stop();
});
const { call, api } = useInProcessApi();

beforeAll(async () => {
  const client = createClient(inProcessTransport(api().app, { username: "admin", groups: ["system:masters"] }));
  dns = await startClusterDns(client, { host: "127.0.0.1", port: 0, clusterDomain: "cluster.local", upstreams: [] });
  await dns.waitForSync();
});

const addresses = async (name: string) => {
  const r = await ask(dns.port, name);
  return r.rcode === "NOERROR" ? r.answers?.map((a) => (a as { data: string }).data) : r.rcode;
};

test("a Service resolves once created and is NXDOMAIN once deleted", async () => {
  const res = await call("POST", "/api/v1/namespaces/default/services", {
    metadata: { name: "web" },
    spec: { ports: [{ name: "http", port: 80 }] },
  });
  expect(res.status).toBe(201);
  const clusterIP = ((await res.json()) as Service).spec?.clusterIP;
  expect(clusterIP).toMatch(/^10\.43\./);
  await waitFor(async () => (await addresses("web.default.svc.cluster.local"))?.[0] === clusterIP, "web resolves");

  expect((await call("DELETE", "/api/v1/namespaces/default/services/web")).status).toBe(200);
  await waitFor(async () => (await addresses("web.default.svc.cluster.local")) === "NXDOMAIN", "web is NXDOMAIN");
});

test("an existing namespace's name is NODATA, an unknown one NXDOMAIN", async () => {
  const r = await ask(dns.port, "default.svc.cluster.local");
  expect([r.rcode, r.answers]).toEqual(["NOERROR", []]);
  expect((await ask(dns.port, "nowhere.svc.cluster.local")).rcode).toBe("NXDOMAIN");
});

test("a headless Service resolves to the ready endpoints of its EndpointSlices", async () => {
  await call("POST", "/api/v1/namespaces/default/services", {
    metadata: { name: "db" },
    spec: { clusterIP: "None", ports: [{ name: "pg", port: 5432 }] },
  });
  const slice = await call("POST", "/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", {
    metadata: { name: "db-1", labels: { "kubernetes.io/service-name": "db" } },
    addressType: "IPv4",
    ports: [{ name: "pg", port: 5432, protocol: "TCP" }],
    endpoints: [{ addresses: ["10.42.0.7"], hostname: "db-0", conditions: { ready: true } }],
  });
  expect(slice.status).toBe(201);
  await waitFor(async () => (await addresses("db-0.db.default.svc.cluster.local"))?.[0] === "10.42.0.7", "db-0");
  expect(await addresses("db.default.svc.cluster.local")).toEqual(["10.42.0.7"]);
});
