// API server benchmark: p50/p99 latency and throughput of create / get / list (1k objects) / update and watch
// event delivery with 1, 16 and 64 concurrent clients over HTTPS keep-alive (client certificate), against a real
// `k3lite server --disable-agent` process (scheduler and controllers off so they do not compete for the cores),
// beside the floor measured in the same run: a bare Hono route returning a fixed object over Bun.serve TLS.
//
//   bun bench/apiserver.ts            full run (a few minutes), prints a Markdown table
//   bun bench/apiserver.ts --smoke    short CI run
//   bun bench/apiserver.ts --wrk-only only the wrk rows (floor, GET, create, merge PATCH), for quick before/after

import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse } from "yaml";
import { freePort, spawnServer } from "../test/harness.ts";
import { haveWrk, runWrk } from "./wrk.ts";

const SMOKE = process.argv.includes("--smoke");
const WRK_ONLY = process.argv.includes("--wrk-only");
const CELL_MS = SMOKE ? 300 : 3000;
const LIST_OBJECTS = SMOKE ? 100 : 1000;
const CONCURRENCY = SMOKE ? [1, 16] : [1, 16, 64];
const REPO = resolve(import.meta.dir, "..");

interface Tls {
  ca: string;
  cert: string;
  key: string;
}

interface Row {
  op: string;
  clients: number;
  perSecond: number;
  p50: number;
  p99: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] : Number.NaN;

/** Runs `op` from `clients` concurrent loops for CELL_MS; each loop passes its own index and iteration. */
async function measure(name: string, clients: number, op: (client: number, i: number) => Promise<void>): Promise<Row> {
  const latencies: number[] = [];
  const deadline = performance.now() + CELL_MS;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      for (let i = 0; performance.now() < deadline; i++) {
        const t = performance.now();
        await op(c, i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    op: name,
    clients,
    perSecond: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

function client(base: string, tls: Tls) {
  return async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(base + path, {
      method,
      headers: { "content-type": "application/json", accept: "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
      tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
    } as RequestInit);
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200)}`);
    return text;
  };
}

async function startServer(dataDir: string, port: number) {
  const proc = await spawnServer(dataDir, port, { args: ["--disable-scheduler", "--disable-controller-manager"] });
  const base = `https://127.0.0.1:${port}`;
  const kubeconfig = join(dataDir, "kubeconfig.yaml");
  const kc = parse(await readFile(kubeconfig, "utf8"));
  const b64 = (s: string) => Buffer.from(s, "base64").toString();
  const tls: Tls = {
    ca: b64(kc.clusters[0].cluster["certificate-authority-data"]),
    cert: b64(kc.users[0].user["client-certificate-data"]),
    key: b64(kc.users[0].user["client-key-data"]),
  };
  return { proc, base, tls };
}

/** The floor: Hono on Bun.serve over TLS, one fixed JSON object, in its own process like the server. */
async function startFloor(dataDir: string, port: number) {
  const script = `
    import { Hono } from "hono";
    const app = new Hono();
    const body = JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", namespace: "default", resourceVersion: "1" }, data: { a: "b" } });
    app.get("/x", (c) => c.body(body, 200, { "content-type": "application/json" }));
    Bun.serve({ port: ${port}, hostname: "127.0.0.1", fetch: app.fetch,
      tls: { cert: Bun.file(${JSON.stringify(join(dataDir, "server/tls/serving-kube-apiserver.crt"))}), key: Bun.file(${JSON.stringify(join(dataDir, "server/tls/serving-kube-apiserver.key"))}) } });
  `;
  const proc = Bun.spawn([process.execPath, "-e", script], { cwd: REPO, stdout: "ignore", stderr: "inherit" });
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`https://127.0.0.1:${port}/x`, { tls: { rejectUnauthorized: false } } as RequestInit).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(50);
  }
  return proc;
}

/** Watch delivery: `watchers` streams on one namespace; latency = event received − write sent. */
async function watchDelivery(base: string, tls: Tls, call: ReturnType<typeof client>, watchers: number): Promise<Row> {
  const ns = `watch-${watchers}`;
  await call("POST", "/api/v1/namespaces", { metadata: { name: ns } });
  const sentAt = new Map<string, number>();
  const latencies: number[] = [];
  const controllers: AbortController[] = [];
  let ready = 0;
  for (let w = 0; w < watchers; w++) {
    const ac = new AbortController();
    controllers.push(ac);
    const res = await fetch(`${base}/api/v1/namespaces/${ns}/configmaps?watch=1&resourceVersion=1`, {
      tls: { ca: tls.ca, cert: tls.cert, key: tls.key },
      signal: ac.signal,
      timeout: false,
    } as RequestInit);
    ready++;
    void (async () => {
      const reader = (res.body as ReadableStream<Uint8Array>).getReader();
      const decoder = new TextDecoder();
      let buf = "";
      for (;;) {
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true }));
        if (done) return;
        buf += decoder.decode(value, { stream: true });
        let nl = buf.indexOf("\n");
        while (nl >= 0) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const name = /"name":"([^"]+)"/.exec(line)?.[1];
          const t = name ? sentAt.get(name) : undefined;
          if (t !== undefined) latencies.push(performance.now() - t);
          nl = buf.indexOf("\n");
        }
      }
    })();
  }
  void ready;
  const writes = SMOKE ? 50 : 500;
  const started = performance.now();
  for (let i = 0; i < writes; i++) {
    const name = `w${i}`;
    sentAt.set(name, performance.now());
    await call("POST", `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { i: String(i) } });
  }
  const expected = writes * watchers;
  for (let i = 0; i < 200 && latencies.length < expected; i++) await Bun.sleep(25);
  const seconds = (performance.now() - started) / 1000;
  for (const ac of controllers) ac.abort();
  latencies.sort((a, b) => a - b);
  return {
    op: "watch delivery (write sent → event)",
    clients: watchers,
    perSecond: latencies.length / seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

/**
 * The same operations driven by wrk, as the issue measured its floor: a native client leaves the server the cores
 * a Bun client would take. wrk has no client certificates, so a cluster-admin ServiceAccount token is used.
 */
async function wrkRows(base: string, floorBase: string, call: ReturnType<typeof client>): Promise<Row[]> {
  await call("POST", "/api/v1/namespaces/default/serviceaccounts", { metadata: { name: "bench" } });
  await call("POST", "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings", {
    metadata: { name: "bench" },
    roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
    subjects: [{ kind: "ServiceAccount", name: "bench", namespace: "default" }],
  });
  const review = JSON.parse(
    (await call("POST", "/api/v1/namespaces/default/serviceaccounts/bench/token", { spec: {} })) as string,
  );
  const headers = { authorization: `Bearer ${review.status.token}`, "content-type": "application/json" };
  await call("POST", "/api/v1/namespaces/bench/configmaps", { metadata: { name: "wrk" }, data: { i: "0" } });
  const seconds = SMOKE ? 1 : 5;
  const rows: Row[] = [];
  const row = async (op: string, clients: number, url: string, opts: Partial<Parameters<typeof runWrk>[1]> = {}) => {
    const r = await runWrk(url, { connections: clients, seconds, headers, ...opts });
    if (r.errors > 0) throw new Error(`${op}: ${r.errors} failed requests under wrk`);
    rows.push({ op, clients, perSecond: r.perSecond, p50: r.p50, p99: r.p99 });
  };
  for (const n of SMOKE ? [16] : [16, 64]) {
    await row("wrk: floor, bare Hono GET over Bun.serve TLS", n, `${floorBase}/x`);
    await row("wrk: GET configmap (bearer token)", n, `${base}/api/v1/namespaces/bench/configmaps/wrk`);
    await row("wrk: create configmap (durable)", n, `${base}/api/v1/namespaces/bench/configmaps`, {
      method: "POST",
      body: JSON.stringify({ metadata: { generateName: "wrk-" }, data: { payload: "x".repeat(256) } }),
    });
    // A merge patch (a PUT needs the object's name in its body, which must match the path) spread over the 64
    // objects of the Bun-client rows, so concurrent writers rarely touch the same key.
    await row("wrk: update configmap (merge PATCH, durable)", n, base, {
      method: "PATCH",
      headers: { ...headers, "content-type": "application/merge-patch+json" },
      paths: Array.from({ length: 64 }, (_, c) => `/api/v1/namespaces/bench/configmaps/obj-${c}`),
      body: JSON.stringify({ data: { i: "%N%" } }),
    });
  }
  return rows;
}

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), "k3lite-bench-"));
  const server = await startServer(dataDir, await freePort());
  const floorPort = await freePort();
  const floor = await startFloor(dataDir, floorPort);
  const rows: Row[] = [];
  try {
    const call = client(server.base, server.tls);
    const floorCall = client(`https://127.0.0.1:${floorPort}`, server.tls);
    await call("POST", "/api/v1/namespaces", { metadata: { name: "bench" } });
    await call("POST", "/api/v1/namespaces", { metadata: { name: "list" } });
    const cm = (name: string, i = 0) => ({ metadata: { name }, data: { i: String(i), payload: "x".repeat(256) } });
    for (let i = 0; i < LIST_OBJECTS; i++) await call("POST", "/api/v1/namespaces/list/configmaps", cm(`item-${i}`));
    for (let c = 0; c < 64; c++) await call("POST", "/api/v1/namespaces/bench/configmaps", cm(`obj-${c}`));

    let seq = 0;
    for (const n of WRK_ONLY ? [] : CONCURRENCY) {
      rows.push(
        await measure("floor: bare Hono GET over Bun.serve TLS", n, () => floorCall("GET", "/x") as Promise<void>),
      );
      rows.push(
        await measure(
          "GET configmap",
          n,
          (c) => call("GET", `/api/v1/namespaces/bench/configmaps/obj-${c}`) as Promise<void>,
        ),
      );
      rows.push(
        await measure(
          "create configmap (durable)",
          n,
          () => call("POST", "/api/v1/namespaces/bench/configmaps", cm(`c-${n}-${seq++}`)) as Promise<void>,
        ),
      );
      rows.push(
        await measure(
          "update configmap (PUT)",
          n,
          (c, i) => call("PUT", `/api/v1/namespaces/bench/configmaps/obj-${c}`, cm(`obj-${c}`, i)) as Promise<void>,
        ),
      );
      rows.push(
        await measure(
          `list ${LIST_OBJECTS} configmaps`,
          n,
          () => call("GET", "/api/v1/namespaces/list/configmaps") as Promise<void>,
        ),
      );
    }
    for (const n of WRK_ONLY ? [] : CONCURRENCY) rows.push(await watchDelivery(server.base, server.tls, call, n));
    if (haveWrk()) rows.push(...(await wrkRows(server.base, `https://127.0.0.1:${floorPort}`, call)));
    else console.error("wrk is not installed: the rows measured with it are left out");
  } finally {
    server.proc.kill();
    floor.kill();
    await Promise.all([server.proc.exited, floor.exited]);
    await rm(dataDir, { recursive: true, force: true });
  }
  console.log(`k3lite API server benchmark${SMOKE ? " (smoke)" : ""}, Bun ${Bun.version}, ${CELL_MS} ms per cell\n`);
  console.log("| operation | clients | per second | p50 ms | p99 ms |");
  console.log("|---|---:|---:|---:|---:|");
  for (const r of rows) {
    console.log(
      `| ${r.op} | ${r.clients} | ${Math.round(r.perSecond).toLocaleString("en-US")} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`,
    );
  }
}

await main();
