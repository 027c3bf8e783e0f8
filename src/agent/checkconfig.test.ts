import { expect, test } from "bun:test";
import { checkConfig } from "./checkconfig.ts";

test("check-config reports every check and passes on a machine set up by scripts/setup.sh", () => {
  const { ok, lines } = checkConfig();
  expect(lines.some((l) => l.includes("containerd binary"))).toBe(true);
  expect(lines.some((l) => l.includes("cgroups"))).toBe(true);
  expect(lines.at(-1)).toMatch(/k3lite can run pods|Some required checks failed/);
  // CI runs as root after installing containerd, runc and the CNI plugins.
  if (process.getuid?.() === 0 && Bun.which("containerd")) expect(ok).toBe(true);
});
