// The official JavaScript client (@kubernetes/client-node) against a k3lite API server over HTTPS: typed CRUD
// with optimistic concurrency, an informer that sees add/update/delete in order, watch-list initial events with
// the end bookmark, and 410 Gone for a compacted revision (what makes informers relist). client-node hands its CA
// and client certificate to undici dispatchers, which Bun's fetch ignores, so the client runs in a Bun subprocess
// trusting the cluster CA through NODE_EXTRA_CA_CERTS and authenticating with a ServiceAccount token; the server
// runs in this process so the test can compact its store.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { KubeObject } from "../src/api/types.ts";
import { renderKubeconfig } from "../src/auth/kubeconfig.ts";
import { signServiceAccountToken } from "../src/auth/serviceaccount-token.ts";
import { type RunningServer, startServer } from "../src/server/index.ts";
import { freePort, testServerConfig } from "./harness.ts";

let server: RunningServer;
let dataDir: string;

beforeAll(async () => {
  dataDir = await mkdtemp(join(tmpdir(), "k3lite-cn-"));
  server = await startServer(testServerConfig(dataDir, await freePort()));
});

afterAll(async () => {
  await server?.stop();
  await rm(dataDir, { recursive: true, force: true });
});

/** Runs as an ES module under Node.js; prints one JSON object with what it observed. */
const CLIENT_SCRIPT = `
import { CoreV1Api, KubeConfig, makeInformer, Watch } from "@kubernetes/client-node";
const kc = new KubeConfig();
kc.loadFromFile(process.env.KUBECONFIG);
const core = kc.makeApiClient(CoreV1Api);
const out = {};
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(check, what) {
  for (let i = 0; i < 200; i++) { if (check()) return; await sleep(50); }
  throw new Error("timed out waiting for " + what);
}
const code = (p) => p.then(() => 0, (e) => e.code ?? -1);

const created = await core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "crud" }, data: { a: "1" } } });
const got = await core.readNamespacedConfigMap({ namespace: "default", name: "crud" });
const updated = await core.replaceNamespacedConfigMap({ namespace: "default", name: "crud", body: { ...got, data: { a: "2" } } });
out.rvIncreased = Number(updated.metadata.resourceVersion) > Number(created.metadata.resourceVersion);
out.staleReplace = await code(core.replaceNamespacedConfigMap({ namespace: "default", name: "crud", body: { ...got, data: { a: "3" } } }));
out.duplicateCreate = await code(core.createNamespacedConfigMap({ namespace: "default", body: { metadata: { name: "crud" } } }));
out.listed = (await core.listNamespacedConfigMap({ namespace: "default" })).items.some((i) => i.metadata.name === "crud");
await core.deleteNamespacedConfigMap({ namespace: "default", name: "crud" });
out.readAfterDelete = await code(core.readNamespacedConfigMap({ namespace: "default", name: "crud" }));

await core.createNamespace({ body: { metadata: { name: "inf" } } });
const informer = makeInformer(kc, "/api/v1/namespaces/inf/configmaps", () => core.listNamespacedConfigMap({ namespace: "inf" }));
const seen = [];
informer.on("add", (o) => seen.push("add:" + o.metadata.name));
informer.on("update", (o) => seen.push("update:" + o.metadata.name + ":" + o.data.v));
informer.on("delete", (o) => seen.push("delete:" + o.metadata.name));
await informer.start();
await core.createNamespacedConfigMap({ namespace: "inf", body: { metadata: { name: "one" }, data: { v: "1" } } });
await until(() => seen.includes("add:one"), "add");
const one = await core.readNamespacedConfigMap({ namespace: "inf", name: "one" });
await core.replaceNamespacedConfigMap({ namespace: "inf", name: "one", body: { ...one, data: { v: "2" } } });
await core.deleteNamespacedConfigMap({ namespace: "inf", name: "one" });
await until(() => seen.includes("delete:one"), "delete");
await informer.stop();
out.informer = seen;

const watch = new Watch(kc);
const initial = [];
const req = await watch.watch("/api/v1/namespaces/wl/configmaps",
  { sendInitialEvents: true, resourceVersionMatch: "NotOlderThan", allowWatchBookmarks: true },
  (type, obj) => initial.push({ type, name: obj.metadata?.name, annotations: obj.metadata?.annotations }), () => {});
await until(() => initial.some((e) => e.type === "BOOKMARK"), "initial-events-end bookmark");
req.abort();
out.initial = initial;

const errors = [];
let done = false;
await watch.watch("/api/v1/namespaces/wl/configmaps", { resourceVersion: process.env.OLD_RV },
  (type, obj) => { if (type === "ERROR") errors.push({ code: obj.code, reason: obj.reason }); }, () => { done = true; });
await until(() => done && errors.length > 0, "410 ERROR event");
out.compacted = errors[0];
console.log(JSON.stringify(out));
`;

test("@kubernetes/client-node: CRUD, informer, watch-list and 410 Gone", async () => {
  const client = server.client();
  await client.create({ group: "", version: "v1", resource: "namespaces" }, { metadata: { name: "wl" } });
  const wl = { group: "", version: "v1", resource: "configmaps", namespace: "wl" };
  const first = await client.create<KubeObject>(wl, { metadata: { name: "a" } });
  await client.create(wl, { metadata: { name: "b" } });
  // Compact past the first object's revision: a watch from it must end with 410, as upstream's does.
  await server.store.compact(await server.store.currentRevision());

  // A cluster-admin ServiceAccount token for the client (see the header for why not the admin certificate).
  const sa = await client.create<KubeObject>(
    { group: "", version: "v1", resource: "serviceaccounts", namespace: "default" },
    { metadata: { name: "tester" } },
  );
  await client.create(
    { group: "rbac.authorization.k8s.io", version: "v1", resource: "clusterrolebindings" },
    {
      metadata: { name: "tester" },
      roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "cluster-admin" },
      subjects: [{ kind: "ServiceAccount", name: "tester", namespace: "default" }],
    },
  );
  const { token } = await signServiceAccountToken(
    { signingKeyPem: server.pki.saSigningKeyPem },
    {
      kind: "bound",
      serviceAccount: { namespace: "default", name: "tester", uid: sa.metadata?.uid ?? "" },
      audiences: ["https://kubernetes.default.svc.cluster.local"],
    },
  );
  const kubeconfig = join(dataDir, "token-kubeconfig.yaml");
  const caFile = join(dataDir, "ca.pem");
  await writeFile(kubeconfig, renderKubeconfig({ server: server.url, caPem: server.pki.serverCaCertPem, token }));
  await writeFile(caFile, server.pki.serverCaCertPem);

  const proc = Bun.spawn([process.execPath, "-e", CLIENT_SCRIPT], {
    cwd: resolve(import.meta.dir, ".."),
    env: {
      ...process.env,
      KUBECONFIG: kubeconfig,
      NODE_EXTRA_CA_CERTS: caFile,
      OLD_RV: first.metadata?.resourceVersion ?? "",
    },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, exit] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  if (exit !== 0) throw new Error(`client-node script failed (${exit}):\n${stderr}`);
  const out = JSON.parse(stdout.trim().split("\n").pop() ?? "{}");
  expect(out.rvIncreased).toBe(true);
  expect(out.staleReplace).toBe(409);
  expect(out.duplicateCreate).toBe(409);
  expect(out.listed).toBe(true);
  expect(out.readAfterDelete).toBe(404);
  expect(out.informer).toEqual(["add:one", "update:one:2", "delete:one"]);
  expect(
    out.initial
      .slice(0, 2)
      .map((e: { name: string }) => e.name)
      .sort(),
  ).toEqual(["a", "b"]);
  const bookmark = out.initial.find((e: { type: string }) => e.type === "BOOKMARK");
  expect(bookmark.annotations["k8s.io/initial-events-end"]).toBe("true");
  expect(out.compacted).toEqual({ code: 410, reason: "Expired" });
});

test("Secrets are encrypted at rest and read back in plain", async () => {
  const client = server.client();
  await client.create(
    { group: "", version: "v1", resource: "secrets", namespace: "default" },
    { metadata: { name: "enc" }, stringData: { password: "hunter2" } },
  );
  const kv = await server.store.get("/registry/core/secrets/default/enc");
  expect(Buffer.from(kv?.value ?? []).toString()).not.toContain("hunter2");
  const back = await client.get<{ data: Record<string, string> }>(
    { group: "", version: "v1", resource: "secrets", namespace: "default" },
    "enc",
  );
  expect(Buffer.from(back.data.password, "base64").toString()).toBe("hunter2");
});
