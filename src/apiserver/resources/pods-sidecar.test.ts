// Pod validation of container restartPolicy: native sidecars (init containers with Always) only.

import { expect, test } from "bun:test";
import type { Pod } from "../../api/types.ts";
import { validatePodSpec } from "./pods.ts";

const spec = (init: object, main: object = {}): Pod["spec"] =>
  ({
    initContainers: [{ name: "proxy", image: "busybox", ...init }],
    containers: [{ name: "app", image: "busybox", ...main }],
  }) as Pod["spec"];

test("an init container with restartPolicy Always (a sidecar) is valid", () => {
  expect(validatePodSpec(spec({ restartPolicy: "Always" }), "spec")).toEqual([]);
});

test("other restart policies on init containers, and any on regular containers, are refused", () => {
  const errs = validatePodSpec(spec({ restartPolicy: "Never" }, { restartPolicy: "Always" }), "spec");
  expect(errs.map((e) => [e.field, e.reason])).toEqual([
    ["spec.initContainers[0].restartPolicy", "FieldValueNotSupported"],
    ["spec.containers[0].restartPolicy", "FieldValueForbidden"],
  ]);
});
