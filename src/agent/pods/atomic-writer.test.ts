import { expect, test } from "bun:test";
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { writeAtomically } from "./atomic-writer.ts";

test("volume files are swapped atomically through ..data, and stale names disappear", () => {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-atomic-"));
  try {
    expect(writeAtomically(dir, { a: { data: "1" }, "sub/b": { data: "2" } })).toBe(true);
    expect(readFileSync(join(dir, "a"), "utf8")).toBe("1");
    expect(readFileSync(join(dir, "sub/b"), "utf8")).toBe("2");
    expect(lstatSync(join(dir, "a")).isSymbolicLink()).toBe(true);
    const first = readlinkSync(join(dir, "..data"));
    expect(writeAtomically(dir, { a: { data: "1" }, "sub/b": { data: "2" } })).toBe(false);
    expect(writeAtomically(dir, { a: { data: "changed" } })).toBe(true);
    expect(readlinkSync(join(dir, "..data"))).not.toBe(first);
    expect(readFileSync(join(dir, "a"), "utf8")).toBe("changed");
    expect(() => lstatSync(join(dir, "sub"))).toThrow();
    expect(() => writeAtomically(dir, { "../evil": { data: "x" } })).toThrow("invalid volume file path");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
