// Which OCI runtime containerd's runc shim drives: crun when it is installed and this host's cgroup layout suits
// it, runc otherwise. crun (C) needs about a third of runc's (Go) CPU to create and start a container, and pod
// start-up on a small node is CPU-bound (see BENCHMARKS.md, pod start-up).

import { readFileSync } from "node:fs";

export interface OciRuntime {
  name: "crun" | "runc";
  /** Absolute path handed to the shim as BinaryName; undefined means the shim's default (runc in PATH). */
  binary?: string;
  /** Why crun was not chosen (check-config and the agent's log show it). */
  why?: string;
}

export interface HostFacts {
  /** Path of the crun binary, or null when it is not installed. */
  crun: string | null;
  /** /proc/self/mountinfo. */
  mountinfo: string;
  /** The cgroup.controllers file of a cgroup2 mount, by mount point. */
  controllersAt(mountPoint: string): string;
}

const SBIN_PATH = () => `${process.env.PATH ?? ""}:/usr/sbin:/sbin:/usr/local/sbin`;

function readOr(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return "";
  }
}

export function hostFacts(): HostFacts {
  return {
    crun: Bun.which("crun", { PATH: SBIN_PATH() }),
    mountinfo: readOr("/proc/self/mountinfo"),
    controllersAt: (mountPoint) => readOr(`${mountPoint}/cgroup.controllers`),
  };
}

/**
 * `preference`: "auto" (default), "crun", "runc" or a path to a runtime binary. crun refuses a hybrid cgroup
 * layout (v1 controllers plus a cgroup2 mount) when any controller sits in the cgroup2 hierarchy — some hosts
 * leave hugetlb there because nothing mounted it as v1 — so "auto" falls back to runc on such hosts.
 */
export function chooseOciRuntime(preference = "auto", facts: HostFacts = hostFacts()): OciRuntime {
  if (preference === "runc") return { name: "runc" };
  if (preference.startsWith("/")) return { name: preference.endsWith("crun") ? "crun" : "runc", binary: preference };
  if (!facts.crun) return { name: "runc", why: "crun is not installed" };
  const cgroup2 = facts.mountinfo
    .split("\n")
    .map((l) => l.split(" "))
    .filter((f) => f[f.indexOf("-") + 1] === "cgroup2")
    .map((f) => f[4] ?? "");
  const cgroup1 = facts.mountinfo.split("\n").some((l) => / - cgroup /.test(l));
  if (cgroup1 && cgroup2.length) {
    const mountPoint = cgroup2[0] as string;
    const controllers = facts.controllersAt(mountPoint).trim();
    if (controllers && preference !== "crun")
      return {
        name: "runc",
        why: `hybrid cgroups with controllers in the cgroup2 hierarchy at ${mountPoint} (${controllers}); mount them as v1 (e.g. mkdir /sys/fs/cgroup/hugetlb && mount -t cgroup -o hugetlb cgroup /sys/fs/cgroup/hugetlb) to let crun run`,
      };
  }
  return { name: "crun", binary: facts.crun };
}
