import { expect, test } from "bun:test";
import { applyPatch } from "./index.ts";
import { patchMetaForKind } from "./openapi-meta.ts";
import { deployment } from "./testing.ts";

test("the built-in schemas drive strategic merge: containers by name, env by name", () => {
	const meta = patchMetaForKind({
		group: "apps",
		version: "v1",
		kind: "Deployment",
	});
	expect(meta.strategyFor(["spec", "template", "spec", "containers"])).toEqual({
		strategy: "merge",
		mergeKey: "name",
	});
	const out = applyPatch({
		current: deployment(),
		patchType: "strategic",
		meta,
		patch: {
			spec: {
				template: {
					spec: {
						containers: [{ name: "nginx", env: [{ name: "A", value: "x" }] }],
					},
				},
			},
		},
	});
	const [nginx, sidecar] = out.spec.template.spec.containers;
	expect(nginx.env).toEqual([
		{ name: "A", value: "x" },
		{ name: "B", value: "2" },
	]);
	expect(sidecar.name).toBe("sidecar");
	expect(meta.strategyFor(["spec", "nope"])).toEqual({});
});
