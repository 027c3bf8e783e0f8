import { expect, test } from "bun:test";
import type { Container, Pod } from "../../api/types.ts";
import { ConfigError, containerEnv, expandVars, kubernetesServiceEnv } from "./env.ts";
import type { ObjectReader } from "./refs.ts";

const reader: ObjectReader = {
  configMap: async (_ns, name) => (name === "cm" ? { data: { a: "1", b: "2" } } : undefined),
  secret: async (_ns, name) => (name === "s" ? { data: { pw: Buffer.from("hunter2").toString("base64") } } : undefined),
  get: async () => undefined,
};
const pod = {
  metadata: { name: "p", namespace: "ns", uid: "u1", labels: { app: "x" } },
  spec: { containers: [] },
} as Pod;

test("$(VAR) expansion: known names, $$ escapes, unknown references stay", () => {
  const vars = new Map([["A", "x"]]);
  expect(expandVars("$(A)-$(B)-$$(A)", vars)).toBe("x-$(B)-$(A)");
});

test("env: envFrom with prefix, literals, fieldRef, configMap/secret keys, resourceFieldRef", async () => {
  const c: Container = {
    name: "c",
    resources: { limits: { memory: "64Mi" } },
    envFrom: [{ configMapRef: { name: "cm" }, prefix: "CM_" }],
    env: [
      { name: "GREETING", value: "hi $(CM_a)" },
      { name: "POD", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
      { name: "APP", valueFrom: { fieldRef: { fieldPath: "metadata.labels['app']" } } },
      { name: "PW", valueFrom: { secretKeyRef: { name: "s", key: "pw" } } },
      { name: "MEM", valueFrom: { resourceFieldRef: { resource: "limits.memory", divisor: "1Mi" } } },
      { name: "OPT", valueFrom: { configMapKeyRef: { name: "cm", key: "zz", optional: true } } },
    ],
  };
  const env = await containerEnv(c, {
    pod,
    nodeIp: "192.0.2.1",
    dataDir: "/tmp",
    reader,
    serviceEnv: kubernetesServiceEnv("10.43.0.1"),
  });
  expect(env.get("CM_a")).toBe("1");
  expect(env.get("GREETING")).toBe("hi 1");
  expect(env.get("POD")).toBe("p");
  expect(env.get("APP")).toBe("x");
  expect(env.get("PW")).toBe("hunter2");
  expect(env.get("MEM")).toBe("64");
  expect(env.has("OPT")).toBe(false);
  expect(env.get("KUBERNETES_SERVICE_HOST")).toBe("10.43.0.1");
});

test("a missing ConfigMap key is a CreateContainerConfigError", async () => {
  const c: Container = { name: "c", env: [{ name: "X", valueFrom: { configMapKeyRef: { name: "cm", key: "nope" } } }] };
  await expect(containerEnv(c, { pod, nodeIp: "", dataDir: "/tmp", reader, serviceEnv: {} })).rejects.toBeInstanceOf(
    ConfigError,
  );
});
