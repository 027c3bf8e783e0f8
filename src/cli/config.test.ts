import { describe, expect, test } from "bun:test";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { toServerConfig } from "./commands/server.ts";
import { ConfigError, resolveFlags } from "./config.ts";
import { agentFlags, serverFlags } from "./flags.ts";

const env = { K3LITE_CONFIG: undefined } as Record<string, string | undefined>;

function configFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "k3lite-cfg-")), "config.yaml");
  writeFileSync(path, text);
  return path;
}
const emptyFile = configFile("");

describe("resolveFlags", () => {
  test("defaults follow k3s", () => {
    const cfg = toServerConfig(resolveFlags(serverFlags, ["--config", emptyFile], env));
    expect(cfg.httpsListenPort).toBe(6443);
    expect(cfg.clusterCidr).toBe("10.42.0.0/16");
    expect(cfg.serviceCidr).toBe("10.43.0.0/16");
    expect(cfg.clusterDns).toBe("10.43.0.10");
    expect(cfg.clusterDomain).toBe("cluster.local");
    expect(cfg.disableAgent).toBe(false);
    expect(cfg.secretsEncryption).toBe(true);
  });

  test("flags beat env, env beats the config file, the file beats defaults", () => {
    const file = configFile("https-listen-port: 7001\ncluster-domain: file.local\nnode-label:\n  - a=1\n  - b=2\n");
    const v = resolveFlags(serverFlags, ["--config", file, "--https-listen-port", "7003"], {
      K3LITE_HTTPS_LISTEN_PORT: "7002",
      K3LITE_CLUSTER_DOMAIN: "env.local",
    });
    const cfg = toServerConfig(v);
    expect(cfg.httpsListenPort).toBe(7003);
    expect(cfg.clusterDomain).toBe("env.local");
    expect(cfg.nodeLabels).toEqual(["a=1", "b=2"]);
  });

  test("repeatable flags collect every value; env lists split on commas", () => {
    const v = resolveFlags(serverFlags, ["--config", emptyFile, "--tls-san", "a.example", "--tls-san", "10.0.0.5"], {
      K3LITE_DISABLE: "traefik,servicelb",
    });
    expect(v["tls-san"]).toEqual(["a.example", "10.0.0.5"]);
    expect(v.disable).toEqual(["traefik", "servicelb"]);
  });

  test("an agent-only key in a shared config file is not an error for the server", () => {
    const file = configFile("server: https://10.0.0.1:6443\n");
    expect(() => resolveFlags(serverFlags, ["--config", file], env)).not.toThrow();
    expect(resolveFlags(agentFlags, ["--config", file], env).server).toBe("https://10.0.0.1:6443");
  });

  const bad: Array<[string, string[], Record<string, string>, RegExp]> = [
    ["unknown flag", ["--bogus"], {}, /unknown flag '--bogus'/],
    ["bad CIDR", ["--cluster-cidr", "10.0.0.0/99"], {}, /--cluster-cidr: "10.0.0.0\/99" is not a valid CIDR/],
    ["bad port", ["--https-listen-port", "70000"], {}, /--https-listen-port: "70000" is not a valid port/],
    ["bad port from env", [], { K3LITE_HTTPS_LISTEN_PORT: "x" }, /--https-listen-port: "x"/],
    ["bad taint", ["--node-taint", "oops"], {}, /--node-taint: "oops"/],
    ["bad log format", ["--log-format", "xml"], {}, /--log-format: "xml" must be one of text, json/],
    ["stray argument", ["extra"], {}, /unexpected argument "extra"/],
  ];
  for (const [what, argv, extraEnv, message] of bad) {
    test(`rejects ${what} with one clear message`, () => {
      expect(() => resolveFlags(serverFlags, ["--config", emptyFile, ...argv], { ...env, ...extraEnv })).toThrow(
        message,
      );
    });
  }

  test("config file problems name the file", () => {
    expect(() => resolveFlags(serverFlags, ["--config", join(tmpdir(), "k3lite-no-such.yaml")], env)).toThrow(
      ConfigError,
    );
    expect(() => resolveFlags(serverFlags, ["--config", configFile("foo: 1\n")], env)).toThrow(/unknown key "foo"/);
    expect(() => resolveFlags(serverFlags, ["--config", configFile("a: [\n")], env)).toThrow(
      /config file .*config.yaml/,
    );
    expect(() => resolveFlags(serverFlags, ["--config", configFile("- 1\n")], env)).toThrow(/expected a map/);
  });
});
