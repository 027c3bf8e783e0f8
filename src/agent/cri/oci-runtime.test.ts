import { expect, test } from "bun:test";
import { chooseOciRuntime, type HostFacts } from "./oci-runtime.ts";

const line = (mountPoint: string, fs: string) => `30 23 0:26 / ${mountPoint} rw,relatime shared:9 - ${fs} cgroup rw`;
const hybrid = [line("/sys/fs/cgroup/memory", "cgroup"), line("/sys/fs/cgroup/unified", "cgroup2")].join("\n");
const facts = (over: Partial<HostFacts> = {}): HostFacts => ({
  crun: "/usr/bin/crun",
  mountinfo: line("/sys/fs/cgroup", "cgroup2"),
  controllersAt: () => "cpu memory pids",
  ...over,
});

test("crun when installed on a cgroup v2 host, runc when it is not installed", () => {
  expect(chooseOciRuntime("auto", facts())).toEqual({ name: "crun", binary: "/usr/bin/crun" });
  expect(chooseOciRuntime("auto", facts({ crun: null }))).toMatchObject({
    name: "runc",
    why: expect.stringMatching(/not installed/),
  });
});

test("hybrid cgroups: crun only when the cgroup2 hierarchy holds no controller", () => {
  expect(chooseOciRuntime("auto", facts({ mountinfo: hybrid, controllersAt: () => "\n" })).name).toBe("crun");
  const withHugetlb = facts({
    mountinfo: hybrid,
    controllersAt: (m) => (m === "/sys/fs/cgroup/unified" ? "hugetlb\n" : ""),
  });
  expect(chooseOciRuntime("auto", withHugetlb)).toMatchObject({ name: "runc", why: expect.stringMatching(/hugetlb/) });
  expect(chooseOciRuntime("crun", withHugetlb).name).toBe("crun");
});

test("an explicit choice wins", () => {
  expect(chooseOciRuntime("runc", facts())).toEqual({ name: "runc" });
  expect(chooseOciRuntime("/opt/bin/crun", facts({ crun: null }))).toEqual({ name: "crun", binary: "/opt/bin/crun" });
});
