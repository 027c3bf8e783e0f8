// Listener benchmark: GET/s and p50/p99 over HTTPS with a client certificate, layer by layer, so the cost of each is
// visible: bare node:tls+node:http → + @hono/node-server and a Hono route → k3lite's listener (listenHttps) with a
// trivial route → the full API server GETting a ConfigMap. Every server runs in its own process, all in one run.
//
//   bun bench/listener.ts            3 s per cell, 1 and 16 clients, prints a Markdown table
//   bun bench/listener.ts --smoke    short CI run

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { parse } from "yaml";
import { freePort, spawnServer } from "../test/harness.ts";

const SMOKE = process.argv.includes("--smoke");
const CELL_MS = SMOKE ? 300 : 3000;
const CONCURRENCY = SMOKE ? [1, 16] : [1, 16, 64];
const BODY = JSON.stringify({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "x", namespace: "default", resourceVersion: "1" },
  data: { payload: "x".repeat(256) },
});

interface Pems {
  ca: string;
  cert: string;
  key: string;
  servingCert: string;
  servingKey: string;
  clientCa: string;
}

type Layer = "bare" | "hono" | "listener";
const LAYERS: { layer: Layer; title: string }[] = [
  { layer: "bare", title: "bare node:tls + node:http handler" },
  { layer: "hono", title: "+ @hono/node-server getRequestListener, Hono route" },
  { layer: "listener", title: "k3lite listenHttps, Hono route" },
];

/** Child process: serve one layer on `port` until killed. */
async function serve(layer: Layer, pems: Pems, port: number): Promise<void> {
  const tlsOptions = { cert: pems.servingCert, key: pems.servingKey, ca: pems.clientCa };
  const { Hono } = await import("hono");
  const app = new Hono();
  app.get("/x", (c) => c.body(BODY, 200, { "content-type": "application/json" }));
  if (layer === "listener") {
    const { listenHttps } = await import("../src/apiserver/listener.ts");
    await listenHttps({
      fetch: app.fetch,
      certPem: tlsOptions.cert,
      keyPem: tlsOptions.key,
      clientCaPem: pems.clientCa,
      host: "127.0.0.1",
      port,
    });
    return;
  }
  const { getRequestListener } = await import("@hono/node-server");
  const http = createHttpServer(
    layer === "bare"
      ? (_req, res) => {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(BODY);
        }
      : getRequestListener(app.fetch, { overrideGlobalObjects: false }),
  );
  const tls = createTlsServer({ ...tlsOptions, requestCert: true, rejectUnauthorized: false }, (socket) =>
    http.emit("connection", socket),
  );
  tls.listen(port, "127.0.0.1");
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;

interface Row {
  op: string;
  clients: number;
  perSecond: number;
  p50: number;
  p99: number;
}

async function measure(op: string, clients: number, url: string, pems: Pems): Promise<Row> {
  const tls = { ca: pems.ca, cert: pems.cert, key: pems.key };
  const get = async () => {
    const res = await fetch(url, { headers: { accept: "application/json" }, tls } as RequestInit);
    await res.arrayBuffer();
    if (!res.ok) throw new Error(`GET ${url}: ${res.status}`);
  };
  for (let i = 0; i < 50; i++) await get(); // warm up connections and the JIT
  const latencies: number[] = [];
  const started = performance.now();
  const deadline = started + CELL_MS;
  await Promise.all(
    Array.from({ length: clients }, async () => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await get();
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    op,
    clients,
    perSecond: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

async function readPems(dataDir: string): Promise<Pems> {
  const kc = parse(await readFile(join(dataDir, "kubeconfig.yaml"), "utf8"));
  const b64 = (s: string) => Buffer.from(s, "base64").toString();
  const tlsDir = join(dataDir, "server/tls");
  return {
    ca: b64(kc.clusters[0].cluster["certificate-authority-data"]),
    cert: b64(kc.users[0].user["client-certificate-data"]),
    key: b64(kc.users[0].user["client-key-data"]),
    servingCert: await readFile(join(tlsDir, "serving-kube-apiserver.crt"), "utf8"),
    servingKey: await readFile(join(tlsDir, "serving-kube-apiserver.key"), "utf8"),
    clientCa: await readFile(join(tlsDir, "client-ca.crt"), "utf8"),
  };
}

async function waitUp(url: string, pems: Pems): Promise<void> {
  const tls = { ca: pems.ca, cert: pems.cert, key: pems.key };
  for (let i = 0; i < 400; i++) {
    const ok = await fetch(url, { tls } as RequestInit).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await Bun.sleep(50);
  }
  throw new Error(`${url} never answered`);
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "k3lite-bench-listener-"));
  const port = await freePort();
  const server = await spawnServer(dataDir, port, { args: ["--disable-scheduler", "--disable-controller-manager"] });
  const children: ReturnType<typeof Bun.spawn>[] = [];
  const rows: Row[] = [];
  try {
    const pems = await readPems(dataDir);
    const base = `https://127.0.0.1:${port}`;
    const tls = { ca: pems.ca, cert: pems.cert, key: pems.key };
    const post = (path: string, body: unknown) =>
      fetch(base + path, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
        tls,
      } as RequestInit).then((r) => r.text());
    await post("/api/v1/namespaces/default/configmaps", {
      metadata: { name: "x" },
      data: { payload: "x".repeat(256) },
    });
    const layerUrls: { title: string; url: string }[] = [];
    for (const { layer, title } of LAYERS) {
      const p = await freePort();
      children.push(
        Bun.spawn([process.execPath, resolve(import.meta.path), "--serve", layer, dataDir, String(p)], {
          stdout: "ignore",
          stderr: "inherit",
        }),
      );
      layerUrls.push({ title, url: `https://127.0.0.1:${p}/x` });
    }
    for (const { url } of layerUrls) await waitUp(url, pems);
    layerUrls.push({ title: "k3lite server: GET configmap", url: `${base}/api/v1/namespaces/default/configmaps/x` });
    for (const n of CONCURRENCY) for (const { title, url } of layerUrls) rows.push(await measure(title, n, url, pems));
  } finally {
    for (const c of children) c.kill();
    server.kill();
    await Promise.all([...children.map((c) => c.exited), server.exited]);
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`k3lite listener benchmark${SMOKE ? " (smoke)" : ""}, Bun ${Bun.version}, ${CELL_MS} ms per cell\n`);
  console.log("| GET over HTTPS (client certificate) | clients | per second | p50 ms | p99 ms |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of rows) {
    const fmt = (n: number) => n.toFixed(2);
    console.log(
      `| ${r.op} | ${r.clients} | ${Math.round(r.perSecond).toLocaleString("en-US")} | ${fmt(r.p50)} | ${fmt(r.p99)} |`,
    );
  }
}

const serveAt = process.argv.indexOf("--serve");
if (serveAt >= 0) {
  const [layer, dataDir, port] = process.argv.slice(serveAt + 1);
  await serve(layer as Layer, await readPems(dataDir), Number(port));
} else {
  await main();
}
