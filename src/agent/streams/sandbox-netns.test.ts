import { expect, test } from "bun:test";
import { networkFromInfo } from "./sandbox-netns.ts";

// Shaped as containerd 1.6 answers PodSandboxStatus with verbose=true (info["info"], parsed).
const spec = (namespaces: { type: string; path?: string }[]) => ({ linux: { namespaces } });

test("the netns file from the runtime spec; hostNetwork has none; the sandbox pid as a last resort", () => {
  const path = "/var/run/netns/cni-d22b0b14-c29d-a9c2-6a43-288242893387";
  expect(
    networkFromInfo({ pid: 42, runtimeSpec: spec([{ type: "pid" }, { type: "network", path }, { type: "ipc" }]) }),
  ).toEqual({ kind: "netns", path });
  expect(networkFromInfo({ pid: 42, runtimeSpec: spec([{ type: "pid" }, { type: "ipc" }]) })).toEqual({
    kind: "host",
  });
  expect(networkFromInfo({ pid: 42 })).toEqual({ kind: "netns", path: "/proc/42/ns/net" });
  expect(networkFromInfo({ pid: 42, netNamespaceClosed: true })).toBeUndefined();
});
