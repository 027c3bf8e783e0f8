import { expect, test } from "bun:test";
import type { Pod, Secret } from "../../api/types.ts";
import { type CriClient, CriError } from "../cri/client.ts";
import type { AuthConfig } from "../cri/types.ts";
import { Backoff } from "./backoff.ts";
import { ensureImage, pullAuths, pullPolicy, registryOf, repositoryOf } from "./pull.ts";
import type { ObjectReader } from "./refs.ts";

const dockerConfigSecret = (auths: Record<string, { username: string; password: string }>): Secret => ({
  apiVersion: "v1",
  kind: "Secret",
  metadata: { name: "regcred", namespace: "default" },
  type: "kubernetes.io/dockerconfigjson",
  data: { ".dockerconfigjson": Buffer.from(JSON.stringify({ auths })).toString("base64") },
});

const readerWith = (secret?: Secret): ObjectReader => ({
  configMap: async () => undefined,
  secret: async (_ns, name) => (secret?.metadata?.name === name ? secret : undefined),
  get: async () => undefined,
});

const pod = (image: string, pullSecret?: string): Pod => ({
  metadata: { name: "p", namespace: "default", uid: "u1" },
  spec: { containers: [{ name: "c", image }], ...(pullSecret ? { imagePullSecrets: [{ name: pullSecret }] } : {}) },
});

test("pullPolicy: Always for :latest or untagged, else IfNotPresent, unless set", () => {
  expect(pullPolicy({ name: "c", image: "busybox" })).toBe("Always");
  expect(pullPolicy({ name: "c", image: "busybox:latest" })).toBe("Always");
  expect(pullPolicy({ name: "c", image: "127.0.0.1:5000/busybox" })).toBe("Always");
  expect(pullPolicy({ name: "c", image: "127.0.0.1:5000/busybox:1" })).toBe("IfNotPresent");
  expect(pullPolicy({ name: "c", image: "busybox@sha256:abc" })).toBe("IfNotPresent");
  expect(pullPolicy({ name: "c", image: "busybox", imagePullPolicy: "Never" })).toBe("Never");
});

test("repositoryOf / registryOf: normalized as the kubelet does (docker.io/library for bare names)", () => {
  expect(repositoryOf("busybox:1")).toBe("docker.io/library/busybox");
  expect(repositoryOf("k3lite/x@sha256:abc")).toBe("docker.io/k3lite/x");
  expect(repositoryOf("index.docker.io/k3lite/x:1")).toBe("docker.io/k3lite/x");
  expect(repositoryOf("127.0.0.1:5000/k3lite/x:1")).toBe("127.0.0.1:5000/k3lite/x");
  expect(registryOf("busybox:1")).toBe("docker.io");
  expect(registryOf("127.0.0.1:5000/k3lite/x:1")).toBe("127.0.0.1:5000");
  expect(registryOf("localhost/x")).toBe("localhost");
  expect(registryOf("quay.io/x/y")).toBe("quay.io");
});

const cred = (username: string) => ({ username, password: "pw" });

test("pullAuths: imagePullSecret entries matching the image, sent without serverAddress as the kubelet does", async () => {
  const secret = dockerConfigSecret({ "127.0.0.1:5000": cred("a"), "127.0.0.1:5001": cred("other-port") });
  const auths = await pullAuths(pod("127.0.0.1:5000/x:1", "regcred"), "127.0.0.1:5000/x:1", readerWith(secret));
  expect(auths).toEqual([{ username: "a", password: "pw", auth: undefined }]);
});

test("pullAuths: more specific keys first, host label wildcards, Docker Hub's index.docker.io", async () => {
  const secret = dockerConfigSecret({
    "quay.io": cred("org"),
    "https://quay.io/v2/team": cred("team"),
    "*.example.com": cred("wild"),
    "https://index.docker.io/v1/": cred("hub"),
  });
  const users = async (image: string) =>
    (await pullAuths(pod(image, "regcred"), image, readerWith(secret))).map((a) => a.username);
  expect(await users("quay.io/team/app:1")).toEqual(["team", "org"]);
  expect(await users("quay.io/other/app:1")).toEqual(["org"]);
  expect(await users("reg.example.com/app:1")).toEqual(["wild"]);
  expect(await users("a.b.example.com/app:1")).toEqual([]);
  expect(await users("busybox:1")).toEqual(["hub"]);
});

test("pullAuths: registries.yaml when no secret matches; nothing (anonymous) without either", async () => {
  const secret = dockerConfigSecret({ "127.0.0.1:5000": cred("a") });
  const registries = { mirrors: {}, configs: { "quay.io": { auth: { username: "q", password: "r" } } } };
  const fromYaml = await pullAuths(pod("quay.io/x/y:1", "regcred"), "quay.io/x/y:1", readerWith(secret), registries);
  expect(fromYaml).toEqual([expect.objectContaining({ username: "q", serverAddress: "https://quay.io" })]);
  expect(await pullAuths(pod("quay.io/x/y:1", "missing"), "quay.io/x/y:1", readerWith())).toEqual([]);
});

/**
 * A CRI whose image service has no images and whose pulls fail with `error` (unless made with the credentials
 * of `goodUser`), or succeed without it.
 */
function fakeCri(error?: string, goodUser?: string): CriClient & { pulls: (AuthConfig | undefined)[] } {
  const pulls: (AuthConfig | undefined)[] = [];
  return {
    pulls,
    imageStatus: async () => null,
    pullImage: async (_image: string, auth?: AuthConfig) => {
      pulls.push(auth);
      // As the CRI client reports a gRPC error: code 2 is Unknown, containerd's code for most pull failures.
      if (error && (!goodUser || auth?.username !== goodUser)) throw new CriError("PullImage", 2, error);
      return "sha256:ref";
    },
  } as unknown as CriClient & { pulls: (AuthConfig | undefined)[] };
}

test("a failed pull is ErrImagePull (worded as the kubelet does), then ImagePullBackOff naming that error", async () => {
  const cri = fakeCri("failed to resolve reference: not found");
  const backoff = new Backoff(60_000);
  const p = pod("127.0.0.1:5000/x:1");
  const c = p.spec?.containers[0] ?? { name: "c" };
  const first = await ensureImage(cri, p, c, readerWith(), backoff, "u1/c");
  expect(first).toEqual({
    ok: false,
    waiting: {
      reason: "ErrImagePull",
      message: "rpc error: code = Unknown desc = failed to resolve reference: not found",
    },
  });
  const second = await ensureImage(cri, p, c, readerWith(), backoff, "u1/c");
  expect(second).toEqual({
    ok: false,
    waiting: {
      reason: "ImagePullBackOff",
      message: `Back-off pulling image "127.0.0.1:5000/x:1": ErrImagePull: rpc error: code = Unknown desc = failed to resolve reference: not found`,
    },
  });
  expect(cri.pulls.length).toBe(1);
});

test("no pull while in back-off; a successful pull reports the image and clears the back-off", async () => {
  const backoff = new Backoff(60_000);
  const p = pod("127.0.0.1:5000/x:1");
  const c = p.spec?.containers[0] ?? { name: "c" };
  backoff.next("u1/c");
  expect((await ensureImage(fakeCri(), p, c, readerWith(), backoff, "u1/c")).ok).toBe(false);
  const fresh = new Backoff(60_000);
  expect(await ensureImage(fakeCri(), p, c, readerWith(), fresh, "u1/c")).toEqual({
    ok: true,
    imageRef: "sha256:ref",
    pulled: true,
  });
  expect(fresh.delayOf("u1/c")).toBe(0);
});

test("pull policy Never with the image absent is ErrImageNeverPull, without a pull", async () => {
  const cri = fakeCri();
  const p = pod("x:1");
  const c = { name: "c", image: "x:1", imagePullPolicy: "Never" };
  const r = await ensureImage(cri, p, c, readerWith(), new Backoff(), "u1/c");
  expect(r.ok ? "" : r.waiting.reason).toBe("ErrImageNeverPull");
  expect(cri.pulls.length).toBe(0);
});

test("each matching credential is tried in turn; all failing, every error is reported", async () => {
  const secret = dockerConfigSecret({ "quay.io/team": cred("team"), "quay.io": cred("org") });
  const p = pod("quay.io/team/app:1", "regcred");
  const c = p.spec?.containers[0] ?? { name: "c" };
  const secondWorks = fakeCri("401 Unauthorized", "org");
  const ok = await ensureImage(secondWorks, p, c, readerWith(secret), new Backoff(), "u1/c");
  expect(ok.ok).toBe(true);
  expect(secondWorks.pulls.map((a) => a?.username)).toEqual(["team", "org"]);

  const r = await ensureImage(fakeCri("401 Unauthorized"), p, c, readerWith(secret), new Backoff(), "u1/c");
  expect(r.ok ? "" : r.waiting.message).toBe(
    "[rpc error: code = Unknown desc = 401 Unauthorized, rpc error: code = Unknown desc = 401 Unauthorized]",
  );
});

test("an imagePullSecret that is not docker config JSON fails the pull with ErrImagePull, as upstream", async () => {
  const broken: Secret = { ...dockerConfigSecret({}), data: { ".dockerconfigjson": btoa("not json") } };
  const p = pod("quay.io/x/y:1", "regcred");
  const c = p.spec?.containers[0] ?? { name: "c" };
  const cri = fakeCri();
  const r = await ensureImage(cri, p, c, readerWith(broken), new Backoff(), "u1/c");
  expect(r.ok ? "" : r.waiting.reason).toBe("ErrImagePull");
  expect(cri.pulls.length).toBe(0);
});
