// Connections from the agent to a port of a pod, made where upstream's runtime makes them: to localhost inside
// the pod's network namespace, to localhost on the host for hostNetwork pods, or — when the namespace is unknown —
// to the pod IP. A thread of this process cannot switch namespaces safely, so namespace connections go through
// one `nsenter --net=… k3lite portforward-relay` process per namespace and dialer, multiplexed (relay-protocol.ts).

import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import type { Socket } from "node:net";
import { join } from "node:path";
import { dialLocalhost, dialTcp } from "./localhost-relay.ts";
import { encodeFrame, type Frame, FrameType, frameReader } from "./relay-protocol.ts";
import type { SandboxNetwork } from "./sandbox-netns.ts";

/** Where to reach a pod's ports: its network (from the runtime), or only its IP. */
export type PodNetwork = SandboxNetwork | { kind: "ip"; ip: string };

export interface PodConnection {
  write(data: Buffer): void;
  /** The client sends no more: half-close towards the pod. */
  end(): void;
  destroy(): void;
  onData(fn: (data: Buffer) => void): void;
  /** Called once when the connection is over; `error` says why it failed, in upstream's words. */
  onClose(fn: (error?: string) => void): void;
}

/** Opens connections to pods' ports; `close()` ends them all and the relay processes behind them. */
export interface PodDialer {
  /** `name` names the pod in errors (upstream uses the sandbox ID). */
  dial(network: PodNetwork, port: number, name: string): PodConnection;
  close(): void;
}

/** The command line that runs this very k3lite: the compiled binary, or bun with the CLI's source. */
export function k3liteCommand(): string[] {
  if (import.meta.path.startsWith("/$bunfs/")) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "../../cli/main.ts")];
}

/** Upstream's (containerd's) words when nothing listens on localhost:PORT in the pod's namespace. */
const refusedInNamespace = (port: number, name: string, reason: string) =>
  `failed to connect to localhost:${port} inside namespace "${name}", ${reason} `;

/** The listener side of a PodConnection: whoever moves the bytes calls emitData/emitClose. */
function connectionEvents() {
  const dataFns: ((d: Buffer) => void)[] = [];
  const closeFns: ((e?: string) => void)[] = [];
  let closed = false;
  return {
    get closed() {
      return closed;
    },
    emitData: (d: Buffer) => {
      for (const fn of dataFns) fn(d);
    },
    emitClose: (error?: string) => {
      if (closed) return;
      closed = true;
      for (const fn of closeFns) fn(error || undefined);
    },
    onData: (fn: (d: Buffer) => void) => void dataFns.push(fn),
    onClose: (fn: (e?: string) => void) => void closeFns.push(fn),
  };
}

export function createPodDialer(): PodDialer {
  const relays = new Map<string, NetnsRelay>();
  const sockets = new Set<PodConnection>();
  let closed = false;
  return {
    dial(network, port, name) {
      // A lookup that finishes after the session ended must not start a relay nobody stops.
      if (closed) return socketConnection(Promise.reject(new Error("port-forward session closed")), (m) => m);
      if (network.kind === "netns") {
        const path = network.path;
        let relay = relays.get(path);
        if (!relay) {
          const started = startRelay(path, () => {
            if (relays.get(path) === started) relays.delete(path);
          });
          relays.set(path, started);
          relay = started;
        }
        return relay.open(port, name);
      }
      const conn =
        network.kind === "host"
          ? socketConnection(dialLocalhost(port), (msg) => refusedInNamespace(port, name, msg))
          : socketConnection(dialTcp(network.ip, port), (msg) => `failed to connect to ${network.ip}:${port}: ${msg}`);
      sockets.add(conn);
      conn.onClose(() => sockets.delete(conn));
      return conn;
    },
    close() {
      closed = true;
      for (const conn of sockets) conn.destroy();
      for (const relay of relays.values()) relay.stop();
    },
  };
}

/** A PodConnection over a TCP socket still connecting; writes wait for it. */
function socketConnection(dialing: Promise<Socket>, connectError: (msg: string) => string): PodConnection {
  const events = connectionEvents();
  let sock: Socket | undefined;
  const pending: Buffer[] = [];
  let ended = false;
  dialing.then(
    (s) => {
      if (events.closed) return void s.destroy();
      sock = s;
      let failure = "";
      s.on("data", events.emitData);
      s.on("error", (err) => {
        failure = err.message;
      });
      s.on("close", () => events.emitClose(failure));
      for (const d of pending.splice(0)) s.write(d);
      if (ended) s.end();
    },
    (err: Error) => events.emitClose(connectError(err.message)),
  );
  return {
    write: (d) => (sock ? sock.write(d) : pending.push(d)),
    end: () => {
      if (sock) sock.end();
      else ended = true;
    },
    destroy: () => {
      sock?.destroy();
      events.emitClose();
    },
    onData: events.onData,
    onClose: events.onClose,
  };
}

interface NetnsRelay {
  open(port: number, name: string): PodConnection;
  stop(): void;
}

/** One relay process inside the namespace at `netnsPath`; `onExit` runs when it is gone. */
function startRelay(netnsPath: string, onExit: () => void): NetnsRelay {
  const child: ChildProcessWithoutNullStreams = spawn(
    "nsenter",
    [`--net=${netnsPath}`, "--", ...k3liteCommand(), "portforward-relay"],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  const conns = new Map<number, { events: ReturnType<typeof connectionEvents>; port: number; name: string }>();
  let nextId = 1;
  let stderr = "";
  let exited = false;
  const send = (id: number, type: FrameType, payload?: Buffer) => {
    if (!exited) child.stdin.write(encodeFrame(id, type, payload));
  };

  child.stdout.on(
    "data",
    frameReader(({ id, type, payload }: Frame) => {
      const c = conns.get(id);
      if (!c) return;
      if (type === FrameType.DATA) c.events.emitData(payload);
      else if (type === FrameType.REFUSED || type === FrameType.CLOSED) {
        conns.delete(id);
        const reason = payload.toString();
        c.events.emitClose(type === FrameType.REFUSED ? refusedInNamespace(c.port, c.name, reason) : reason);
      }
      // END: the pod half-closed; its CLOSED follows once our side is done too.
    }),
  );
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  // Writes racing the relay's exit must not take the agent down.
  child.stdin.on("error", () => {});
  const gone = (why: string) => {
    if (exited) return;
    exited = true;
    onExit();
    for (const c of conns.values()) c.events.emitClose(why);
    conns.clear();
  };
  child.on("error", (err) => gone(`cannot run nsenter: ${err.message}`));
  child.on("close", (code, signal) => gone(stderr.trim() || `port-forward relay exited (${code ?? signal})`));

  return {
    open(port, name) {
      const id = nextId++;
      const events = connectionEvents();
      conns.set(id, { events, port, name });
      send(id, FrameType.OPEN, Buffer.from(String(port)));
      if (exited) events.emitClose("port-forward relay is gone");
      return {
        write: (d) => send(id, FrameType.DATA, d),
        end: () => send(id, FrameType.END),
        destroy: () => {
          if (conns.delete(id)) send(id, FrameType.CLOSE);
          events.emitClose();
        },
        onData: events.onData,
        onClose: events.onClose,
      };
    },
    stop() {
      // The relay tears its connections down and exits when its stdin closes.
      for (const c of conns.values()) c.events.emitClose();
      conns.clear();
      child.stdin.end();
      setTimeout(() => {
        if (!exited) child.kill("SIGKILL");
      }, 5000).unref();
    },
  };
}
