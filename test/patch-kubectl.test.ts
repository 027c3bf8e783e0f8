// PATCH through the real kubectl 1.32 against a real k3lite: the three patch types, client-side apply (twice,
// with a changed and a removed field), `kubectl diff`, and `kubectl edit` driven by KUBE_EDITOR.

import { beforeAll, describe, expect, test } from "bun:test";
import type { KubeObject } from "../src/api/types.ts";
import { deploymentManifest } from "../src/apiserver/patch/testing.ts";
import { type CommandResult, useK3lite } from "./harness.ts";

/** The test Deployment: nginx (with `env` lines under it) and a busybox sidecar. */
const deployment = (name: string, o: Parameters<typeof deploymentManifest>[1] = {}) =>
  deploymentManifest(name, { ...o, sidecar: true });

const k = useK3lite();

async function kubectl(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<string> {
  const r = await k.kubectl(args, opts);
  if (r.code !== 0)
    throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}\n--- server log ---\n${k.log().slice(-2000)}`);
  return r.stdout;
}

const failing = async (args: string[], stdin?: string): Promise<CommandResult> => {
  const r = await k.kubectl(args, { stdin });
  expect(r.code).not.toBe(0);
  return r;
};

const getJson = async (...args: string[]): Promise<KubeObject> =>
  JSON.parse(await kubectl(["get", ...args, "-o", "json"]));

const containers = (d: KubeObject) =>
  d.spec.template.spec.containers as {
    name: string;
    image: string;
    env?: unknown[];
  }[];

describe("kubectl patch", () => {
  beforeAll(async () => {
    await kubectl(["create", "-f", "-"], { stdin: deployment("patched") });
  });

  test("--type=json applies operations; a failed test op is refused and changes nothing", async () => {
    await kubectl([
      "patch",
      "deployment",
      "patched",
      "--type=json",
      "-p",
      '[{"op":"test","path":"/spec/replicas","value":2},{"op":"replace","path":"/spec/replicas","value":3}]',
    ]);
    expect((await getJson("deployment", "patched")).spec.replicas).toBe(3);
    const r = await failing([
      "patch",
      "deployment",
      "patched",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/replicas","value":9},{"op":"test","path":"/spec/replicas","value":7}]',
    ]);
    expect(r.stderr).toContain("testing value /spec/replicas failed");
    expect((await getJson("deployment", "patched")).spec.replicas).toBe(3);
  });

  test("--type=merge merges maps and replaces lists", async () => {
    await kubectl(["patch", "deployment", "patched", "--type=merge", "-p", '{"metadata":{"labels":{"tier":"web"}}}']);
    expect((await getJson("deployment", "patched")).metadata?.labels).toEqual({
      app: "patched",
      tier: "web",
    });
  });

  test("--type=strategic (the default) merges containers by name and deletes with $patch", async () => {
    await kubectl([
      "patch",
      "deployment",
      "patched",
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27","env":[{"name":"A","value":"1"}]}]}}}}',
    ]);
    let d = await getJson("deployment", "patched");
    expect(containers(d).map((c) => [c.name, c.image])).toEqual([
      ["nginx", "nginx:1.27"],
      ["sidecar", "busybox"],
    ]);
    await kubectl([
      "patch",
      "deployment",
      "patched",
      "--type=strategic",
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","$patch":"delete"}]}}}}',
    ]);
    d = await getJson("deployment", "patched");
    expect(containers(d).map((c) => c.name)).toEqual(["nginx"]);
    expect(containers(d)[0].env).toEqual([{ name: "A", value: "1" }]);
  });
});

describe("kubectl apply (client-side)", () => {
  test("a second apply changes a field and removes the ones dropped from the manifest", async () => {
    const env = '        env: [{name: A, value: "1"}]\n';
    expect(
      await kubectl(["apply", "-f", "-"], {
        stdin: deployment("csa", { labels: ", tier: front", env }),
      }),
    ).toContain("created");
    let d = await getJson("deployment", "csa");
    expect(d.metadata?.labels).toEqual({ app: "csa", tier: "front" });
    expect(d.metadata?.annotations?.["kubectl.kubernetes.io/last-applied-configuration"]).toBeDefined();
    expect(
      await kubectl(["apply", "-f", "-"], {
        stdin: deployment("csa", { replicas: 3 }),
      }),
    ).toContain("configured");
    d = await getJson("deployment", "csa");
    expect(d.spec.replicas).toBe(3);
    expect(d.metadata?.labels).toEqual({ app: "csa" });
    expect(containers(d).map((c) => c.name)).toEqual(["nginx", "sidecar"]);
    expect(containers(d)[0].env).toBeUndefined();
    expect(
      await kubectl(["apply", "-f", "-"], {
        stdin: deployment("csa", { replicas: 3 }),
      }),
    ).toContain("unchanged");
  });
});

test("client-side apply switches the rollout strategy and a volume's source ($retainKeys)", async () => {
  const manifest = (strategy: string, volume: string, ports: string) => `apiVersion: apps/v1
kind: Deployment
metadata: {name: retained, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: retained}}
  strategy: ${strategy}
  template:
    metadata: {labels: {app: retained}}
    spec:
      volumes: [{name: data, ${volume}}]
      containers:
      - name: nginx
        image: nginx:1.25
        ports: ${ports}
        volumeMounts: [{name: data, mountPath: /data}]
`;
  await kubectl(["apply", "-f", "-"], {
    stdin: manifest(
      "{type: RollingUpdate, rollingUpdate: {maxSurge: 1}}",
      "emptyDir: {}",
      "[{containerPort: 80}, {containerPort: 443}]",
    ),
  });
  await kubectl(["apply", "-f", "-"], {
    stdin: manifest("{type: Recreate}", "hostPath: {path: /tmp}", "[{containerPort: 443}, {containerPort: 8080}]"),
  });
  const d = await getJson("deployment", "retained");
  expect(d.spec.strategy).toEqual({ type: "Recreate" });
  expect(d.spec.template.spec.volumes).toEqual([{ name: "data", hostPath: { path: "/tmp" } }]);
  expect(d.spec.template.spec.containers[0].ports.map((p: { containerPort: number }) => p.containerPort)).toEqual([
    443, 8080,
  ]);
});

describe("kubectl diff and edit", () => {
  beforeAll(async () => {
    await kubectl(["apply", "-f", "-"], { stdin: deployment("edited") });
  });

  test("diff shows the change a manifest would make (exit 1) and nothing for the live state (exit 0)", async () => {
    const r = await k.kubectl(["diff", "-f", "-"], {
      stdin: deployment("edited", { replicas: 5 }),
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("-  replicas: 2");
    expect(r.stdout).toContain("+  replicas: 5");
    const same = await k.kubectl(["diff", "-f", "-"], {
      stdin: deployment("edited"),
    });
    expect(same.stderr).toBe("");
    expect(same.code).toBe(0);
    expect((await getJson("deployment", "edited")).spec.replicas).toBe(2);
  });

  test("edit saves what the editor changed", async () => {
    await kubectl(["edit", "deployment", "edited"], {
      env: { KUBE_EDITOR: "sed -i -e s/nginx:1.25/nginx:1.26/", EDITOR: "" },
    });
    const d = await getJson("deployment", "edited");
    expect(containers(d)[0].image).toBe("nginx:1.26");
  });
});
