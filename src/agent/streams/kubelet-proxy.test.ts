import { expect, test } from "bun:test";
import { kubeletPath } from "./kubelet-proxy.ts";

test("API subresource requests map to the agent's paths", () => {
  const q = new URLSearchParams("command=sh&command=-c&command=echo%20hi&stdin=true&stdout=true&tty=true&container=c");
  expect(kubeletPath("exec", "ns", "p", "c", q)).toBe(
    "/exec/ns/p/c?command=sh&command=-c&command=echo+hi&input=1&output=1&tty=1",
  );
  expect(kubeletPath("log", "ns", "p", "c", new URLSearchParams("follow=true&tailLines=5&container=c"))).toBe(
    "/containerLogs/ns/p/c?follow=true&tailLines=5",
  );
  expect(kubeletPath("portforward", "ns", "p", "", new URLSearchParams("ports=80"))).toBe("/portForward/ns/p");
});
