// Image pulls through CRI PullImage from a registry on loopback: a tiny OCI distribution server in this test
// (serving the busybox image built by scripts/build-test-images.sh) configured as a plain-HTTP mirror in a
// k3s-format registries.yaml. A pod pulls from it; a missing image shows ErrImagePull, then ImagePullBackOff.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadRegistries, writeRegistryHosts } from "../src/agent/cri/registries.ts";
import type { Pod } from "../src/api/types.ts";
import type { FakeCluster } from "../src/client/fake.ts";
import { inNamespace, pods } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import {
  type AgentFixture,
  busyboxContainer,
  ensureTestImages,
  podOnNode,
  startFakeClusterAgent,
  waitPodRunning,
} from "./agent-fixture.ts";

let node: AgentFixture & { fake: FakeCluster };
let fake: FakeCluster;
let registry: ReturnType<typeof Bun.serve>;
const requests: string[] = [];

/** Serves one OCI image layout (untarred) as repository `name` with tag `tag`. */
function serveRegistry(layout: string, name: string, tag: string) {
  const index = JSON.parse(readFileSync(join(layout, "index.json"), "utf8"));
  const desc = index.manifests[0];
  const blob = (digest: string) => readFileSync(join(layout, "blobs/sha256", digest.replace("sha256:", "")));
  return Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    fetch(req) {
      const path = new URL(req.url).pathname;
      requests.push(`${req.method} ${path}`);
      if (path === "/v2/") return Response.json({});
      const m = /^\/v2\/(.+)\/(manifests|blobs)\/(.+)$/.exec(path);
      if (!m || m[1] !== name) return new Response("not found", { status: 404 });
      if (m[2] === "manifests" && m[3] !== tag && m[3] !== desc.digest)
        return new Response("not found", { status: 404 });
      const digest = m[2] === "manifests" ? desc.digest : (m[3] as string);
      let body: Buffer;
      try {
        body = blob(digest);
      } catch {
        return new Response("not found", { status: 404 });
      }
      const headers = {
        "content-type": m[2] === "manifests" ? desc.mediaType : "application/octet-stream",
        "docker-content-digest": digest,
        "content-length": String(body.length),
      };
      return new Response(req.method === "HEAD" ? null : new Uint8Array(body), { headers });
    },
  });
}

beforeAll(async () => {
  ensureTestImages();
  const dataDir = mkdtempSync(join(tmpdir(), "k3lite-agent-registry-"));
  const layout = join(dataDir, "layout");
  Bun.spawnSync(["mkdir", "-p", layout]);
  Bun.spawnSync(["tar", "xf", join(import.meta.dir, "../dist/images/busybox.tar"), "-C", layout]);
  registry = serveRegistry(layout, "k3lite/regtest", "1");
  const registriesFile = join(dataDir, "registries.yaml");
  writeFileSync(
    registriesFile,
    `mirrors:\n  registry.example.test:\n    endpoint:\n      - "http://127.0.0.1:${registry.port}"\n`,
  );
  // busybox is not imported: the pod must pull it.
  node = await startFakeClusterAgent({
    nodeName: "registry-node",
    dataDir,
    privateRegistry: registriesFile,
    importBusybox: false,
  });
  fake = node.fake;
}, 60_000);

afterAll(async () => {
  registry?.stop(true);
  await node?.cleanup();
}, 60_000);

const podsRef = inNamespace(pods, "default");
const make = (name: string, image: string) =>
  podOnNode(node.config.nodeName, name, [busyboxContainer("c", ["sleep", "3600"], { image })]);
const waiting = async (name: string) =>
  (await fake.client.get<Pod>(podsRef, name)).status?.containerStatuses?.[0]?.state?.waiting?.reason;

test("registries.yaml becomes containerd hosts.toml", () => {
  const dir = join(node.config.dataDir, "certs-test");
  writeRegistryHosts(dir, loadRegistries(node.config.privateRegistry));
  const toml = readFileSync(join(dir, "registry.example.test/hosts.toml"), "utf8");
  expect(toml).toContain(`server = "https://registry.example.test"`);
  expect(toml).toContain(`[host."http://127.0.0.1:${registry.port}"]`);
});

test("a pod pulls its image through the plain-HTTP mirror", async () => {
  await fake.client.create(podsRef, make("pulled", "registry.example.test/k3lite/regtest:1"));
  const p = await waitPodRunning(fake.client, "pulled", 60_000);
  expect(p?.status?.containerStatuses?.[0]?.imageID).toBe(
    `registry.example.test/k3lite/regtest@${JSON.parse(readFileSync(join(node.config.dataDir, "layout/index.json"), "utf8")).manifests[0].digest}`,
  );
  expect(requests.some((r) => r.startsWith("GET /v2/k3lite/regtest/blobs/"))).toBe(true);
}, 90_000);

test("a missing image gives ErrImagePull, then ImagePullBackOff", async () => {
  await fake.client.create(podsRef, make("missing", "registry.example.test/k3lite/nope:1"));
  const seen = new Set<string>();
  await waitFor(
    async () => {
      const r = await waiting("missing");
      if (r) seen.add(r);
      return seen.has("ErrImagePull") && seen.has("ImagePullBackOff");
    },
    "ErrImagePull then ImagePullBackOff",
    30_000,
    50,
  );
  const p = await fake.client.get<Pod>(podsRef, "missing");
  expect(p.status?.phase).toBe("Pending");
}, 60_000);
