// Runs Debian's `wrk` (a native load generator, so the client does not eat the cores the server needs — the issue's
// floor figure was measured with it) against an HTTPS URL and reads requests/s and latency percentiles from its
// report. Optional Lua makes each request different (a counter in the body). wrk cannot present client
// certificates, so callers authenticate with a bearer token.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface WrkResult {
  perSecond: number;
  p50: number;
  p99: number;
  /** Non-2xx/3xx answers and socket errors: a run with any is not a valid measurement. */
  errors: number;
}

export interface WrkOptions {
  connections: number;
  seconds: number;
  method?: string;
  headers?: Record<string, string>;
  /** A request body; `%N%` in it becomes a per-request counter. */
  body?: string;
  /** Paths taken in turn instead of the URL's own (e.g. one object per request, so updates do not collide). */
  paths?: string[];
}

export function haveWrk(): boolean {
  return Bun.which("wrk") !== null;
}

export async function runWrk(url: string, opts: WrkOptions): Promise<WrkResult> {
  const dir = await mkdtemp(join(tmpdir(), "k3lite-wrk-"));
  try {
    const script = join(dir, "request.lua");
    await writeFile(script, luaScript(opts));
    const threads = Math.min(2, opts.connections);
    const proc = Bun.spawn(
      ["wrk", "--latency", `-t${threads}`, `-c${opts.connections}`, `-d${opts.seconds}s`, "-s", script, url],
      { stdout: "pipe", stderr: "pipe" },
    );
    const [out, err] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
    if ((await proc.exited) !== 0) throw new Error(`wrk failed: ${err || out}`);
    return parseWrk(out);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function luaScript(opts: WrkOptions): string {
  const headers = Object.entries(opts.headers ?? {})
    .map(([k, v]) => `wrk.headers[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join("\n");
  const body = opts.body ?? "";
  return `
wrk.method = ${JSON.stringify(opts.method ?? "GET")}
${headers}
local counter = 0
local template = ${JSON.stringify(body)}
local paths = { ${(opts.paths ?? []).map((p) => JSON.stringify(p)).join(", ")} }
request = function()
  counter = counter + 1
  local path = nil
  if #paths > 0 then path = paths[(counter + math.random(#paths)) % #paths + 1] end
  if template == "" then return wrk.format(nil, path) end
  local body = string.gsub(template, "%%N%%", tostring(counter) .. "-" .. tostring(math.random(1e9)))
  return wrk.format(nil, path, nil, body)
end
`;
}

/** wrk prints durations as 812.00us, 1.23ms or 1.02s. */
function toMs(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(text.trim());
  if (!m) return Number.NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

export function parseWrk(out: string): WrkResult {
  const perSecond = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
  const p50 = toMs(/^\s+50%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const p99 = toMs(/^\s+99%\s+(\S+)/m.exec(out)?.[1] ?? "");
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((a, b) => a + Number(b), 0) : 0;
  return { perSecond, p50, p99, errors: non2xx + socketErrors };
}
