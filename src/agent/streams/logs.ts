// `kubectl logs` from the CRI log files (`<RFC3339Nano> <stdout|stderr> <F|P> <text>` per line): --tail,
// --since/--since-time, --timestamps, --limit-bytes, --previous (the container before the current one), and
// -f (follow the file as it grows, and across rotation, until the container exits).

import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";

export interface LogOptions {
  follow?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

interface LogLine {
  time: string;
  stream: string;
  partial: boolean;
  text: string;
}

export function parseCriLogLine(line: string): LogLine | undefined {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0) return undefined;
  const tag = c < 0 ? line.slice(b + 1) : line.slice(b + 1, c);
  return {
    time: line.slice(0, a),
    stream: line.slice(a + 1, b),
    partial: tag === "P",
    text: c < 0 ? "" : line.slice(c + 1),
  };
}

function render(l: LogLine, opts: LogOptions): string {
  const text = l.partial ? l.text : `${l.text}\n`;
  return opts.timestamps ? `${l.time} ${text}` : text;
}

function selectLines(content: string, opts: LogOptions): string[] {
  let lines = content.split("\n").filter((l) => l.length > 0);
  if (opts.sinceTime) {
    const since = opts.sinceTime.getTime();
    lines = lines.filter((l) => Date.parse(l.slice(0, l.indexOf(" "))) >= since);
  }
  if (opts.tailLines !== undefined && opts.tailLines >= 0)
    lines = opts.tailLines === 0 ? [] : lines.slice(-opts.tailLines);
  return lines;
}

/**
 * A stream of the log as kubectl expects it. With `follow`, keeps reading until `isRunning()` turns false
 * (checked every 250 ms) or the reader cancels.
 */
export function logStream(
  path: string,
  opts: LogOptions,
  isRunning: () => Promise<boolean>,
): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let sent = 0;
  let offset = 0;
  let inode = 0;
  let pending = "";
  let cancelled = false;
  const limit = opts.limitBytes ?? Number.POSITIVE_INFINITY;
  return new ReadableStream<Uint8Array>({
    async start(controller) {
      const emit = (lines: string[]) => {
        let out = "";
        for (const raw of lines) {
          const l = parseCriLogLine(raw);
          if (l) out += render(l, opts);
        }
        if (!out) return true;
        let bytes = enc.encode(out);
        if (sent + bytes.length > limit) bytes = bytes.slice(0, limit - sent);
        sent += bytes.length;
        controller.enqueue(bytes);
        return sent < limit;
      };
      const readNew = (): string => {
        if (!existsSync(path)) return "";
        const st = statSync(path);
        if (st.ino !== inode || st.size < offset) {
          inode = st.ino;
          offset = 0; // rotated or truncated: start from the new file's beginning
        }
        if (st.size === offset) return "";
        const fd = openSync(path, "r");
        try {
          const buf = Buffer.alloc(st.size - offset);
          const n = readSync(fd, buf, 0, buf.length, offset);
          offset += n;
          return buf.subarray(0, n).toString("utf8");
        } finally {
          closeSync(fd);
        }
      };
      const first = readNew();
      const firstComplete = first.slice(0, first.lastIndexOf("\n") + 1);
      pending = first.slice(firstComplete.length);
      if (!emit(selectLines(firstComplete, opts)) || !opts.follow) {
        controller.close();
        return;
      }
      // Follow: new complete lines only (tail/since applied to the initial part).
      const follow = { ...opts, tailLines: undefined };
      while (!cancelled) {
        const chunk = pending + readNew();
        const complete = chunk.slice(0, chunk.lastIndexOf("\n") + 1);
        pending = chunk.slice(complete.length);
        if (complete && !emit(selectLines(complete, follow))) break;
        if (!complete && !(await isRunning())) {
          const rest = pending + readNew();
          if (rest) emit(selectLines(rest, follow));
          break;
        }
        await Bun.sleep(complete ? 10 : 250);
      }
      if (!cancelled) controller.close();
    },
    cancel() {
      cancelled = true;
    },
  });
}
