// `kubectl exec`/`attach` on the agent: a WebSocket with Kubernetes' channel protocol (v5.channel.k8s.io, which
// kubectl 1.32 speaks, or v4). Exec without a terminal runs through `ctr tasks exec` against our containerd,
// because v5's stdin close must reach the process as EOF (kubectl cp); the exit status goes back on channel 3
// as a Status, as the kubelet sends it. Attach and exec with a terminal (resize) use CRI's streaming server.

import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { CriClient } from "../cri/client.ts";
import { bridgeToCriStream } from "./cri-stream.ts";
import type { ContainerTarget } from "./server.ts";
import { acceptWebSocket } from "./websocket.ts";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const ERROR = 3;
const CLOSE = 255;

export interface ExecDeps {
  cri: CriClient;
  containerdAddress: string;
  resolve(ns: string, pod: string, container: string): Promise<ContainerTarget | string>;
}

const flag = (q: URLSearchParams, ...names: string[]) => names.some((n) => ["1", "true"].includes(q.get(n) ?? ""));

export function exitStatus(code: number): string {
  if (code === 0) return JSON.stringify({ metadata: {}, status: "Success" });
  return JSON.stringify({
    metadata: {},
    status: "Failure",
    message: `command terminated with non-zero exit code: error executing command, exit code ${code}`,
    reason: "NonZeroExitCode",
    details: { causes: [{ reason: "ExitCode", message: String(code) }] },
  });
}

export async function handleExecUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
  deps: ExecDeps,
): Promise<void> {
  const url = new URL(req.url ?? "/", "https://agent");
  const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
  const kind = parts[0];
  if ((kind !== "exec" && kind !== "attach") || parts.length !== 4) {
    socket.end("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    return;
  }
  const t = await deps.resolve(parts[1] as string, parts[2] as string, parts[3] as string);
  if (typeof t === "string" || !t.running) {
    const msg = typeof t === "string" ? t : `container ${parts[3]} is not running`;
    socket.end(
      `HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`,
    );
    return;
  }
  const q = url.searchParams;
  const stdin = flag(q, "input", "stdin");
  const stdout = flag(q, "output", "stdout");
  const stderr = flag(q, "error", "stderr");
  const tty = flag(q, "tty");
  const command = q.getAll("command");
  const ws = acceptWebSocket(req.headers, socket, head, ["v5.channel.k8s.io", "v4.channel.k8s.io", "channel.k8s.io"]);
  if (!ws) return;
  // Attach, and exec with a terminal (resizes work), go through CRI's streaming server.
  if (kind === "attach" || tty) {
    const req = { containerId: t.containerId, stdin, stdout, stderr: stderr && !tty, tty };
    bridgeToCriStream(
      ws,
      kind === "attach" ? await deps.cri.attach(req) : await deps.cri.exec({ ...req, cmd: command }),
    );
    return;
  }

  const send = (channel: number, data: Uint8Array | string) => {
    const bytes = typeof data === "string" ? Buffer.from(data) : data;
    ws.send(Buffer.concat([Buffer.from([channel]), bytes]));
  };
  const execId = `k3lite-exec-${Math.random().toString(36).slice(2, 10)}`;
  const ctr = ["ctr", "--address", deps.containerdAddress, "-n", "k8s.io", "tasks"];
  const argv = [...ctr, "exec", "--exec-id", execId, t.containerId, ...command];
  const proc = Bun.spawn(argv, {
    stdin: stdin ? "pipe" : "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });

  ws.onMessage((msg) => {
    const channel = msg[0];
    const data = msg.subarray(1);
    if (channel === STDIN && stdin && data.length) {
      proc.stdin?.write(data);
      proc.stdin?.flush();
    } else if (channel === CLOSE && data[0] === STDIN) {
      proc.stdin?.end();
    }
  });
  ws.onClose(() => {
    if (proc.exitCode === null) proc.kill("SIGKILL");
  });

  const pump = async (stream: ReadableStream<Uint8Array> | undefined, channel: number, wanted: boolean) => {
    if (!stream) return;
    const reader = stream.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      if (wanted) send(channel, value);
    }
  };
  await Promise.all([
    pump(proc.stdout as ReadableStream<Uint8Array>, STDOUT, stdout),
    pump(proc.stderr as ReadableStream<Uint8Array>, STDERR, stderr),
  ]);
  const code = await proc.exited;
  send(ERROR, exitStatus(code));
  ws.close(1000);
}
