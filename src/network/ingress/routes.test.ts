import { describe, expect, test } from "bun:test";
import type { EndpointSlice, networking, Service } from "../../api/types.ts";
import { buildRouteTable, findRoute, pathMatches } from "./routes.ts";

const svc = (name: string, ports: { name?: string; port: number; protocol?: string }[]): Service => ({
  metadata: { name, namespace: "default" },
  spec: { clusterIP: "10.43.0.10", ports },
});

const slice = (
  service: string,
  ports: { name?: string; port: number }[],
  endpoints: { ip: string; ready?: boolean }[],
  addressType = "IPv4",
): EndpointSlice => ({
  metadata: { name: `${service}-x`, namespace: "default", labels: { "kubernetes.io/service-name": service } },
  addressType,
  ports,
  endpoints: endpoints.map((e) => ({ addresses: [e.ip], conditions: e.ready === undefined ? {} : { ready: e.ready } })),
});

type Path = { path?: string; pathType?: string; service: string; port: number | string };
const ingress = (
  name: string,
  rules: { host?: string; paths: Path[] }[],
  extra: Partial<networking.IngressSpec> = {},
  meta: Partial<networking.Ingress["metadata"]> = {},
): networking.Ingress => ({
  metadata: { name, namespace: "default", creationTimestamp: "2026-01-01T00:00:00Z", ...meta },
  spec: {
    ...extra,
    rules: rules.map((r) => ({
      host: r.host,
      http: {
        paths: r.paths.map((p) => ({
          path: p.path,
          pathType: p.pathType ?? "Prefix",
          backend: {
            service: { name: p.service, port: typeof p.port === "number" ? { number: p.port } : { name: p.port } },
          },
        })),
      },
    })),
  },
});

// One Service per name, each with one ready endpoint whose IP tells which backend was chosen.
const names = ["a", "b", "c", "d", "e"];
const services = names.map((n) => svc(n, [{ name: "http", port: 80 }]));
const slices = names.map((n, i) => slice(n, [{ name: "http", port: 8080 }], [{ ip: `10.42.0.${i + 1}` }]));
const via = (table: ReturnType<typeof buildRouteTable>, host: string, path: string) =>
  findRoute(table, host, path)?.key.split("/")[1]?.split(":")[0];

describe("paths", () => {
  test("Prefix matches element-wise; a trailing slash is ignored; / matches all", () => {
    const r = (path: string) => ({ path, exact: false });
    expect(pathMatches(r("/foo"), "/foo")).toBe(true);
    expect(pathMatches(r("/foo"), "/foo/")).toBe(true);
    expect(pathMatches(r("/foo"), "/foo/bar")).toBe(true);
    expect(pathMatches(r("/foo"), "/foobar")).toBe(false);
    expect(pathMatches(r("/"), "/anything")).toBe(true);
    expect(pathMatches({ path: "/foo", exact: true }, "/foo/")).toBe(false);
    expect(pathMatches({ path: "/foo", exact: true }, "/foo")).toBe(true);
  });

  test("the longest path wins, Exact before Prefix at equal length; ImplementationSpecific is a prefix", () => {
    const table = buildRouteTable(
      [
        ingress("one", [
          {
            paths: [
              { path: "/", service: "a", port: 80 },
              { path: "/api", service: "b", port: 80 },
              { path: "/api/v2/", service: "c", port: 80 },
              { path: "/api", pathType: "Exact", service: "d", port: 80 },
              { path: "/impl", pathType: "ImplementationSpecific", service: "e", port: 80 },
            ],
          },
        ]),
      ],
      services,
      slices,
    );
    expect(via(table, "x", "/")).toBe("a");
    expect(via(table, "x", "/apis")).toBe("a");
    expect(via(table, "x", "/api")).toBe("d");
    expect(via(table, "x", "/api/")).toBe("b");
    expect(via(table, "x", "/api/v1")).toBe("b");
    expect(via(table, "x", "/api/v2")).toBe("c");
    expect(via(table, "x", "/api/v2/x")).toBe("c");
    expect(via(table, "x", "/impl/z")).toBe("e");
  });
});

describe("hosts", () => {
  const table = buildRouteTable(
    [
      ingress("hosts", [
        { host: "foo.example.com", paths: [{ path: "/", service: "a", port: 80 }] },
        { host: "*.example.com", paths: [{ path: "/", service: "b", port: 80 }] },
        { host: "only-api.example.com", paths: [{ path: "/api", service: "c", port: 80 }] },
      ]),
      ingress("catch-all", [{ paths: [{ path: "/", service: "d", port: 80 }] }], {
        defaultBackend: { service: { name: "e", port: { number: 80 } } },
      }),
    ],
    services,
    slices,
  );
  test("exact host, then a one-label wildcard, then rules without a host", () => {
    expect(via(table, "foo.example.com", "/")).toBe("a");
    expect(via(table, "FOO.Example.com", "/")).toBe("a");
    expect(via(table, "bar.example.com", "/x")).toBe("b");
    expect(via(table, "a.b.example.com", "/")).toBe("d");
    expect(via(table, "example.com", "/")).toBe("d");
    expect(via(table, "other.org", "/")).toBe("d");
    // a host whose own paths do not match falls through to broader rules
    expect(via(table, "only-api.example.com", "/api/x")).toBe("c");
    expect(via(table, "only-api.example.com", "/web")).toBe("b");
  });
  test("defaultBackend takes what no rule matches", () => {
    const t = buildRouteTable(
      [
        ingress("h", [{ host: "foo.example.com", paths: [{ path: "/", service: "a", port: 80 }] }], {
          defaultBackend: { service: { name: "e", port: { name: "http" } } },
        }),
      ],
      services,
      slices,
    );
    expect(via(t, "foo.example.com", "/")).toBe("a");
    expect(via(t, "bar.example.com", "/")).toBe("e");
    expect(findRoute(t, "bar.example.com", "/")?.endpoints).toEqual([{ ip: "10.42.0.5", port: 8080 }]);
  });
});

describe("backends", () => {
  test("a port by number or by name resolves to the slice port of the same name; ready IPv4 endpoints only", () => {
    const svcs = [
      svc("web", [
        { name: "http", port: 80 },
        { name: "admin", port: 9000 },
      ]),
    ];
    const sl = [
      slice(
        "web",
        [
          { name: "http", port: 8080 },
          { name: "admin", port: 9090 },
        ],
        [{ ip: "10.42.0.9" }, { ip: "10.42.0.3", ready: true }, { ip: "10.42.0.4", ready: false }],
      ),
      slice("web", [{ name: "http", port: 8080 }], [{ ip: "fd00::1" }], "IPv6"),
    ];
    const table = buildRouteTable(
      [
        ingress("w", [
          {
            paths: [
              { path: "/", service: "web", port: 80 },
              { path: "/admin", service: "web", port: "admin" },
              { path: "/none", service: "web", port: 81 },
              { path: "/gone", service: "missing", port: 80 },
            ],
          },
        ]),
      ],
      svcs,
      sl,
    );
    expect(findRoute(table, "h", "/")).toEqual({
      key: "default/web:80",
      endpoints: [
        { ip: "10.42.0.3", port: 8080 },
        { ip: "10.42.0.9", port: 8080 },
      ],
    });
    expect(findRoute(table, "h", "/admin")?.endpoints).toEqual([
      { ip: "10.42.0.3", port: 9090 },
      { ip: "10.42.0.9", port: 9090 },
    ]);
    expect(findRoute(table, "h", "/none")).toEqual({ key: "default/web:81", endpoints: [] });
    expect(findRoute(table, "h", "/gone")).toEqual({ key: "default/missing:80", endpoints: [] });
  });

  test("only Ingresses of no class, k3lite or traefik are ours; an older Ingress wins a tie", () => {
    const table = buildRouteTable(
      [
        ingress("nginx", [{ host: "n", paths: [{ service: "a", port: 80 }] }], { ingressClassName: "nginx" }),
        ingress(
          "legacy-nginx",
          [{ host: "l", paths: [{ service: "a", port: 80 }] }],
          {},
          { annotations: { "kubernetes.io/ingress.class": "nginx" } },
        ),
        ingress("traefik", [{ host: "t", paths: [{ service: "b", port: 80 }] }], { ingressClassName: "traefik" }),
        ingress("k3lite", [{ host: "k", paths: [{ service: "c", port: 80 }] }], { ingressClassName: "k3lite" }),
        ingress(
          "newer",
          [{ host: "t", paths: [{ service: "d", port: 80 }] }],
          {},
          { creationTimestamp: "2026-02-01T00:00:00Z" },
        ),
      ],
      services,
      slices,
    );
    expect(findRoute(table, "n", "/")).toBeUndefined();
    expect(findRoute(table, "l", "/")).toBeUndefined();
    expect(via(table, "t", "/")).toBe("b");
    expect(via(table, "k", "/")).toBe("c");
  });
});

test("Traefik's router.entrypoints and router.tls annotations pin an Ingress to HTTP or HTTPS", () => {
  const pinned = (name: string, host: string, annotations: Record<string, string>) =>
    ingress(name, [{ host, paths: [{ service: "a", port: 80 }] }], {}, { annotations });
  const table = buildRouteTable(
    [
      pinned("both", "both", {}),
      pinned("web", "web", { "traefik.ingress.kubernetes.io/router.entrypoints": "web" }),
      pinned("secure", "secure", { "traefik.ingress.kubernetes.io/router.entrypoints": "websecure" }),
      pinned("tls", "tls", { "traefik.ingress.kubernetes.io/router.tls": "true" }),
      pinned("listed", "listed", { "traefik.ingress.kubernetes.io/router.entrypoints": "web, websecure" }),
      pinned("unknown", "unknown", { "traefik.ingress.kubernetes.io/router.entrypoints": "metrics" }),
    ],
    services,
    slices,
  );
  const served = (host: string) =>
    (["web", "websecure"] as const).filter((ep) => findRoute(table, host, "/", ep)).join();
  expect(served("both")).toBe("web,websecure");
  expect(served("web")).toBe("web");
  expect(served("secure")).toBe("websecure");
  expect(served("tls")).toBe("websecure");
  expect(served("listed")).toBe("web,websecure");
  expect(served("unknown")).toBe("");
});
