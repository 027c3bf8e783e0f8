import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { stringify } from "yaml";
import { ensureServerPki, issueClientCert } from "../auth/pki.ts";
import { createClient } from "./client.ts";
import { clientFromKubeconfig } from "./kubeconfig.ts";
import { pods } from "./refs.ts";
import type { WatchEvent } from "./types.ts";

// A TLS server like the API server's listener (node:tls feeding node:http) that reports who the client is,
// with certificates from k3lite's own PKI (server CA for the serving cert, client CA for client certs).
let dir: string;
let server: tls.Server;
let url: string;
let pem: Record<"ca" | "serverCert" | "serverKey" | "clientCa" | "clientCert" | "clientKey", string>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "k3lite-https-"));
  const pki = await ensureServerPki({
    dataDir: dir,
    nodeName: "test",
    sans: [],
    clusterDomain: "cluster.local",
    firstServiceIp: "10.43.0.1",
  });
  const admin = await issueClientCert(pki, { commonName: "admin", organizations: ["system:masters"] });
  pem = {
    ca: pki.serverCaCertPem,
    serverCert: pki.servingCertPem,
    serverKey: pki.servingKeyPem,
    clientCa: pki.clientCaCertPem,
    clientCert: admin.certPem,
    clientKey: admin.keyPem,
  };
  const app = http.createServer((req, res) => {
    const socket = req.socket as tls.TLSSocket;
    const peer = socket.getPeerCertificate();
    const who = socket.authorized ? peer.subject?.CN : undefined;
    if (req.url?.includes("watch=true")) {
      res.writeHead(200, { "content-type": "application/json" });
      res.write(`${JSON.stringify({ type: "ADDED", object: { metadata: { name: who ?? "anonymous" } } })}\n`);
      setTimeout(() => res.end(`${JSON.stringify({ type: "DELETED", object: { metadata: { name: "x" } } })}\n`), 50);
      return;
    }
    res.writeHead(200, { "content-type": "application/json" });
    res.end(
      JSON.stringify({
        kind: "Pod",
        metadata: { name: who ?? "anonymous" },
        auth: req.headers.authorization ?? "",
      }),
    );
  });
  server = tls.createServer(
    {
      key: pem.serverKey,
      cert: pem.serverCert,
      ca: pem.clientCa,
      requestCert: true,
      rejectUnauthorized: false,
    },
    (socket) => app.emit("connection", socket),
  );
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("httpsTransport via kubeconfig", () => {
  function kubeconfig(user: Record<string, string>): string {
    const path = join(dir, `kc-${Math.random().toString(36).slice(2)}.yaml`);
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    writeFileSync(
      path,
      stringify({
        apiVersion: "v1",
        kind: "Config",
        "current-context": "default",
        clusters: [
          {
            name: "default",
            cluster: { server: url, "certificate-authority-data": b64(pem.ca) },
          },
        ],
        users: [{ name: "default", user }],
        contexts: [{ name: "default", context: { cluster: "default", user: "default" } }],
      }),
    );
    return path;
  }

  test("presents the client certificate and verifies the server", async () => {
    const b64 = (s: string) => Buffer.from(s).toString("base64");
    const client = clientFromKubeconfig(
      kubeconfig({
        "client-certificate-data": b64(pem.clientCert),
        "client-key-data": b64(pem.clientKey),
      }),
    );
    const pod = await client.get({ ...pods, namespace: "default" }, "x");
    expect(pod.metadata?.name).toBe("admin");

    const events: WatchEvent[] = [];
    await client.watch(pods, {}, (ev) => events.push(ev)).done;
    expect(events.map((e) => `${e.type} ${e.object.metadata?.name}`)).toEqual(["ADDED admin", "DELETED x"]);
  });

  test("sends a bearer token; client certificate files by path", async () => {
    const client = clientFromKubeconfig(kubeconfig({ token: "abc.def" }));
    const pod = await client.get(pods, "x");
    expect(pod.metadata?.name).toBe("anonymous");
    expect(pod.auth).toBe("Bearer abc.def");

    writeFileSync(join(dir, "client.crt"), pem.clientCert);
    writeFileSync(join(dir, "client.key"), pem.clientKey);
    const byPath = clientFromKubeconfig(
      kubeconfig({
        "client-certificate": join(dir, "client.crt"),
        "client-key": join(dir, "client.key"),
      }),
    );
    expect((await byPath.get(pods, "x")).metadata?.name).toBe("admin");
  });

  test("rejects a server the CA did not sign", async () => {
    const client = createClient(
      (await import("./https.ts")).httpsTransport({
        server: url,
        caPem: pem.clientCa,
      }),
    );
    await expect(client.get(pods, "x")).rejects.toThrow();
  });
});
