// activeDeadlineLeft: the time left before a pod's active deadline.

import { expect, test } from "bun:test";
import type { Pod } from "../../api/types.ts";
import { activeDeadlineLeft } from "./deadline.ts";

const pod = (activeDeadlineSeconds?: number, startTime?: string): Pod => ({
  metadata: { name: "p" },
  spec: { containers: [], ...(activeDeadlineSeconds != null ? { activeDeadlineSeconds } : {}) },
  ...(startTime ? { status: { startTime } } : {}),
});

test("the deadline counts from status.startTime", () => {
  const start = "2026-01-01T00:00:00Z";
  const t0 = Date.parse(start);
  expect(activeDeadlineLeft(pod(30, start), t0 + 10_000)).toBe(20_000);
  expect(activeDeadlineLeft(pod(30, start), t0 + 30_000)).toBe(0);
  expect(activeDeadlineLeft(pod(30, start), t0 + 31_000)).toBeLessThan(0);
});

test("no deadline without activeDeadlineSeconds; a pod not started yet counts from now", () => {
  expect(activeDeadlineLeft(pod(undefined, "2026-01-01T00:00:00Z"))).toBeUndefined();
  expect(activeDeadlineLeft(pod(30), 1000)).toBe(30_000);
});
