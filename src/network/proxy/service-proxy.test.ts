import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EndpointSlice, Service } from "../../api/types.ts";
import { createFakeCluster } from "../../client/fake.ts";
import { endpointslices, inNamespace, services } from "../../client/refs.ts";
import { waitFor } from "../../client/testing.ts";
import { type ServiceProxy, startServiceProxy } from "./service-proxy.ts";

// Stands in for the iptables tools (as the command prefix): records each iptables-restore input in its own file
// and each iptables call in a log; fails restores while a "fail" file exists.
const FAKE_IPTABLES = `#!/bin/sh
dir=$(dirname "$0")
case "$1" in
  iptables-save) printf '*nat\\n:PREROUTING ACCEPT [0:0]\\nCOMMIT\\n' ;;
  iptables-restore)
    if [ -e "$dir/fail" ]; then echo x >> "$dir/failures"; echo "resource busy" >&2; exit 1; fi
    n=$(ls "$dir" | grep -c '^restore')
    cat > "$dir/restore.$n" ;;
  iptables)
    echo "$*" >> "$dir/iptables.log"
    case "$*" in *" -C "*) exit 1 ;; esac ;;
esac
`;

let dir = "";
let proxy: ServiceProxy | undefined;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "k3lite-proxy-unit-"));
  writeFileSync(join(dir, "fake"), FAKE_IPTABLES);
  chmodSync(join(dir, "fake"), 0o755);
});

afterEach(async () => {
  await proxy?.stop();
  proxy = undefined;
  rmSync(dir, { recursive: true, force: true });
});

/** iptables-restore inputs so far, in order. */
function restores(): string[] {
  const files = readdirSync(dir).filter((f) => f.startsWith("restore."));
  return files
    .sort((a, b) => Number(a.split(".")[1]) - Number(b.split(".")[1]))
    .map((f) => readFileSync(join(dir, f), "utf8"));
}

const svc: Service = {
  apiVersion: "v1",
  kind: "Service",
  metadata: { namespace: "default", name: "web" },
  spec: { clusterIP: "10.43.0.50", ports: [{ name: "http", port: 80 }] },
};

function slice(ips: string[]): EndpointSlice {
  return {
    apiVersion: "discovery.k8s.io/v1",
    kind: "EndpointSlice",
    metadata: { namespace: "default", name: "web-1", labels: { "kubernetes.io/service-name": "web" } },
    addressType: "IPv4",
    ports: [{ name: "http", port: 8080, protocol: "TCP" }],
    endpoints: ips.map((ip) => ({ addresses: [ip] })),
  };
}

describe("startServiceProxy", () => {
  test("applies the rules of the first full list, then adds the jumps once", async () => {
    const cluster = createFakeCluster();
    await cluster.client.create(inNamespace(services, "default"), svc);
    await cluster.client.create(inNamespace(endpointslices, "default"), slice(["10.42.0.7"]));
    proxy = startServiceProxy(cluster.client, { clusterCidr: "10.42.0.0/16", prefix: [join(dir, "fake")] });
    await proxy.synced();
    expect(restores()[0]).toContain("--to-destination 10.42.0.7:8080");
    const log = readFileSync(join(dir, "iptables.log"), "utf8");
    for (const chain of ["PREROUTING", "OUTPUT", "POSTROUTING"]) expect(log).toContain(`-t nat -I ${chain} 1`);
    expect(log).toContain("-t filter -I INPUT 1");
  });

  test("a burst of changes is applied together, ending with the last state", async () => {
    const cluster = createFakeCluster();
    await cluster.client.create(inNamespace(services, "default"), svc);
    proxy = startServiceProxy(cluster.client, {
      clusterCidr: "10.42.0.0/16",
      prefix: [join(dir, "fake")],
      debounceMs: 500,
    });
    await proxy.synced();
    const ref = inNamespace(endpointslices, "default");
    await cluster.client.create(ref, slice(["10.42.0.1"]));
    for (let i = 2; i <= 20; i++) await cluster.client.update(ref, slice([`10.42.0.${i}`]));
    await waitFor(() => restores().at(-1)?.includes("10.42.0.20:8080"), "the last endpoint applied");
    // One for the empty start, then far fewer than one per change.
    expect(restores().length).toBeLessThan(10);
  });

  test("a failed sync is retried until it succeeds", async () => {
    const cluster = createFakeCluster();
    proxy = startServiceProxy(cluster.client, { clusterCidr: "10.42.0.0/16", prefix: [join(dir, "fake")] });
    await proxy.synced();
    writeFileSync(join(dir, "fail"), "");
    await cluster.client.create(inNamespace(services, "default"), svc);
    await cluster.client.create(inNamespace(endpointslices, "default"), slice(["10.42.0.9"]));
    await waitFor(() => existsSync(join(dir, "failures")), "a sync failed");
    rmSync(join(dir, "fail"));
    await waitFor(() => restores().at(-1)?.includes("10.42.0.9:8080"), "the rules applied after the failure");
  });
});
