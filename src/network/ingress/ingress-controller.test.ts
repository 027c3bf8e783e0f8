import { afterAll, beforeAll, expect, test } from "bun:test";
import { inProcessTransport } from "../../apiserver/in-process.ts";
import { useInProcessApi } from "../../apiserver/testing.ts";
import { createClient } from "../../client/client.ts";
import { waitFor } from "../../client/testing.ts";
import { createSelfSignedCertificate, DEFAULT_CERT_CN } from "./default-cert.ts";
import { type Ingress, startIngress } from "./ingress-controller.ts";
import { type Backend, echoOf, peerCommonName, request, startEchoBackend } from "./testing.ts";

let ingress: Ingress;
let backend: Backend;
// Registered before the API's hooks so that it runs first: the informers stop before the store closes.
afterAll(async () => {
  await ingress?.stop();
  await backend?.close();
});
const { call, api } = useInProcessApi();

beforeAll(async () => {
  backend = await startEchoBackend("web");
  const client = createClient(inProcessTransport(api().app, { username: "admin", groups: ["system:masters"] }));
  ingress = await startIngress(client, { host: "127.0.0.1", port: 0, httpsPort: 0 });
  await ingress.waitForSync();
});

const created = async (path: string, body: unknown) => {
  const res = await call("POST", path, body);
  if (res.status !== 201) throw new Error(`${path}: ${res.status} ${await res.text()}`);
};

test("an Ingress routes to its Service's ready endpoints, and stops routing once deleted", async () => {
  expect((await request(ingress.port, "web.example.com", "/")).status).toBe(404);
  await created("/api/v1/namespaces/default/services", {
    metadata: { name: "web" },
    spec: { ports: [{ name: "http", port: 80, targetPort: "http" }] },
  });
  await created("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices", {
    metadata: { name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: backend.port, protocol: "TCP" }],
    endpoints: [{ addresses: ["127.0.0.1"], conditions: { ready: true } }],
  });
  await created("/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
    metadata: { name: "web" },
    spec: {
      ingressClassName: "traefik",
      rules: [
        {
          host: "web.example.com",
          http: {
            paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { name: "http" } } } }],
          },
        },
      ],
    },
  });
  const answer = await waitFor(async () => {
    const a = await request(ingress.port, "web.example.com", "/hello?q=1");
    return a.status === 200 && a;
  }, "the Ingress routes");
  expect(echoOf(answer)).toMatchObject({ backend: "web", url: "/hello?q=1" });

  // Another class's Ingress is not ours.
  await created("/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
    metadata: { name: "nginx" },
    spec: {
      ingressClassName: "nginx",
      rules: [
        {
          host: "nginx.example.com",
          http: {
            paths: [{ path: "/", pathType: "Prefix", backend: { service: { name: "web", port: { number: 80 } } } }],
          },
        },
      ],
    },
  });
  expect((await call("DELETE", "/apis/networking.k8s.io/v1/namespaces/default/ingresses/web")).status).toBe(200);
  await waitFor(async () => (await request(ingress.port, "web.example.com", "/")).status === 404, "the route is gone");
  // The informer has seen the nginx Ingress (created before the deletion it has seen): it is not served.
  expect((await request(ingress.port, "nginx.example.com", "/")).status).toBe(404);
});

test("an Ingress's TLS Secret is served for its hosts once both exist", async () => {
  const https = ingress.httpsPort as number;
  expect(await peerCommonName(https, "secure.example.com")).toBe(DEFAULT_CERT_CN);
  const pair = await createSelfSignedCertificate("secure.example.com", ["secure.example.com"]);
  await created("/api/v1/namespaces/default/secrets", {
    metadata: { name: "secure-tls" },
    type: "kubernetes.io/tls",
    data: {
      "tls.crt": Buffer.from(pair.certPem).toString("base64"),
      "tls.key": Buffer.from(pair.keyPem).toString("base64"),
    },
  });
  await created("/apis/networking.k8s.io/v1/namespaces/default/ingresses", {
    metadata: { name: "secure" },
    spec: {
      tls: [{ hosts: ["secure.example.com"], secretName: "secure-tls" }],
      defaultBackend: { service: { name: "web", port: { number: 80 } } },
    },
  });
  await waitFor(async () => (await peerCommonName(https, "secure.example.com")) === "secure.example.com", "the cert");
  expect(await peerCommonName(https, "other.example.com")).toBe(DEFAULT_CERT_CN);
});
