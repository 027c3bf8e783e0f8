import { expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { logStream, parseCriLogLine } from "./logs.ts";

const LOG = [
  "2026-11-24T10:00:00.000000001Z stdout F one",
  "2026-11-24T10:00:01.000000000Z stderr P par",
  "2026-11-24T10:00:01.500000000Z stderr F tial",
  "2026-11-24T10:00:02.000000000Z stdout F three",
  "",
].join("\n");

test("CRI log lines parse into time, stream, partial flag and text", () => {
  expect(parseCriLogLine("2026-11-24T10:00:00Z stdout F hello world")).toEqual({
    time: "2026-11-24T10:00:00Z",
    stream: "stdout",
    partial: false,
    text: "hello world",
  });
});

test("logs: whole file, --tail, --since-time, --timestamps, --limit-bytes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-logs-"));
  const path = join(dir, "0.log");
  writeFileSync(path, LOG);
  const read = (opts: Parameters<typeof logStream>[1]) => new Response(logStream(path, opts, async () => false)).text();
  try {
    expect(await read({})).toBe("one\npartial\nthree\n");
    expect(await read({ tailLines: 1 })).toBe("three\n");
    expect(await read({ sinceTime: new Date("2026-11-24T10:00:01.600Z") })).toBe("three\n");
    expect(await read({ tailLines: 1, timestamps: true })).toBe("2026-11-24T10:00:02.000000000Z three\n");
    expect(await read({ limitBytes: 5 })).toBe("one\np");
    expect(await read({ follow: true })).toBe("one\npartial\nthree\n");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
