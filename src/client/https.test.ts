import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import tls from "node:tls";
import { stringify } from "yaml";
import { createClient } from "./client.ts";
import { clientFromKubeconfig } from "./kubeconfig.ts";
import { pods } from "./refs.ts";
import type { WatchEvent } from "./types.ts";

// A TLS server like the API server's listener (node:tls feeding node:http) that reports who the client is.
let dir: string;
let server: tls.Server;
let url: string;
let pem: Record<"ca" | "serverCert" | "serverKey" | "clientCert" | "clientKey", string>;

function openssl(...args: string[]) {
  const result = Bun.spawnSync(["openssl", ...args], {
    cwd: dir,
    stderr: "pipe",
  });
  if (result.exitCode !== 0) throw new Error(`openssl ${args.join(" ")}: ${result.stderr.toString()}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "k3lite-https-"));
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];
  openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.crt", "-days", "1", "-subj", "/CN=test-ca");
  writeFileSync(join(dir, "san.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n");
  writeFileSync(join(dir, "client.ext"), "extendedKeyUsage=clientAuth\n");
  for (const [name, subj, ext] of [
    ["server", "/CN=kube-apiserver", "san.ext"],
    ["client", "/O=system:masters/CN=admin", "client.ext"],
  ]) {
    openssl("req", ...ec, "-keyout", `${name}.key`, "-out", `${name}.csr`, "-subj", subj);
    openssl(
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      "ca.crt",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      "1",
      "-extfile",
      ext,
    );
  }
  const read = (f: string) => readFileSync(join(dir, f), "utf8");
  pem = {
    ca: read("ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
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
      ca: pem.ca,
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
        caPem: pem.clientCert,
      }),
    );
    await expect(client.get(pods, "x")).rejects.toThrow();
  });
});
