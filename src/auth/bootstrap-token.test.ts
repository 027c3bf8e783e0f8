import { expect, test } from "bun:test";
import {
  bootstrapTokenSecret,
  describeBootstrapToken,
  generateBootstrapToken,
  parseBootstrapToken,
  validateBootstrapToken,
} from "./bootstrap-token.ts";

test("generate/parse round trip; bad shapes are not bootstrap tokens", () => {
  const token = generateBootstrapToken();
  expect(parseBootstrapToken(`${token.id}.${token.secret}`)).toEqual(token);
  for (const bad of ["abc.def", "ABCDEF.0123456789abcdef", "abcdef.0123456789abcde", "abcdef0123456789abcdef", ""]) {
    expect(parseBootstrapToken(bad)).toBeUndefined();
  }
});

test("Secret shape and token list summary", () => {
  const now = new Date("2026-01-01T00:00:00Z");
  const token = { id: "abcdef", secret: "0123456789abcdef" };
  const secret = bootstrapTokenSecret({ token, ttlSeconds: 24 * 3600, description: "for rack 2", now });
  expect(secret.metadata).toEqual({ name: "bootstrap-token-abcdef", namespace: "kube-system" });
  expect(secret.type).toBe("bootstrap.kubernetes.io/token");
  expect(describeBootstrapToken(secret, now)).toEqual({
    token: "abcdef.0123456789abcdef",
    ttl: "24h",
    expires: "2026-01-02T00:00:00Z",
    usages: ["authentication", "signing"],
    description: "for rack 2",
    extraGroups: ["system:bootstrappers:k3lite:default-node-token"],
  });
  expect(describeBootstrapToken(secret, new Date("2026-01-03T00:00:00Z"))?.ttl).toBe("<invalid>");
  expect(describeBootstrapToken(bootstrapTokenSecret({ token }))?.ttl).toBe("<forever>");
});

test("validate: usage must be enabled; deleted or mistyped secrets are refused", () => {
  const token = { id: "abcdef", secret: "0123456789abcdef" };
  const signingOnly = bootstrapTokenSecret({ token, usages: ["signing"] });
  expect(validateBootstrapToken(token, signingOnly)).toHaveProperty("error");
  const ok = bootstrapTokenSecret({ token });
  expect(validateBootstrapToken(token, ok)).toHaveProperty("user");
  expect(validateBootstrapToken(token, { ...ok, type: "Opaque" })).toHaveProperty("error");
  expect(
    validateBootstrapToken(token, { ...ok, metadata: { ...ok.metadata, deletionTimestamp: "2026-01-01T00:00:00Z" } }),
  ).toHaveProperty("error");
  expect(validateBootstrapToken(token, undefined)).toHaveProperty("error");
});
