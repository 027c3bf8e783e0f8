// Real kubectl 1.32 against a real `k3lite server` process: discovery, create/apply (client-side and
// server-side), get in every output form, label/annotate/scale/patch, typed-client creates (protobuf bodies),
// auth whoami/can-i, watch, deletion semantics and the error messages kubectl prints.

import { describe, expect, test } from "bun:test";
import { useK3lite, waitFor } from "./harness.ts";

const k = useK3lite();

async function ok(args: string[], stdin?: string): Promise<string> {
  const r = await k.kubectl(args, { stdin });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

const MANIFEST = `apiVersion: v1
kind: Namespace
metadata:
  name: demo
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: demo
  labels: {app: web}
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: nginx
        image: nginx:1.25
        ports: [{containerPort: 80}]
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: demo
spec:
  type: NodePort
  selector: {app: web}
  ports: [{port: 80}]
`;

describe("kubectl against k3lite", () => {
  test("discovery: api-resources, api-versions, explain", async () => {
    const resources = await ok(["api-resources"]);
    for (const line of ["pods", "deployments", "customresourcedefinitions", "leases", "clusterroles"])
      expect(resources).toContain(line);
    expect(resources).toMatch(/deployments\s+deploy\s+apps\/v1\s+true\s+Deployment/);
    const versions = await ok(["api-versions"]);
    expect(versions).toContain("apps/v1");
    expect(versions).toContain("rbac.authorization.k8s.io/v1");
    expect(await ok(["explain", "deployment.spec.strategy"])).toContain("DeploymentStrategy");
  });

  test("system namespaces and the kubernetes Service exist on first start", async () => {
    const ns = await ok(["get", "ns", "-o", "jsonpath={.items[*].metadata.name}"]);
    for (const name of ["default", "kube-system", "kube-public", "kube-node-lease"]) expect(ns).toContain(name);
    expect(await ok(["get", "svc", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"])).toBe("10.43.0.1");
    // kube-dns holds the cluster DNS IP (pods' nameserver), as k3s's CoreDNS Service does.
    expect(await ok(["get", "svc", "-n", "kube-system", "kube-dns", "-o", "jsonpath={.spec.clusterIP}"])).toBe(
      "10.43.0.10",
    );
    // The default IngressClass, as k3s has Traefik's.
    expect(await ok(["get", "ingressclass", "-o", "jsonpath={.items[*].metadata.name}"])).toBe("k3lite");
    // The API server publishes its own address behind the selectorless Service.
    expect(
      await ok([
        "get",
        "endpoints",
        "kubernetes",
        "-o",
        "jsonpath={.subsets[0].addresses[0].ip}:{.subsets[0].ports[0].port}",
      ]),
    ).toBe(`127.0.0.1:${k.port}`);
    expect(await ok(["get", "endpointslice", "kubernetes", "-o", "jsonpath={.endpoints[0].addresses[0]}"])).toBe(
      "127.0.0.1",
    );
  });

  test("apply a multi-document YAML, client-side then server-side, and get it back in every form", async () => {
    expect(await ok(["apply", "-f", "-"], MANIFEST)).toContain("deployment.apps/web created");
    expect(await ok(["apply", "-f", "-"], MANIFEST)).toContain("deployment.apps/web unchanged");
    expect(await ok(["apply", "--server-side", "-f", "-"], MANIFEST)).toContain("serverside-applied");

    const table = await ok(["get", "deploy", "-n", "demo"]);
    expect(table).toMatch(/NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE/);
    // Controllers may already be at work: READY counts from 0 to 2, never beyond.
    expect(table).toMatch(/web\s+[0-2]\/2\s+\d+\s+\d+\s+\d+s/);
    expect(await ok(["get", "deploy", "-n", "demo", "-o", "wide"])).toMatch(
      /CONTAINERS\s+IMAGES\s+SELECTOR[\s\S]*nginx\s+nginx:1.25\s+app=web/,
    );
    const svc = await ok(["get", "svc", "web", "-n", "demo"]);
    expect(svc).toMatch(/web\s+NodePort\s+10\.43\.\d+\.\d+\s+<none>\s+80:3\d{4}\/TCP/);
    const obj = JSON.parse(await ok(["get", "deploy", "web", "-n", "demo", "-o", "json"]));
    expect(obj.metadata.generation).toBe(1);
    expect(obj.spec.strategy.rollingUpdate.maxSurge).toBe("25%");
    expect(obj.spec.template.spec.containers[0].imagePullPolicy).toBe("IfNotPresent");
    expect(await ok(["get", "deploy", "web", "-n", "demo", "-o", "yaml"])).toContain("kind: Deployment");
    expect(
      await ok([
        "get",
        "deploy",
        "-n",
        "demo",
        "-o",
        "custom-columns=N:.metadata.name,R:.spec.replicas",
        "--no-headers",
      ]),
    ).toMatch(/web\s+2/);
    expect(await ok(["get", "deploy,svc", "-A", "-o", "name"])).toContain("service/kubernetes");
  });

  test("label, annotate, scale and the three patch types bump generation only on spec changes", async () => {
    await ok(["label", "deploy", "web", "-n", "demo", "tier=fe"]);
    await ok(["annotate", "deploy", "web", "-n", "demo", "note=hi"]);
    expect(await ok(["get", "deploy", "-n", "demo", "-l", "tier=fe", "-o", "name"])).toContain("deployment.apps/web");
    expect(await ok(["get", "deploy", "-n", "demo", "-l", "tier!=fe", "-o", "name"])).toBe("");
    expect(await ok(["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.metadata.generation}"])).toBe("1");
    await ok(["scale", "deploy", "web", "-n", "demo", "--replicas=3"]);
    expect(
      await ok(["get", "deploy", "web", "-n", "demo", "-o", "jsonpath={.spec.replicas} {.metadata.generation}"]),
    ).toBe("3 2");
    await ok(["patch", "deploy", "web", "-n", "demo", "--type=merge", "-p", '{"spec":{"replicas":4}}']);
    await ok([
      "patch",
      "deploy",
      "web",
      "-n",
      "demo",
      "--type=json",
      "-p",
      '[{"op":"replace","path":"/spec/replicas","value":5}]',
    ]);
    await ok([
      "patch",
      "deploy",
      "web",
      "-n",
      "demo",
      "-p",
      '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.26"}]}}}}',
    ]);
    const d = JSON.parse(await ok(["get", "deploy", "web", "-n", "demo", "-o", "json"]));
    expect(d.spec.replicas).toBe(5);
    expect(d.spec.template.spec.containers).toHaveLength(1);
    expect(d.spec.template.spec.containers[0].image).toBe("nginx:1.26");
    expect(d.spec.template.spec.containers[0].ports[0].containerPort).toBe(80);
    expect(d.metadata.labels.tier).toBe("fe");
  });

  test("typed-client creates (protobuf bodies): configmap, secret, deployment, job, service", async () => {
    expect(await ok(["create", "configmap", "c1", "--from-literal=a=b"])).toContain("configmap/c1 created");
    expect(await ok(["create", "secret", "generic", "s1", "--from-literal=x=y"])).toContain("secret/s1 created");
    expect(await ok(["get", "cm", "c1", "-o", "jsonpath={.data.a}"])).toBe("b");
    expect(Buffer.from(await ok(["get", "secret", "s1", "-o", "jsonpath={.data.x}"]), "base64").toString()).toBe("y");
    await ok(["create", "deployment", "d2", "--image=busybox:1.36", "--replicas=0"]);
    expect(
      await ok(["get", "deploy", "d2", "-o", "jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image}"]),
    ).toBe("0 busybox:1.36");
    await ok(["create", "job", "j1", "--image=busybox", "--", "echo", "hi"]);
    expect(await ok(["get", "job", "j1", "-o", "jsonpath={.spec.template.spec.restartPolicy}"])).toBe("Never");
    await ok(["create", "service", "clusterip", "s2", "--tcp=80:8080"]);
    expect(await ok(["get", "svc", "s2", "-o", "jsonpath={.spec.ports[0].targetPort}"])).toBe("8080");
  });

  test("auth whoami and can-i, with impersonation checked by RBAC", async () => {
    expect(await ok(["auth", "whoami"])).toMatch(/system:admin[\s\S]*system:masters/);
    expect((await ok(["auth", "can-i", "create", "pods"])).trim()).toBe("yes");
    await ok(["create", "role", "pod-reader", "--verb=get", "--resource=pods"]);
    await ok(["create", "rolebinding", "bob-reads", "--role=pod-reader", "--user=bob"]);
    expect((await ok(["auth", "can-i", "get", "pods", "--as=bob"])).trim()).toBe("yes");
    const denied = await k.kubectl(["auth", "can-i", "delete", "pods", "--as=bob"]);
    expect(denied.stdout.trim()).toBe("no");
    const list = await k.kubectl(["get", "pods", "--as=bob"]);
    expect(list.code).not.toBe(0);
    expect(list.stderr).toContain(
      'pods is forbidden: User "bob" cannot list resource "pods" in API group "" in the namespace "default"',
    );
  });

  test("create token (TokenRequest) gives a token the server accepts", async () => {
    await ok(["create", "serviceaccount", "robot"]);
    const token = (await ok(["create", "token", "robot"])).trim();
    const whoami = await ok([
      "auth",
      "whoami",
      "--kubeconfig=/dev/null",
      `--server=${k.url}`,
      "--insecure-skip-tls-verify",
      `--token=${token}`,
    ]);
    expect(whoami).toContain("system:serviceaccount:default:robot");
    expect((await k.kubectl(["create", "token", "nobody"])).stderr).toContain('serviceaccounts "nobody" not found');
  });

  test("get -w receives a change", async () => {
    await ok(["create", "configmap", "watched", "--from-literal=a=1"]);
    const proc = Bun.spawn(
      ["/usr/bin/kubectl", "get", "cm", "watched", "-w", "-o", 'jsonpath={.metadata.labels.stage}{"\\n"}'],
      {
        env: { ...process.env, KUBECONFIG: k.kubeconfig },
        stdout: "pipe",
        stderr: "pipe",
      },
    );
    const reader = proc.stdout.getReader();
    let seen = "";
    const reading = (async () => {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        seen += new TextDecoder().decode(value);
      }
    })();
    try {
      // Label repeatedly until the watcher has reported it: the watch may start after the first change.
      let n = 0;
      await waitFor(
        async () => {
          await ok(["label", "cm", "watched", `stage=s${++n}`, "--overwrite"]);
          return /s\d+/.test(seen);
        },
        20_000,
        "kubectl get -w to print the change",
      );
    } finally {
      proc.kill();
      await reading.catch(() => {});
    }
  });

  test("malformed and invalid input gets kubectl's familiar errors", async () => {
    const strict = await k.kubectl(["apply", "-f", "-"], {
      stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bad\n  bogus: 1\n",
    });
    expect(strict.code).not.toBe(0);
    expect(strict.stderr).toContain('strict decoding error: unknown field "metadata.bogus"');
    const name = await k.kubectl(["create", "-f", "-"], {
      stdin: "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: BadName\n",
    });
    expect(name.stderr).toContain('The ConfigMap "BadName" is invalid: metadata.name: Invalid value: "BadName"');
    const long = await k.kubectl(["create", "configmap", "x".repeat(254)]);
    expect(long.stderr).toContain("must be no more than 253 characters");
    const exists = await k.kubectl(["create", "configmap", "c1"]);
    expect(exists.stderr).toContain('configmaps "c1" already exists');
    const pod = await k.kubectl(["create", "-f", "-"], {
      stdin:
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - {name: a, image: busybox}\n  - {name: a, image: busybox}\n  restartPolicy: Sometimes\n",
    });
    expect(pod.stderr).toContain('The Pod "p" is invalid');
    expect(pod.stderr).toContain('spec.containers[1].name: Duplicate value: "a"');
    expect(pod.stderr).toContain('spec.restartPolicy: Unsupported value: "Sometimes"');
    const wrongKind = await k.kubectl(["create", "--raw", "/api/v1/namespaces/default/configmaps", "-f", "-"], {
      stdin: '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"x"}}',
    });
    expect(wrongKind.stderr).toContain("BadRequest");
    const brokenYaml = await k.kubectl(["create", "--raw", "/api/v1/namespaces/default/configmaps", "-f", "-"], {
      stdin: "{ this is: [not json",
    });
    expect(brokenYaml.code).not.toBe(0);
    const missing = await k.kubectl(["get", "deploy", "nope"]);
    expect(missing.stderr).toContain('deployments.apps "nope" not found');
  });

  test("deletion: immediate, finalizers, unbound pods at once, namespaces to Terminating", async () => {
    expect(await ok(["delete", "configmap", "c1"])).toContain('configmap "c1" deleted');
    // A pod bound to a node waits for its agent; --grace-period shortens the wait, --force ends it.
    await ok(
      ["create", "-f", "-"],
      "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bound\nspec:\n  nodeName: elsewhere\n  containers: [{name: c, image: busybox}]\n",
    );
    await ok(["delete", "pod", "bound", "--grace-period=5", "--wait=false"]);
    expect(await ok(["get", "pod", "bound", "-o", "jsonpath={.metadata.deletionGracePeriodSeconds}"])).toBe("5");
    expect(await ok(["get", "pod", "bound"])).toContain("Terminating");
    await ok(["delete", "pod", "bound", "--grace-period=0", "--force"]);
    expect((await k.kubectl(["get", "pod", "bound"])).stderr).toContain('pods "bound" not found');
    await ok(["run", "p1", "--image=busybox"]);
    expect(await ok(["describe", "pod", "p1"])).toMatch(/Name:\s+p1[\s\S]*Containers:[\s\S]*busybox/);
    await ok(["delete", "pod", "p1", "--wait=false"]);
    expect((await k.kubectl(["get", "pod", "p1"])).stderr).toContain('pods "p1" not found');
    // A finalizer holds an object (deletionTimestamp set) until it is removed; removing the last one deletes it.
    await ok(
      ["create", "-f", "-"],
      "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: held\n  finalizers: [example.com/hold]\n",
    );
    await ok(["delete", "cm", "held", "--wait=false"]);
    expect(await ok(["get", "cm", "held", "-o", "jsonpath={.metadata.deletionTimestamp}"])).toMatch(/^\d{4}-/);
    await ok(["patch", "cm", "held", "--type=json", "-p", '[{"op":"remove","path":"/metadata/finalizers"}]']);
    expect((await k.kubectl(["get", "cm", "held"])).stderr).toContain('configmaps "held" not found');
    // A namespace whose spec.finalizers nobody clears stays Terminating and refuses new content.
    await ok(
      ["create", "-f", "-"],
      "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: stuck\nspec:\n  finalizers: [example.com/hold]\n",
    );
    await ok(["delete", "ns", "stuck", "--wait=false"]);
    expect(await ok(["get", "ns", "stuck", "-o", "jsonpath={.status.phase}"])).toBe("Terminating");
    const refused = await k.kubectl(["create", "configmap", "late", "-n", "stuck"]);
    expect(refused.stderr).toContain("because it is being terminated");
  });
});
