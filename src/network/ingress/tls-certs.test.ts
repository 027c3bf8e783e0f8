import { expect, test } from "bun:test";
import type { networking, Secret } from "../../api/types.ts";
import { buildTlsTable, certificateFor } from "./tls-certs.ts";

const secret = (name: string, type = "kubernetes.io/tls", withKey = true): Secret => ({
  metadata: { name, namespace: "default", resourceVersion: "7" },
  type,
  data: {
    "tls.crt": Buffer.from(`cert of ${name}`).toString("base64"),
    ...(withKey ? { "tls.key": Buffer.from(`key of ${name}`).toString("base64") } : {}),
  },
});

const ingress = (
  name: string,
  tls: networking.IngressTLS[],
  created: string,
  className?: string,
): networking.Ingress => ({
  metadata: { name, namespace: "default", creationTimestamp: created },
  spec: { ingressClassName: className, tls },
});

test("certificates by exact host, one-label wildcard, then an entry without hosts; the older Ingress wins", () => {
  const table = buildTlsTable(
    [
      ingress("newer", [{ hosts: ["app.example.com"], secretName: "newer" }], "2026-02-01T00:00:00Z"),
      ingress(
        "older",
        [
          { hosts: ["app.example.com", "*.example.com"], secretName: "older" },
          { secretName: "catch-all" },
          { hosts: ["nokey.example.com"], secretName: "nokey" },
          { hosts: ["missing.example.com"], secretName: "missing" },
        ],
        "2026-01-01T00:00:00Z",
      ),
      ingress("nginx", [{ hosts: ["nginx.example.org"], secretName: "newer" }], "2025-01-01T00:00:00Z", "nginx"),
    ],
    [secret("newer"), secret("older"), secret("catch-all"), secret("nokey", "kubernetes.io/tls", false)],
  );
  const name = (servername?: string) => certificateFor(table, servername)?.key;
  expect(name("APP.example.com")).toBe("default/older@7");
  expect(certificateFor(table, "app.example.com")).toMatchObject({ certPem: "cert of older", keyPem: "key of older" });
  expect(name("www.example.com")).toBe("default/older@7");
  expect(name("a.b.example.com")).toBe("default/catch-all@7");
  expect(name("nokey.example.com")).toBe("default/older@7");
  expect(name("missing.example.com")).toBe("default/older@7");
  expect(name("nginx.example.org")).toBe("default/catch-all@7");
  expect(name(undefined)).toBe("default/catch-all@7");
  expect(certificateFor(buildTlsTable([], []), "x.example.com")).toBeUndefined();
});
