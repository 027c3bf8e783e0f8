// Finds the network namespace that owns an IPv4 address, from /proc alone: each distinct /proc/PID/ns/net is
// one namespace, and /proc/PID/net/fib_trie lists that namespace's local addresses. The fallback for reaching a
// pod's localhost when the runtime cannot name its sandbox's namespace (see sandbox-netns.ts for the usual way).

import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type { SandboxNetwork } from "./sandbox-netns.ts";

/** Whether `fibTrie` (the text of /proc/…/net/fib_trie) has `ip` as a local (/32 host LOCAL) address. */
export function fibTrieHasLocal(fibTrie: string, ip: string): boolean {
  let current = "";
  for (const line of fibTrie.split("\n")) {
    const leaf = /\|-- (\S+)/.exec(line);
    if (leaf) current = leaf[1] as string;
    else if (current === ip && line.includes("/32 host LOCAL")) return true;
  }
  return false;
}

const readOr = <T>(fn: () => T, fallback: T): T => {
  try {
    return fn();
  } catch {
    return fallback; // processes come and go while we look
  }
};

/**
 * The network that holds `ip` as a local address: ours ("host") or another namespace. Undefined when none does,
 * or when several do (two pod networks on one host may reuse an address; better no answer than the wrong pod).
 */
export function networkOfAddress(ip: string, proc = "/proc"): SandboxNetwork | undefined {
  const own = readOr(() => readlinkSync(`${proc}/self/ns/net`), "");
  const seen = new Set<string>();
  const found: SandboxNetwork[] = [];
  for (const pid of readdirSync(proc)) {
    if (!/^\d+$/.test(pid)) continue;
    const ns = readOr(() => readlinkSync(`${proc}/${pid}/ns/net`), "");
    if (!ns || seen.has(ns)) continue;
    seen.add(ns);
    const fibTrie = readOr(() => readFileSync(`${proc}/${pid}/net/fib_trie`, "utf8"), "");
    if (fibTrieHasLocal(fibTrie, ip))
      found.push(ns === own ? { kind: "host" } : { kind: "netns", path: `${proc}/${pid}/ns/net` });
  }
  return found.length === 1 ? found[0] : undefined;
}
