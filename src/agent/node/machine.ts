// Facts about this machine that the Node object reports: capacity, addresses, nodeInfo. Read from the kernel
// (/proc, statfs, os) each time, so status updates reflect changes (e.g. a new default route).

import { readFileSync, statfsSync } from "node:fs";
import os from "node:os";
import type { core } from "../../api/types.ts";
import { parseQuantity } from "../../client/quantity.ts";

export const MAX_PODS = 110;

const readOr = (path: string, fallback = "") => {
  try {
    return readFileSync(path, "utf8").trim();
  } catch {
    return fallback;
  }
};

export function goArch(arch = process.arch): string {
  return ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386" } as Record<string, string>)[arch] ?? arch;
}

export function osImage(): string {
  const m = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readOr("/etc/os-release"));
  return m?.[1] ?? "Linux";
}

/** The IPv4 address of the interface holding the default route (what kubelet picks without --node-ip). */
export function defaultRouteIp(): string | undefined {
  const out = Bun.spawnSync(["ip", "-4", "route", "get", "1.1.1.1"], { stderr: "ignore" });
  const m = /\bsrc (\d+\.\d+\.\d+\.\d+)/.exec(out.stdout.toString());
  if (m) return m[1];
  for (const addrs of Object.values(os.networkInterfaces()))
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return undefined;
}

export function nodeAddresses(nodeIp?: string): core.NodeAddress[] {
  const ip = nodeIp ?? defaultRouteIp() ?? "127.0.0.1";
  return [
    { type: "InternalIP", address: ip },
    { type: "Hostname", address: os.hostname() },
  ];
}

export interface Capacity {
  cpu: number; // cores
  memory: number; // bytes
  ephemeralStorage: number; // bytes
  pods: number;
}

export function machineCapacity(dataDir: string): Capacity {
  let ephemeralStorage = 0;
  try {
    const fs = statfsSync(dataDir);
    ephemeralStorage = fs.blocks * fs.bsize;
  } catch {}
  return { cpu: os.cpus().length, memory: os.totalmem(), ephemeralStorage, pods: MAX_PODS };
}

/** Parses `--kube-reserved`/`--system-reserved` ("cpu=100m,memory=256Mi,ephemeral-storage=1Gi"). */
export function parseReserved(spec: string | undefined): Partial<Capacity> {
  const out: Partial<Capacity> = {};
  for (const part of (spec ?? "").split(",").filter(Boolean)) {
    const [key, value] = part.split("=", 2).map((s) => s.trim());
    if (!key || value === undefined) throw new Error(`invalid reservation "${part}": expected resource=quantity`);
    const q = parseQuantity(value);
    if (key === "cpu") out.cpu = q;
    else if (key === "memory") out.memory = q;
    else if (key === "ephemeral-storage") out.ephemeralStorage = q;
    else if (key === "pid") continue;
    else throw new Error(`invalid reservation "${part}": unknown resource ${key}`);
  }
  return out;
}

const kib = (bytes: number) => `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
const milli = (cores: number) => `${Math.max(0, Math.round(cores * 1000))}m`;

export function resourceList(c: Capacity): Record<string, string> {
  return {
    cpu: Number.isInteger(c.cpu) ? String(c.cpu) : milli(c.cpu),
    memory: kib(c.memory),
    "ephemeral-storage": kib(c.ephemeralStorage),
    pods: String(c.pods),
  };
}

export function allocatable(c: Capacity, ...reserved: Partial<Capacity>[]): Capacity {
  const sum = (k: keyof Capacity) => reserved.reduce((acc, r) => acc + (r[k] ?? 0), 0);
  return {
    cpu: Math.max(0, c.cpu - sum("cpu")),
    memory: Math.max(0, c.memory - sum("memory")),
    ephemeralStorage: Math.max(0, c.ephemeralStorage - sum("ephemeralStorage")),
    pods: c.pods,
  };
}

export function nodeSystemInfo(runtimeVersion: string, kubeletVersion: string): core.NodeSystemInfo {
  return {
    architecture: goArch(),
    bootID: readOr("/proc/sys/kernel/random/boot_id"),
    containerRuntimeVersion: runtimeVersion,
    kernelVersion: os.release(),
    kubeProxyVersion: "",
    kubeletVersion,
    machineID: readOr("/etc/machine-id", readOr("/var/lib/dbus/machine-id")),
    operatingSystem: "linux",
    osImage: osImage(),
    systemUUID: readOr("/sys/class/dmi/id/product_uuid"),
  };
}

/** MemAvailable from /proc/meminfo, in bytes. */
export function memoryAvailable(): number {
  const m = /^MemAvailable:\s+(\d+) kB$/m.exec(readOr("/proc/meminfo"));
  return m ? Number(m[1]) * 1024 : os.freemem();
}

export function diskAvailable(path: string): { available: number; capacity: number } {
  try {
    const fs = statfsSync(path);
    return { available: fs.bavail * fs.bsize, capacity: fs.blocks * fs.bsize };
  } catch {
    return { available: 1, capacity: 1 };
  }
}

/** Processes running and the kernel's limit. */
export function pidUsage(): { used: number; max: number } {
  const used = Number(/\d+\/(\d+)/.exec(readOr("/proc/loadavg"))?.[1] ?? 0);
  const max = Number(readOr("/proc/sys/kernel/pid_max", "32768"));
  return { used, max };
}
