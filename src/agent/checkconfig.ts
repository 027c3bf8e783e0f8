// `k3lite check-config`: whether this machine can run pods — containerd and runc binaries, CNI plugins,
// cgroups (v1 controllers or v2 with the ones pods need), overlayfs, br_netfilter, iptables, ip_forward — with
// install hints for Debian, Raspberry Pi OS and Alpine. Returns report lines; `ok` is false if any required
// check fails.

import { existsSync, readFileSync } from "node:fs";
import { chooseOciRuntime } from "./cri/oci-runtime.ts";

export interface CheckResult {
  ok: boolean;
  lines: string[];
}

interface Check {
  name: string;
  required: boolean;
  test(): boolean | string; // true, or a short reason
  hint: string;
}

const read = (p: string) => {
  try {
    return readFileSync(p, "utf8");
  } catch {
    return "";
  }
};

const which = (bin: string) =>
  Bun.which(bin, { PATH: `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/local/sbin` }) !== null;

function cgroupControllers(): { version: 1 | 2; controllers: Set<string> } {
  const v2 = read("/sys/fs/cgroup/cgroup.controllers");
  if (v2) return { version: 2, controllers: new Set(v2.trim().split(/\s+/)) };
  const enabled = read("/proc/cgroups")
    .split("\n")
    .filter((l) => l && !l.startsWith("#"))
    .map((l) => l.split(/\s+/))
    .filter((f) => f[3] === "1")
    .map((f) => f[0] as string);
  return { version: 1, controllers: new Set(enabled) };
}

const moduleLoaded = (name: string, sysPath: string) =>
  existsSync(sysPath) ||
  read("/proc/modules")
    .split("\n")
    .some((l) => l.startsWith(`${name} `));

const INSTALL =
  "Debian / Raspberry Pi OS: apt-get install -y containerd runc containernetworking-plugins iptables\n" +
  "      Alpine: apk add containerd runc cni-plugins iptables";

const CHECKS: Check[] = [
  { name: "containerd binary", required: true, test: () => which("containerd") || "not in PATH", hint: INSTALL },
  { name: "ctr binary (image import)", required: true, test: () => which("ctr") || "not in PATH", hint: INSTALL },
  {
    name: "containerd-shim-runc-v2",
    required: true,
    test: () => which("containerd-shim-runc-v2") || "not in PATH",
    hint: INSTALL,
  },
  { name: "runc binary", required: true, test: () => which("runc") || "not in PATH", hint: INSTALL },
  {
    name: "crun (starts containers with a third of runc's CPU; used when present)",
    required: false,
    test: () => {
      const oci = chooseOciRuntime();
      return oci.name === "crun" || `runc will be used: ${oci.why}`;
    },
    hint: "Debian / Raspberry Pi OS: apt-get install -y crun\n      Alpine: apk add crun",
  },
  {
    name: "CNI plugins (bridge, host-local, portmap, loopback)",
    required: true,
    test: () =>
      ["bridge", "host-local", "portmap", "loopback"].every((p) => existsSync(`/usr/lib/cni/${p}`)) ||
      "missing in /usr/lib/cni",
    hint: "Debian / Raspberry Pi OS: apt-get install -y containernetworking-plugins\n      Alpine: apk add cni-plugins (then link /usr/libexec/cni to /usr/lib/cni)",
  },
  {
    name: "cgroups (cpu, memory, pids)",
    required: true,
    test: () => {
      const { version, controllers } = cgroupControllers();
      const missing = ["cpu", "memory", "pids"].filter((c) => !controllers.has(c));
      return missing.length === 0 || `cgroup v${version} lacks ${missing.join(", ")}`;
    },
    hint:
      "Raspberry Pi OS: add `cgroup_memory=1 cgroup_enable=memory` to /boot/firmware/cmdline.txt and reboot\n" +
      "      Alpine: rc-update add cgroups boot",
  },
  {
    name: "overlay filesystem",
    required: true,
    test: () =>
      read("/proc/filesystems").includes("overlay") ||
      moduleLoaded("overlay", "/sys/module/overlay") ||
      "not available",
    hint: "modprobe overlay (and add it to /etc/modules)",
  },
  {
    name: "br_netfilter (iptables sees bridged pod traffic)",
    required: false,
    test: () => moduleLoaded("br_netfilter", "/proc/sys/net/bridge/bridge-nf-call-iptables") || "module not loaded",
    hint: "modprobe br_netfilter (and add it to /etc/modules); Services between pods on one node need it",
  },
  {
    name: "iptables",
    required: true,
    test: () => which("iptables") || "not in PATH",
    hint: "Debian / Raspberry Pi OS: apt-get install -y iptables\n      Alpine: apk add iptables",
  },
  {
    name: "IPv4 forwarding",
    required: false,
    test: () => read("/proc/sys/net/ipv4/ip_forward").trim() === "1" || "off (k3lite turns it on at start)",
    hint: "sysctl -w net.ipv4.ip_forward=1",
  },
  {
    name: "running as root",
    required: true,
    test: () => process.getuid?.() === 0 || "pods need root (or a rootless set-up k3lite does not support yet)",
    hint: "run k3lite with sudo",
  },
];

export function checkConfig(): CheckResult {
  const lines: string[] = [];
  let ok = true;
  for (const c of CHECKS) {
    let result: boolean | string;
    try {
      result = c.test();
    } catch (err) {
      result = (err as Error).message;
    }
    if (result === true) {
      lines.push(`ok    ${c.name}`);
      continue;
    }
    if (c.required) ok = false;
    lines.push(`${c.required ? "FAIL" : "warn"}  ${c.name}: ${result}`);
    lines.push(`      fix: ${c.hint}`);
  }
  lines.push(
    ok ? "k3lite can run pods on this machine." : "Some required checks failed: fix them before running pods.",
  );
  return { ok, lines };
}
