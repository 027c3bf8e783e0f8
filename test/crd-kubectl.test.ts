// A CustomResourceDefinition's whole life with the real kubectl against a real k3lite API server over HTTPS:
// apply, Established, api-resources, explain, create/get/patch of custom resources, printer columns,
// 422 validation with field causes, strict unknown fields, the status subresource, deletion.

import { describe, expect, test } from "bun:test";
import { useTestServer } from "../src/apiserver/openapi/testing/kubectl.ts";

const kubectl = useTestServer();

const crdYaml = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: crontabs.stable.example.com
spec:
  group: stable.example.com
  scope: Namespaced
  names:
    plural: crontabs
    singular: crontab
    kind: CronTab
    shortNames: [ct]
  versions:
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale:
        specReplicasPath: .spec.replicas
        statusReplicasPath: .status.replicas
    selectableFields:
    - jsonPath: .spec.image
    additionalPrinterColumns:
    - name: Spec
      type: string
      jsonPath: .spec.cronSpec
    - name: Replicas
      type: integer
      jsonPath: .spec.replicas
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            description: The desired schedule of the cron tab.
            required: [cronSpec]
            properties:
              cronSpec:
                type: string
                description: A cron expression.
              image:
                type: string
              replicas:
                type: integer
                minimum: 1
                maximum: 10
                default: 1
          status:
            type: object
            properties:
              lastRun:
                type: string
              replicas:
                type: integer
`;

const crontab = (name: string, spec: string) => `apiVersion: stable.example.com/v1
kind: CronTab
metadata:
  name: ${name}
  namespace: default
spec:
${spec}
`;

describe("CRD lifecycle with kubectl", () => {
  test("apply the CRD and wait for Established", async () => {
    const applied = await kubectl.withFile("apply", crdYaml);
    expect(applied.err).toBe("");
    expect(applied.out).toContain("customresourcedefinition.apiextensions.k8s.io/crontabs.stable.example.com created");
    const waited = await kubectl(
      "wait",
      "--for=condition=Established",
      "crd/crontabs.stable.example.com",
      "--timeout=30s",
    );
    expect(waited.out).toContain("condition met");
  });

  test("api-resources lists it; explain reads its schema", async () => {
    const resources = await kubectl("api-resources", "--api-group=stable.example.com");
    expect(resources.out).toMatch(/crontabs\s+ct\s+stable\.example\.com\/v1\s+true\s+CronTab/);
    const explained = await kubectl("explain", "crontab.spec");
    expect(explained.out).toContain("The desired schedule of the cron tab.");
    expect(explained.out).toContain("cronSpec\t<string> -required-");
  });

  test("create, get with printer columns, patch", async () => {
    const created = await kubectl.withFile(
      "apply",
      crontab("my-tab", "  cronSpec: '* * * * */5'\n  image: my-cron-image"),
    );
    expect(created.err).toBe("");
    expect(created.out).toContain("crontab.stable.example.com/my-tab created");
    const table = await kubectl("get", "crontabs");
    expect(table.out).toMatch(/^NAME\s+SPEC\s+REPLICAS\s+AGE\n/);
    expect(table.out).toMatch(/my-tab\s+\* \* \* \* \*\/5\s+1\s+\d+s/);
    const patched = await kubectl("patch", "ct", "my-tab", "--type=merge", "-p", '{"spec":{"replicas":3}}');
    expect(patched.err).toBe("");
    expect(patched.out).toContain("crontab.stable.example.com/my-tab patched");
    expect((await kubectl("get", "ct", "my-tab", "-o", "jsonpath={.spec.replicas}")).out).toBe("3");
    const reapplied = await kubectl.withFile(
      "apply",
      crontab("my-tab", "  cronSpec: '* * * * */10'\n  image: my-cron-image\n  replicas: 3"),
    );
    expect(reapplied.out).toContain("crontab.stable.example.com/my-tab configured");
    const serverSide = await kubectl.withFile(
      "apply",
      crontab("my-tab", "  cronSpec: '* * * * */10'\n  image: other-image\n  replicas: 3"),
      "--server-side",
      "--force-conflicts",
    );
    expect(serverSide.err).toBe("");
    expect(serverSide.out).toContain("crontab.stable.example.com/my-tab serverside-applied");
    expect((await kubectl("get", "ct", "my-tab", "-o", "jsonpath={.spec.image}")).out).toBe("other-image");
    const selected = await kubectl("get", "ct", "--field-selector=spec.image=other-image", "-o", "name");
    expect(selected.out).toBe("crontab.stable.example.com/my-tab\n");
    const none = await kubectl("get", "ct", "--field-selector=spec.image=nothing", "-o", "name");
    expect(none.out).toBe("");
  });

  test("invalid objects get 422 with field causes; unknown fields are refused under strict validation", async () => {
    const bad = await kubectl.withFile("apply", crontab("bad", "  replicas: 20"));
    expect(bad.code).not.toBe(0);
    expect(bad.err).toContain('The CronTab "bad" is invalid:');
    expect(bad.err).toContain("spec.cronSpec: Required value");
    expect(bad.err).toContain(
      "spec.replicas: Invalid value: 20: spec.replicas in body should be less than or equal to 10",
    );
    const unknown = await kubectl.withFile("apply", crontab("unknown", "  cronSpec: x\n  colour: blue"));
    expect(unknown.code).not.toBe(0);
    expect(unknown.err).toContain('unknown field "spec.colour"');
    expect((await kubectl("get", "ct", "unknown")).code).not.toBe(0);
  });

  test("status subresource: status changes only through it", async () => {
    const patched = await kubectl(
      "patch",
      "ct",
      "my-tab",
      "--subresource=status",
      "--type=merge",
      "-p",
      '{"status":{"lastRun":"now"}}',
    );
    expect(patched.err).toBe("");
    expect((await kubectl("get", "ct", "my-tab", "-o", "jsonpath={.status.lastRun}")).out).toBe("now");
    await kubectl("patch", "ct", "my-tab", "--type=merge", "-p", '{"status":{"lastRun":"ignored"}}');
    expect((await kubectl("get", "ct", "my-tab", "-o", "jsonpath={.status.lastRun}")).out).toBe("now");
  });

  test("scale subresource", async () => {
    const scaled = await kubectl("scale", "crontab", "my-tab", "--replicas=5");
    expect(scaled.err).toBe("");
    expect(scaled.out).toContain("crontab.stable.example.com/my-tab scaled");
    expect((await kubectl("get", "ct", "my-tab", "-o", "jsonpath={.spec.replicas}")).out).toBe("5");
  });

  test("deleting the CRD removes its resources", async () => {
    const deleted = await kubectl("delete", "crd", "crontabs.stable.example.com");
    expect(deleted.out).toContain(
      'customresourcedefinition.apiextensions.k8s.io "crontabs.stable.example.com" deleted',
    );
    const deadline = Date.now() + 30_000;
    let listed = await kubectl("get", "crontabs.stable.example.com");
    while (listed.code === 0 && Date.now() < deadline) {
      await Bun.sleep(100);
      listed = await kubectl("get", "crontabs.stable.example.com");
    }
    expect(listed.err).toContain('the server doesn\'t have a resource type "crontabs"');
  });
});
