// kpt (shipped in the google-cloud-sdk beside the kubectl releases) is a client-go program like Helm: it reads
// discovery and the REST mapper, installs a CRD and waits for it, applies with server-side apply, tracks what it
// applied in an inventory object, watches status with kstatus, and prunes. Helm itself cannot be installed on these
// machines; kpt exercises the same client-library paths against a real `k3lite server`.

import { expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { useK3lite } from "./harness.ts";

const KPT = "/usr/lib/google-cloud-sdk/bin/kpt";
const k = useK3lite();

async function kpt(args: string[], cwd: string): Promise<string> {
  const proc = Bun.spawn([KPT, ...args], {
    cwd,
    env: { ...process.env, KUBECONFIG: k.kubeconfig, HOME: cwd },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  if (code !== 0) throw new Error(`kpt ${args.join(" ")} failed (${code}):\n${out}\n${err}`);
  return out;
}

const configMap = (name: string) => `apiVersion: v1
kind: ConfigMap
metadata: { name: ${name}, namespace: default }
data: { greeting: hello }
`;
const service = `apiVersion: v1
kind: Service
metadata: { name: kpt-web, namespace: default }
spec:
  selector: { app: kpt-web }
  ports: [{ port: 80, targetPort: 8080 }]
`;

test.skipIf(!existsSync(KPT))("kpt live: init, install its CRD, apply, prune and destroy", async () => {
  const pkg = await mkdtemp(join(tmpdir(), "k3lite-kpt-"));
  try {
    await writeFile(join(pkg, "Kptfile"), "apiVersion: kpt.dev/v1\nkind: Kptfile\nmetadata: { name: web }\n");
    await writeFile(join(pkg, "cm-a.yaml"), configMap("kpt-a"));
    await writeFile(join(pkg, "cm-b.yaml"), configMap("kpt-b"));
    await writeFile(join(pkg, "svc.yaml"), service);
    await kpt(["live", "init", "."], pkg);
    await kpt(["live", "install-resource-group"], pkg);
    const applied = await kpt(["live", "apply", "--reconcile-timeout=30s", "."], pkg);
    expect(applied).toContain("apply result: 3 attempted, 3 successful");
    expect(applied).toContain("reconcile result: 3 attempted, 3 successful");
    const names = await k.kubectl(["get", "configmaps,services", "-o", "name"]);
    expect(names.stdout).toContain("configmap/kpt-b");
    expect(names.stdout).toContain("service/kpt-web");

    // A file gone from the package: its object is pruned on the next apply.
    await rm(join(pkg, "cm-b.yaml"));
    const pruned = await kpt(["live", "apply", "--reconcile-timeout=30s", "."], pkg);
    expect(pruned).toContain("configmap/kpt-b prune successful");
    expect((await k.kubectl(["get", "configmap", "kpt-b"])).code).not.toBe(0);

    const destroyed = await kpt(["live", "destroy", "."], pkg);
    expect(destroyed).toContain("delete result: 2 attempted, 2 successful");
    const left = await k.kubectl(["get", "configmaps,services", "-o", "name"]);
    expect(left.stdout).not.toContain("kpt-");
  } finally {
    await rm(pkg, { recursive: true, force: true });
  }
});
