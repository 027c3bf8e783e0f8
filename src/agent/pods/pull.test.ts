import { expect, test } from "bun:test";
import type { Pod, Secret } from "../../api/types.ts";
import type { CriClient } from "../cri/client.ts";
import type { AuthConfig } from "../cri/types.ts";
import { Backoff } from "./backoff.ts";
import { ensureImage, pullAuth, pullPolicy, registryOf } from "./pull.ts";
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

test("registryOf: the first path segment when it names a host, else docker.io", () => {
  expect(registryOf("busybox:1")).toBe("docker.io");
  expect(registryOf("library/busybox:1")).toBe("docker.io");
  expect(registryOf("127.0.0.1:5000/k3lite/x:1")).toBe("127.0.0.1:5000");
  expect(registryOf("localhost/x")).toBe("localhost");
  expect(registryOf("quay.io/x/y")).toBe("quay.io");
});

test("pullAuth: an imagePullSecret for the image's registry, sent without serverAddress as the kubelet does", async () => {
  const secret = dockerConfigSecret({ "127.0.0.1:5000": { username: "a", password: "b" } });
  const auth = await pullAuth(pod("127.0.0.1:5000/x:1", "regcred"), "127.0.0.1:5000/x:1", readerWith(secret));
  expect(auth).toEqual({ username: "a", password: "b", auth: undefined });
  // Docker Hub's many names match each other.
  const hub = dockerConfigSecret({ "https://index.docker.io/v1/": { username: "h", password: "i" } });
  expect((await pullAuth(pod("busybox:1", "regcred"), "busybox:1", readerWith(hub)))?.username).toBe("h");
  // Another registry's entry does not apply; registries.yaml does.
  const registries = { mirrors: {}, configs: { "quay.io": { auth: { username: "q", password: "r" } } } };
  const fromYaml = await pullAuth(pod("quay.io/x/y:1", "regcred"), "quay.io/x/y:1", readerWith(secret), registries);
  expect(fromYaml).toMatchObject({ username: "q", serverAddress: "https://quay.io" });
  expect(await pullAuth(pod("quay.io/x/y:1", "missing"), "quay.io/x/y:1", readerWith())).toBeUndefined();
});

/** A CRI whose image service has no images and whose pulls fail with `error`, or succeed without it. */
function fakeCri(error?: string): CriClient & { pulls: (AuthConfig | undefined)[] } {
  const pulls: (AuthConfig | undefined)[] = [];
  return {
    pulls,
    imageStatus: async () => null,
    pullImage: async (_image: string, auth?: AuthConfig) => {
      pulls.push(auth);
      if (error) throw new Error(error);
      return "sha256:ref";
    },
  } as unknown as CriClient & { pulls: (AuthConfig | undefined)[] };
}

test("a failed pull is ErrImagePull, then ImagePullBackOff naming that error, until the back-off ends", async () => {
  const cri = fakeCri("failed to resolve reference: not found");
  const backoff = new Backoff(60_000);
  const p = pod("127.0.0.1:5000/x:1");
  const c = p.spec?.containers[0] ?? { name: "c" };
  const first = await ensureImage(cri, p, c, readerWith(), backoff, "u1/c");
  expect(first).toEqual({
    ok: false,
    waiting: {
      reason: "ErrImagePull",
      message: `failed to pull image "127.0.0.1:5000/x:1": failed to resolve reference: not found`,
    },
  });
  const second = await ensureImage(cri, p, c, readerWith(), backoff, "u1/c");
  expect(second).toEqual({
    ok: false,
    waiting: {
      reason: "ImagePullBackOff",
      message: `Back-off pulling image "127.0.0.1:5000/x:1": ErrImagePull: failed to pull image "127.0.0.1:5000/x:1": failed to resolve reference: not found`,
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
