import { describe, expect, test } from "bun:test";
import type { KubeObject } from "../api/types.ts";
import { podPriority } from "./priority.ts";
import { makePod } from "./testing.ts";

const classes = (...items: KubeObject[]) => ({
  getByName: (_ns: undefined, name: string) => items.find((i) => i.metadata?.name === name),
  list: () => items,
});

describe("podPriority", () => {
  const high = { metadata: { name: "high" }, value: 1000 };
  const fallback = { metadata: { name: "fallback" }, value: 7, globalDefault: true };

  test("the PriorityClass's value, the built-in system classes, spec.priority, the global default", () => {
    expect(podPriority(makePod("p", { priority: 0, spec: { priorityClassName: "high" } }), classes(high))).toBe(1000);
    expect(podPriority(makePod("p", { spec: { priorityClassName: "system-node-critical" } }))).toBe(2_000_001_000);
    expect(podPriority(makePod("p", { priority: 5 }), classes(fallback))).toBe(5);
    expect(podPriority(makePod("p"), classes(high, fallback))).toBe(7);
    expect(podPriority(makePod("p"))).toBe(0);
  });
});
