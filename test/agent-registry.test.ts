// Image pulls through CRI PullImage from real registries on loopback (Debian's docker-registry, images pushed with
// skopeo), configured in a k3s-format registries.yaml: a docker.io image through a plain-HTTP mirror, the "*"
// mirror, an endpoint written without a scheme, a missing image (ErrImagePull, then ImagePullBackOff, with the
// registry's answer), registries that need basic auth, from registries.yaml `configs` or from a pod's
// imagePullSecrets, and an HTTPS registry with a self-signed certificate trusted through
// `configs.<host>.tls.ca_file`, directly and as a mirror.

import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";
import { agentPaths } from "../src/agent/paths.ts";
import type { Event, Pod, Secret } from "../src/api/types.ts";
import type { FakeCluster } from "../src/client/fake.ts";
import { events, inNamespace, pods, secrets } from "../src/client/refs.ts";
import { waitFor } from "../src/client/testing.ts";
import {
  type AgentFixture,
  busyboxContainer,
  ensureTestImages,
  podOnNode,
  startFakeClusterAgent,
  waitPod,
  waitPodRunning,
} from "./agent-fixture.ts";
import { type Registry, startRegistry } from "./registry-fixture.ts";

const BUSYBOX_ARCHIVE = join(import.meta.dir, "../dist/images/busybox.tar");
const CONFIG_CREDS = { username: "k3lite", password: "from-registries-yaml" };
const SECRET_CREDS = { username: "puller", password: "from-a-secret" };
const TLS_CREDS = { username: "tls-user", password: "over-https" };
/** A registry name that exists only as a mirror of the HTTPS registry. */
const TLS_MIRRORED = "registry.k3lite.test";
/** A registry name mirrored to the open registry by an endpoint without a scheme. */
const SCHEMELESS_MIRRORED = "schemeless.k3lite.test";

let node: AgentFixture & { fake: FakeCluster };
let fake: FakeCluster;
/** Anonymous; the docker.io mirror. */
let open: Registry;
/** Basic auth, credentials in registries.yaml. */
let locked: Registry;
/** Basic auth, credentials only in an imagePullSecret. */
let secretOnly: Registry;
/** HTTPS with a self-signed certificate, basic auth; TLS and credentials in registries.yaml. */
let secure: Registry;

beforeAll(async () => {
  ensureTestImages();
  [open, locked, secretOnly, secure] = await Promise.all([
    startRegistry(),
    startRegistry({ auth: CONFIG_CREDS }),
    startRegistry({ auth: SECRET_CREDS }),
    startRegistry({ auth: TLS_CREDS, tls: true }),
  ]);
  await Promise.all([
    open.push(BUSYBOX_ARCHIVE, "k3lite/regtest:1"),
    locked.push(BUSYBOX_ARCHIVE, "k3lite/private:1"),
    secretOnly.push(BUSYBOX_ARCHIVE, "k3lite/secret:1"),
    secure.push(BUSYBOX_ARCHIVE, "k3lite/tls:1"),
  ]);
  const dataDir = mkdtempSync(join(tmpdir(), "k3lite-agent-registry-"));
  const registriesFile = join(dataDir, "registries.yaml");
  const selfMirror = (r: Registry) => ({ [r.host]: { endpoint: [r.url] } });
  writeFileSync(
    registriesFile,
    stringify({
      mirrors: {
        "docker.io": { endpoint: [open.url] },
        "*": { endpoint: [open.url] },
        ...selfMirror(open),
        ...selfMirror(locked),
        ...selfMirror(secretOnly),
        [TLS_MIRRORED]: { endpoint: [secure.url] },
        // Written as users often do: no scheme (localhost on a port is plain HTTP, as in k3s) and the /v2 path.
        [SCHEMELESS_MIRRORED]: { endpoint: [`${open.host}/v2`] },
      },
      configs: {
        [locked.host]: { auth: CONFIG_CREDS },
        // No mirror entry: the registry is its own (HTTPS) server, trusted through its CA.
        [secure.host]: { auth: TLS_CREDS, tls: { ca_file: secure.caFile } },
      },
    }),
  );
  // busybox is not imported: the pods must pull it.
  node = await startFakeClusterAgent({
    nodeName: "registry-node",
    dataDir,
    privateRegistry: registriesFile,
    importBusybox: false,
  });
  fake = node.fake;
}, 90_000);

afterAll(async () => {
  await node?.cleanup();
  await Promise.all([open?.stop(), locked?.stop(), secretOnly?.stop(), secure?.stop()]);
}, 60_000);

const podsRef = inNamespace(pods, "default");
const make = (name: string, image: string, pullSecret?: string) => {
  const pod = podOnNode(node.config.nodeName, name, [busyboxContainer("c", ["sleep", "3600"], { image })]);
  if (pullSecret && pod.spec) pod.spec.imagePullSecrets = [{ name: pullSecret }];
  return pod;
};
const waitingOf = (p: Pod) => p.status?.containerStatuses?.[0]?.state?.waiting;

/** Waits until the pod's container waits with `reason`; returns the message it gives. */
async function waitWaiting(name: string, reason: string): Promise<string> {
  const p = await waitPod(fake.client, name, reason, (p) => waitingOf(p)?.reason === reason, 45_000);
  return waitingOf(p)?.message ?? "";
}

/** Waits for the pod to run; on timeout the error shows why it waits and the last requests the registry saw. */
async function waitRunning(name: string, r: Registry): Promise<Pod> {
  return waitPodRunning(fake.client, name, 60_000).catch(async (err) => {
    const waiting = waitingOf(await fake.client.get<Pod>(podsRef, name));
    const seen = (await r.requests()).slice(-15).join("\n");
    throw new Error(
      `${err.message}: ${waiting?.reason}: ${waiting?.message}\n--- last requests to ${r.host} ---\n${seen}`,
    );
  });
}
/** Whether the registry answered a request matching `pattern` (e.g. /"GET \/v2\/… HTTP\/1.1" 200/). */
const answered = async (r: Registry, pattern: RegExp) => (await r.requests()).some((line) => pattern.test(line));
/** Whether `r` resolved `repoTag` as the mirror of `registry` (containerd adds ?ns=<registry> to mirror requests). */
const resolvedAsMirror = (r: Registry, repoTag: string, registry: string) => {
  const [repo, tag] = repoTag.split(":");
  const esc = (s = "") => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return answered(r, new RegExp(`"HEAD /v2/${esc(repo)}/manifests/${esc(tag)}\\?ns=${esc(registry)} HTTP/1\\.1" 200`));
};

test("registries.yaml becomes containerd hosts.toml", () => {
  const certs = agentPaths(node.config.dataDir).containerdCertsDir;
  const dockerIo = readFileSync(join(certs, "docker.io/hosts.toml"), "utf8");
  expect(dockerIo).toContain(`server = "https://registry-1.docker.io"`);
  expect(dockerIo).toContain(`[host."${open.url}"]`);
  // A registry mirrored to itself over plain HTTP is its own server: no HTTPS fallback to the same host.
  const self = readFileSync(join(certs, open.host, "hosts.toml"), "utf8");
  expect(self).toContain(`server = "${open.url}"`);
  expect(self).toContain(`[host."${open.url}"]`);
  expect(self).not.toContain("https://");
});

test("a docker.io pod image is pulled through the plain-HTTP mirror and runs", async () => {
  await fake.client.create(podsRef, make("pulled", "docker.io/k3lite/regtest:1"));
  const p = await waitRunning("pulled", open);
  const status = p.status?.containerStatuses?.[0];
  expect(status?.imageID).toBe(`docker.io/k3lite/regtest@${await open.digest("k3lite/regtest:1")}`);
  expect(status?.image).toBe("docker.io/k3lite/regtest:1");
  // containerd fetched the layers from the mirror (it tags mirror requests with ?ns=<registry>).
  expect(
    await answered(open, /"GET \/v2\/k3lite\/regtest\/blobs\/sha256:[0-9a-f]+\?ns=docker\.io HTTP\/1\.1" 200/),
  ).toBe(true);
}, 90_000);

test.each([
  ["the '*' mirror serves registries that have no entry of their own", "wildcard", "anywhere.k3lite.test"],
  ["a mirror endpoint written without a scheme, with the /v2 path", "schemeless", SCHEMELESS_MIRRORED],
])(
  "%s",
  async (_what, name, registry) => {
    await fake.client.create(podsRef, make(name, `${registry}/k3lite/regtest:1`));
    await waitRunning(name, open);
    expect(await resolvedAsMirror(open, "k3lite/regtest:1", registry)).toBe(true);
  },
  90_000,
);

test("a missing image gives ErrImagePull, then ImagePullBackOff, with the registry's answer", async () => {
  const image = `${open.host}/k3lite/nope:1`;
  await fake.client.create(podsRef, make("missing", image));
  const pullError = await waitWaiting("missing", "ErrImagePull");
  expect(pullError).toContain(`"${image}"`);
  expect(pullError).toContain("not found");
  const backOff = await waitWaiting("missing", "ImagePullBackOff");
  expect(backOff).toContain(`Back-off pulling image "${image}"`);
  expect(backOff).toContain("not found");
  const p = await fake.client.get<Pod>(podsRef, "missing");
  expect(p.status?.phase).toBe("Pending");
  // The registry was asked, and answered 404.
  expect(await answered(open, /"(HEAD|GET) \/v2\/k3lite\/nope\/manifests\/1 HTTP\/1\.1" 404/)).toBe(true);
  // The kubelet's events, as `kubectl describe pod` shows them.
  const said = await waitFor(
    async () => {
      const lines = (await podEvents("missing")).map((e) => `${e.reason}: ${e.message}`);
      return lines.some((l) => l.startsWith("BackOff:")) ? lines : undefined;
    },
    "BackOff event",
    30_000,
  );
  expect(said).toContain(`Pulling: Pulling image "${image}"`);
  expect(said.some((l) => l.startsWith(`Failed: Failed to pull image "${image}": `) && l.includes("not found"))).toBe(
    true,
  );
  expect(said).toContain("Failed: Error: ErrImagePull");
  expect(said).toContain(`BackOff: Back-off pulling image "${image}"`);
  expect(said).toContain("Failed: Error: ImagePullBackOff");
}, 90_000);

async function podEvents(name: string): Promise<Event[]> {
  const list = await fake.client.list<Event>(inNamespace(events, "default"));
  return list.items.filter((e) => e.involvedObject?.name === name);
}

test("a registry that needs basic auth is pulled from with the credentials in registries.yaml", async () => {
  await fake.client.create(podsRef, make("with-config-auth", `${locked.host}/k3lite/private:1`));
  await waitRunning("with-config-auth", locked);
  // Answered only with the credentials (the layers are already in containerd from the first pull: same image).
  expect(await answered(locked, /"HEAD \/v2\/k3lite\/private\/manifests\/1 HTTP\/1\.1" 200/)).toBe(true);
}, 90_000);

test("imagePullSecrets: without the secret the pull is refused, with it the pod runs", async () => {
  const image = `${secretOnly.host}/k3lite/secret:1`;
  await fake.client.create(podsRef, make("no-secret", image));
  expect(await waitWaiting("no-secret", "ErrImagePull")).toContain("401 Unauthorized");

  const dockerConfig = {
    auths: {
      [secretOnly.host]: {
        username: SECRET_CREDS.username,
        password: SECRET_CREDS.password,
        auth: btoa(`${SECRET_CREDS.username}:${SECRET_CREDS.password}`),
      },
    },
  };
  const secret: Secret = {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name: "regcred", namespace: "default" },
    type: "kubernetes.io/dockerconfigjson",
    data: { ".dockerconfigjson": Buffer.from(JSON.stringify(dockerConfig)).toString("base64") },
  };
  await fake.client.create(inNamespace(secrets, "default"), secret);
  await fake.client.create(podsRef, make("with-secret", image, "regcred"));
  await waitRunning("with-secret", secretOnly);
}, 120_000);

test("an HTTPS registry with a self-signed certificate (configs tls.ca_file + auth), directly and as a mirror", async () => {
  const certs = agentPaths(node.config.dataDir).containerdCertsDir;
  expect(readFileSync(join(certs, secure.host, "hosts.toml"), "utf8")).toContain(
    `server = "${secure.url}"\nca = "${secure.caFile}"`,
  );
  await fake.client.create(podsRef, make("over-https", `${secure.host}/k3lite/tls:1`));
  await waitRunning("over-https", secure);
  await fake.client.create(podsRef, make("https-mirror", `${TLS_MIRRORED}/k3lite/tls:1`));
  await waitRunning("https-mirror", secure);
  expect(await resolvedAsMirror(secure, "k3lite/tls:1", TLS_MIRRORED)).toBe(true);
}, 120_000);
