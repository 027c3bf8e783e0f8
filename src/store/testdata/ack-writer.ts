// Child process for the kill -9 durability test: opens the store an endpoint names and creates keys from 8
// concurrent writers until killed, printing "ack <key> <revision>" only after each write is acknowledged.
import { openStore } from "../index.ts";

const [dataDir, endpoint = ""] = process.argv.slice(2);
if (!dataDir) throw new Error("usage: ack-writer.ts <dataDir> [endpoint]");
const store = await openStore({ dataDir, endpoint, compactWindow: false });
const value = new Uint8Array(512).fill(7);
let next = 0;

async function writer(): Promise<void> {
  for (;;) {
    const key = `/durable/${String(next++).padStart(8, "0")}`;
    const kv = await store.create(key, value);
    process.stdout.write(`ack ${key} ${kv.modRevision}\n`);
  }
}

console.log("ready");
await Promise.all(Array.from({ length: 8 }, writer));
