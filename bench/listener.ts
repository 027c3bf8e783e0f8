// Listener benchmark: GET/s and p50/p99 over HTTPS with a client certificate, layer by layer, so the cost of each is
// visible: bare node:tls+node:http → + @hono/node-server and a Hono route → k3lite's listener (listenHttps) with a
// trivial route → the full API server GETting a ConfigMap. Every server runs in its own process, all in one run.
//
//   bun bench/listener.ts            3 s per cell, 1 and 16 clients, prints a Markdown table
//   bun bench/listener.ts --smoke    short CI run
//   bun bench/listener.ts --baseline DIR   also GET from a server run from another checkout (e.g. `git archive` of an
//                                    older commit, with node_modules linked in): a before/after in the same run

import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { createServer as createHttpServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createServer as createTlsServer } from "node:tls";
import { parse } from "yaml";
import { freePort, spawnServer, waitFor } from "../test/harness.ts";

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

/** The ConfigMap the full-server rows GET. */
async function seed(base: string, pems: Pems): Promise<string> {
  const res = await fetch(`${base}/api/v1/namespaces/default/configmaps`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ metadata: { name: "x" }, data: { payload: "x".repeat(256) } }),
    tls: { ca: pems.ca, cert: pems.cert, key: pems.key },
  } as RequestInit);
  if (!res.ok) throw new Error(`create configmap: ${res.status} ${await res.text()}`);
  return `${base}/api/v1/namespaces/default/configmaps/x`;
}

/** `k3lite server` from another checkout, with the flags spawnServer() gives ours. */
async function startBaseline(checkout: string, dataDir: string, port: number): Promise<Bun.Subprocess> {
  await writeFile(join(dataDir, "none.yaml"), "");
  const proc = Bun.spawn(
    [
      process.execPath,
      join(checkout, "src/cli/main.ts"),
      "server",
      "--disable-agent",
      ...SERVER_FLAGS,
      ...["--data-dir", dataDir, "--https-listen-port", String(port), "--bind-address", "127.0.0.1"],
      ...["--write-kubeconfig", join(dataDir, "kubeconfig.yaml")],
    ],
    {
      cwd: checkout,
      stdout: "ignore",
      stderr: "inherit",
      env: { ...process.env, K3LITE_CONFIG: join(dataDir, "none.yaml") },
    },
  );
  await waitFor(
    () =>
      fetch(`https://127.0.0.1:${port}/readyz`, { tls: { rejectUnauthorized: false } } as RequestInit).then(
        (r) => r.ok,
        () => false,
      ),
    60_000,
    "baseline /readyz",
  );
  return proc;
}

const SERVER_FLAGS = ["--disable-scheduler", "--disable-controller-manager"];

interface Target {
  title: string;
  url: string;
  pems: Pems;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), "k3lite-bench-listener-"));
  const port = await freePort();
  const processes: Bun.Subprocess[] = [await spawnServer(dataDir, port, { args: SERVER_FLAGS })];
  const baselineAt = process.argv.indexOf("--baseline");
  const baselineDir = baselineAt >= 0 ? await mkdtemp(join(tmpdir(), "k3lite-bench-baseline-")) : undefined;
  const rows: Row[] = [];
  try {
    const pems = await readPems(dataDir);
    const targets: Target[] = [];
    for (const { layer, title } of LAYERS) {
      const p = await freePort();
      processes.push(
        Bun.spawn([process.execPath, resolve(import.meta.path), "--serve", layer, dataDir, String(p)], {
          stdout: "ignore",
          stderr: "inherit",
        }),
      );
      targets.push({ title, url: `https://127.0.0.1:${p}/x`, pems });
    }
    for (const { url } of targets) await waitUp(url, pems);
    if (baselineDir) {
      const checkout = resolve(process.argv[baselineAt + 1]);
      const p = await freePort();
      processes.push(await startBaseline(checkout, baselineDir, p));
      const basePems = await readPems(baselineDir);
      const url = await seed(`https://127.0.0.1:${p}`, basePems);
      targets.push({ title: `baseline server (${checkout}): GET configmap`, url, pems: basePems });
    }
    const url = await seed(`https://127.0.0.1:${port}`, pems);
    targets.push({ title: "k3lite server: GET configmap", url, pems });
    for (const n of CONCURRENCY) for (const t of targets) rows.push(await measure(t.title, n, t.url, t.pems));
  } finally {
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exited));
    for (const dir of [dataDir, baselineDir]) if (dir) await rm(dir, { recursive: true, force: true });
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
