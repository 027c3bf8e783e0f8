import { expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  hostsToml,
  loadRegistries,
  normalizeEndpoint,
  type Registries,
  registryAuth,
  writeRegistryHosts,
} from "./registries.ts";

const registries: Registries = {
  mirrors: {
    "docker.io": { endpoint: ["http://127.0.0.1:5000", "mirror.example.com"] },
    "127.0.0.1:5000": { endpoint: ["http://127.0.0.1:5000"] },
    "*": { endpoint: ["https://fallback.example.com"] },
  },
  configs: {
    "mirror.example.com": { auth: { username: "u", password: "p" }, tls: { ca_file: "/ca.pem" } },
    "secure.example.com": { tls: { insecure_skip_verify: true } },
  },
};

test("mirrors are tried in order before the registry's own server (Docker Hub's real host)", () => {
  const toml = hostsToml("docker.io", registries);
  expect(toml).toContain(`server = "https://registry-1.docker.io"`);
  const plain = toml.indexOf(`[host."http://127.0.0.1:5000"]`);
  const tls = toml.indexOf(`[host."https://mirror.example.com"]`);
  expect(plain).toBeGreaterThan(0);
  expect(tls).toBeGreaterThan(plain);
  // configs apply per endpoint host
  expect(toml.slice(tls)).toContain(`ca = "/ca.pem"`);
});

test("an endpoint on the registry's own host is also its server (plain HTTP, no https fallback)", () => {
  const toml = hostsToml("127.0.0.1:5000", registries);
  expect(toml).toContain(`server = "http://127.0.0.1:5000"`);
  expect(toml).toContain(`[host."http://127.0.0.1:5000"]`);
  expect(toml).not.toContain("https://");
});

test("a host only under configs is its own [host] (containerd 1.6 ignores a file without one), TLS on both", () => {
  const toml = hostsToml("secure.example.com", registries);
  expect(toml).toContain(`server = "https://secure.example.com"\nskip_verify = true`);
  expect(toml).toContain(
    `[host."https://secure.example.com"]\n  capabilities = ["pull", "resolve"]\n  skip_verify = true`,
  );
});

test("writeRegistryHosts writes one hosts.toml per host, '*' as _default, and drops stale ones", () => {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-certs-"));
  try {
    writeFileSync(join(dir, "stale"), "");
    writeRegistryHosts(dir, registries);
    expect(readFileSync(join(dir, "_default/hosts.toml"), "utf8")).toContain(`[host."https://fallback.example.com"]`);
    expect(readFileSync(join(dir, "_default/hosts.toml"), "utf8")).not.toContain("server =");
    expect(readFileSync(join(dir, "127.0.0.1:5000/hosts.toml"), "utf8")).toContain("server =");
    expect(() => readFileSync(join(dir, "stale"))).toThrow();
    writeRegistryHosts(dir, { mirrors: { "*": { endpoint: [] } }, configs: {} });
    expect(() => readFileSync(join(dir, "_default/hosts.toml"))).toThrow();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("registryAuth: the first configured endpoint's credentials, bound to that host by a URL serverAddress", () => {
  // containerd parses serverAddress as a URL and compares its host with the host it contacts.
  expect(registryAuth(registries, "docker.io")).toEqual({
    username: "u",
    password: "p",
    auth: undefined,
    identityToken: undefined,
    serverAddress: "https://mirror.example.com",
  });
  const hub = registryAuth({ mirrors: {}, configs: { "docker.io": { auth: { auth: "dTpw" } } } }, "docker.io");
  expect(hub?.serverAddress).toBe("https://registry-1.docker.io");
  expect(registryAuth(registries, "quay.io")).toBeUndefined();
});

test("loadRegistries: a missing file is no registries", () => {
  expect(loadRegistries("/nonexistent/registries.yaml")).toEqual({ mirrors: {}, configs: {} });
});

test("normalizeEndpoint: k3s's defaults for a missing scheme, /v2 as the default path, any other path as written", () => {
  expect(normalizeEndpoint("127.0.0.1:5000")).toEqual({ url: "http://127.0.0.1:5000", overridePath: false });
  expect(normalizeEndpoint("localhost:443")).toEqual({ url: "https://localhost:443", overridePath: false });
  expect(normalizeEndpoint("localhost")).toEqual({ url: "https://localhost", overridePath: false });
  expect(normalizeEndpoint("mirror.example.com:5000/v2/")).toEqual({
    url: "https://mirror.example.com:5000",
    overridePath: false,
  });
  expect(normalizeEndpoint("http://mirror.example.com/")).toEqual({
    url: "http://mirror.example.com",
    overridePath: false,
  });
  expect(normalizeEndpoint("https://harbor.example.com/v2/proxy-docker")).toEqual({
    url: "https://harbor.example.com/v2/proxy-docker",
    overridePath: true,
  });
});

test("a mirror endpoint with its own API path gets override_path", () => {
  const toml = hostsToml("docker.io", {
    mirrors: { "docker.io": { endpoint: ["https://h.example.com/v2/hub"] } },
    configs: {},
  });
  expect(toml).toContain(
    `[host."https://h.example.com/v2/hub"]\n  capabilities = ["pull", "resolve"]\n  override_path = true`,
  );
});
