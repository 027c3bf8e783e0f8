import { expect, test } from "bun:test";
import { networkInterfaces } from "node:os";
import { fibTrieHasLocal, networkOfAddress } from "./netns-by-address.ts";

const FIB_TRIE = `Main:
  +-- 0.0.0.0/0 3 0 5
     +-- 10.42.0.0/24 2 0 2
        +-- 10.42.0.0/30 2 0 2
           |-- 10.42.0.0
              /24 link UNICAST
           |-- 10.42.0.5
              /32 host LOCAL
        |-- 10.42.0.255
           /32 link BROADCAST
Local:
  +-- 0.0.0.0/0 3 0 5
`;

test("fib_trie: local addresses only, not networks, broadcasts or mere prefixes", () => {
  expect(fibTrieHasLocal(FIB_TRIE, "10.42.0.5")).toBe(true);
  expect(fibTrieHasLocal(FIB_TRIE, "10.42.0.0")).toBe(false);
  expect(fibTrieHasLocal(FIB_TRIE, "10.42.0.255")).toBe(false);
  expect(fibTrieHasLocal(FIB_TRIE, "10.42.0.50")).toBe(false);
});

test("an address of this host is the host's own; an address nobody holds is nowhere", () => {
  const own = Object.values(networkInterfaces())
    .flat()
    .find((i) => i?.family === "IPv4" && !i.internal)?.address;
  if (own) expect(networkOfAddress(own)).toEqual({ kind: "host" });
  expect(networkOfAddress("192.0.2.222")).toBeUndefined();
});
