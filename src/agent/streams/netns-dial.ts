// Connections from the agent to a port of a pod, made where upstream's runtime makes them: to localhost inside
// the pod's network namespace (through `nsenter --net=… k3lite portforward-relay PORT`, since a thread of this
// process cannot switch namespaces safely), to localhost on the host for hostNetwork pods, or — when the
// namespace is unknown — to the pod IP. All three look alike to the port-forward session: a PodConnection.

import { spawn } from "node:child_process";
import type { Socket } from "node:net";
import { join } from "node:path";
import { dialLocalhost, dialTcp, RELAY_EXIT } from "./localhost-relay.ts";
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

/** The command line that runs this very k3lite: the compiled binary, or bun with the CLI's source. */
export function k3liteCommand(): string[] {
  if (import.meta.path.startsWith("/$bunfs/")) return [process.execPath];
  return [process.execPath, join(import.meta.dir, "../../cli/main.ts")];
}

/** Upstream's (containerd's) words when nothing listens on localhost:PORT in the pod's namespace. */
const refusedInNamespace = (port: number, name: string, reason: string) =>
  `failed to connect to localhost:${port} inside namespace "${name}", ${reason} `;

/**
 * Opens a connection to `port` of the pod whose network is `network`; `name` names it in errors (upstream uses
 * the sandbox ID).
 */
export function dialPod(network: PodNetwork, port: number, name: string): PodConnection {
  if (network.kind === "netns") return relayInNetns(network.path, port, name);
  if (network.kind === "host")
    return socketConnection(dialLocalhost(port), (msg) => refusedInNamespace(port, name, msg));
  return socketConnection(dialTcp(network.ip, port), (msg) => `failed to connect to ${network.ip}:${port}: ${msg}`);
}

/** A PodConnection over a TCP socket still connecting; writes wait for it. */
function socketConnection(dialing: Promise<Socket>, connectError: (msg: string) => string): PodConnection {
  let sock: Socket | undefined;
  let closed = false;
  const pending: Buffer[] = [];
  let ended = false;
  const dataFns: ((d: Buffer) => void)[] = [];
  const closeFns: ((e?: string) => void)[] = [];
  const close = (error?: string) => {
    if (closed) return;
    closed = true;
    for (const fn of closeFns) fn(error);
  };
  dialing.then(
    (s) => {
      if (closed) return void s.destroy();
      sock = s;
      let failure: string | undefined;
      s.on("data", (d: Buffer) => {
        for (const fn of dataFns) fn(d);
      });
      s.on("error", (err) => {
        failure = err.message;
      });
      s.on("close", () => close(failure));
      for (const d of pending.splice(0)) s.write(d);
      if (ended) s.end();
    },
    (err: Error) => close(connectError(err.message)),
  );
  return {
    write: (d) => (sock ? sock.write(d) : pending.push(d)),
    end: () => {
      if (sock) sock.end();
      else ended = true;
    },
    destroy: () => {
      sock?.destroy();
      close();
    },
    onData: (fn) => dataFns.push(fn),
    onClose: (fn) => closeFns.push(fn),
  };
}

/** A PodConnection through `k3lite portforward-relay` run inside the namespace at `netnsPath`. */
function relayInNetns(netnsPath: string, port: number, name: string): PodConnection {
  const child = spawn("nsenter", [`--net=${netnsPath}`, "--", ...k3liteCommand(), "portforward-relay", String(port)], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  let stderr = "";
  let closed = false;
  const closeFns: ((e?: string) => void)[] = [];
  const close = (error?: string) => {
    if (closed) return;
    closed = true;
    for (const fn of closeFns) fn(error);
  };
  child.stderr.on("data", (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  // The relay's stdin closes when it exits; a write after that must not take the agent down.
  child.stdin.on("error", () => {});
  child.on("error", (err) => close(`cannot run nsenter: ${err.message}`));
  child.on("close", (code, signal) => {
    const reason = stderr.trim();
    if (code === RELAY_EXIT.ok || signal === "SIGTERM") close();
    else if (code === RELAY_EXIT.refused) close(refusedInNamespace(port, name, reason));
    else close(reason || `port-forward relay for port ${port} exited with ${code ?? signal}`);
  });
  return {
    write: (d) => void child.stdin.write(d),
    end: () => child.stdin.end(),
    destroy: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
    },
    onData: (fn) => child.stdout.on("data", fn),
    onClose: (fn) => closeFns.push(fn),
  };
}
