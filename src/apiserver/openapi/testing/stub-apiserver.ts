// A stand-in API server for OpenAPI tests with real kubectl: discovery for a fixed set of resources, the
// OpenAPI routes, and objects echoed back on create (nothing is stored). Test-only; the real server wires
// createOpenApiRoutes itself.

import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import { crdResources } from "../crd-schemas.ts";
import type { ServedResource } from "../paths.ts";
import { createOpenApiRoutes } from "../routes.ts";

const all = [
	"create",
	"delete",
	"deletecollection",
	"get",
	"list",
	"patch",
	"update",
	"watch",
];
const r = (
	group: string,
	version: string,
	kind: string,
	resource: string,
	namespaced = true,
	subresources: string[] = [],
): ServedResource => ({
	group,
	version,
	kind,
	resource,
	namespaced,
	verbs: all,
	subresources,
});

/** A representative slice of the built-ins: enough for explain/apply/create of the common kinds. */
export const stubResources: ServedResource[] = [
	r("", "v1", "Pod", "pods", true, ["status"]),
	r("", "v1", "Service", "services", true, ["status"]),
	r("", "v1", "ConfigMap", "configmaps"),
	r("", "v1", "Namespace", "namespaces", false, ["status"]),
	r("apps", "v1", "Deployment", "deployments", true, ["status", "scale"]),
	r("apps", "v1", "ReplicaSet", "replicasets", true, ["status", "scale"]),
	r("batch", "v1", "Job", "jobs", true, ["status"]),
	r(
		"apiextensions.k8s.io",
		"v1",
		"CustomResourceDefinition",
		"customresourcedefinitions",
		false,
		["status"],
	),
];

export interface StubApiServer {
	url: string;
	crds: CustomResourceDefinition[];
	/** Every request seen, "METHOD path?query", for asserting what kubectl sent. */
	requests: string[];
	close(): void;
}

export async function startStubApiServer(): Promise<StubApiServer> {
	const crds: CustomResourceDefinition[] = [];
	const requests: string[] = [];
	const served = () => [...stubResources, ...crds.flatMap(crdResources)];
	const app = new Hono();
	app.use(async (c, next) => {
		requests.push(
			`${c.req.method} ${c.req.url.replace(/^https?:\/\/[^/]+/, "")}`,
		);
		await next();
	});
	app.route(
		"/",
		createOpenApiRoutes({
			resources: () => stubResources,
			customResourceDefinitions: () => crds,
		}),
	);
	const groupVersions = () => [
		...new Set(
			served()
				.filter((s) => s.group)
				.map((s) => `${s.group}/${s.version}`),
		),
	];
	app.get("/api", (c) =>
		c.json({
			kind: "APIVersions",
			versions: ["v1"],
			serverAddressByClientCIDRs: [
				{ clientCIDR: "0.0.0.0/0", serverAddress: "127.0.0.1" },
			],
		}),
	);
	app.get("/apis", (c) =>
		c.json({
			kind: "APIGroupList",
			apiVersion: "v1",
			groups: groupVersions().map((gv) => {
				const [name, version] = gv.split("/");
				const v = { groupVersion: gv, version };
				return { name, versions: [v], preferredVersion: v };
			}),
		}),
	);
	const resourceList = (group: string, version: string) => ({
		kind: "APIResourceList",
		apiVersion: "v1",
		groupVersion: group ? `${group}/${version}` : version,
		resources: served()
			.filter((s) => s.group === group && s.version === version)
			.flatMap((s) => [
				{
					name: s.resource,
					singularName: s.kind.toLowerCase(),
					namespaced: s.namespaced,
					kind: s.kind,
					verbs: s.verbs,
				},
				...(s.subresources ?? []).map((sub) => ({
					name: `${s.resource}/${sub}`,
					singularName: "",
					namespaced: s.namespaced,
					kind: sub === "scale" ? "Scale" : s.kind,
					verbs: ["get", "patch", "update"],
				})),
			]),
	});
	app.get("/api/:version", (c) =>
		c.json(resourceList("", c.req.param("version"))),
	);
	app.get("/apis/:group/:version", (c) =>
		c.json(resourceList(c.req.param("group"), c.req.param("version"))),
	);
	app.get("/version", (c) =>
		c.json({ major: "1", minor: "32", gitVersion: "v1.32.0-k3lite" }),
	);
	app.get("*", (c) =>
		c.json(
			{
				kind: "Status",
				apiVersion: "v1",
				status: "Failure",
				reason: "NotFound",
				code: 404,
				message: "not found",
			},
			404,
		),
	);
	app.post("*", async (c) => {
		const obj = await c.req.json();
		obj.metadata = {
			...obj.metadata,
			uid: crypto.randomUUID(),
			resourceVersion: "1",
			creationTimestamp: new Date().toISOString(),
		};
		return c.json(obj, 201);
	});
	const server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" });
	await new Promise<void>((resolve) =>
		server.once("listening", () => resolve()),
	);
	const address = server.address();
	const port = typeof address === "object" && address ? address.port : 0;
	return {
		url: `http://127.0.0.1:${port}`,
		crds,
		requests,
		close: () => server.close(),
	};
}
