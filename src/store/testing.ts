// Small helpers for the store's tests and benchmark: byte values, polling for a condition, and collecting the
// events a watch delivers.
import type { KeyValue, Store, StoreError, StoreEvent } from "./types.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const bytes = (text: string): Uint8Array => encoder.encode(text);
export const text = (value: Uint8Array): string => decoder.decode(value);

/** The text of a value that must be there. */
export function textOf(kv: { value: Uint8Array } | undefined): string {
  if (!kv) throw new Error("expected a value, found none");
  return text(kv.value);
}

export async function mustGet(store: Store, key: string): Promise<KeyValue> {
  const kv = await store.get(key);
  if (!kv) throw new Error(`expected key "${key}" to exist`);
  return kv;
}

/** Polls `condition` until it holds; fails with `what` after `timeoutMs` (generous: shared CI machines are slow). */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
}

/** Expects `promise` to reject with a StoreError of `code`; returns the error for further checks. */
export async function storeErrorOf(promise: Promise<unknown>, code: StoreError["code"]): Promise<StoreError> {
  try {
    await promise;
  } catch (err) {
    const e = err as StoreError;
    if (e?.name === "StoreError" && e.code === code) return e;
    throw new Error(`expected StoreError "${code}", got ${String(err)}`);
  }
  throw new Error(`expected StoreError "${code}", but the call succeeded`);
}

/** A watch that records what it receives. */
export interface Recorder {
  events: StoreEvent[];
  errors: StoreError[];
  cancel(): void;
}

export async function record(store: Store, prefix: string, fromRevision: number): Promise<Recorder> {
  const events: StoreEvent[] = [];
  const errors: StoreError[] = [];
  const watcher = await store.watch(
    prefix,
    { fromRevision },
    (batch) => events.push(...batch),
    (err) => errors.push(err),
  );
  return { events, errors, cancel: () => watcher.cancel() };
}

/** Replays events over a key → value map, as an informer would over a list. */
export function applyEvents(state: Map<string, KeyValue>, events: StoreEvent[]): void {
  for (const event of events) {
    if (event.type === "delete") state.delete(event.kv.key);
    else state.set(event.kv.key, event.kv);
  }
}

/** key → "value@modRevision", for comparing states in one assertion. */
export function describeState(items: Iterable<KeyValue>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of items) out[kv.key] = `${text(kv.value)}@${kv.modRevision}`;
  return out;
}

/**
 * Starts testdata/ack-writer.ts (a process that creates keys from 8 writers until killed) and reads its "ack <key>
 * <revision>" lines until `count` writes were acknowledged; then runs `whileWriting` and kills it with SIGKILL.
 */
export async function withAckWriter<T>(
  args: string[],
  count: number,
  whileWriting: (acked: Map<string, number>) => Promise<T>,
): Promise<T> {
  const child = Bun.spawn([process.execPath, `${import.meta.dir}/testdata/ack-writer.ts`, ...args], {
    stdout: "pipe",
    stderr: "inherit",
  });
  const acked = new Map<string, number>();
  try {
    const reader = child.stdout.getReader();
    let buffered = "";
    while (acked.size < count) {
      const { value, done } = await reader.read();
      if (done) throw new Error("the ack writer exited early");
      buffered += decoder.decode(value, { stream: true });
      const lines = buffered.split("\n");
      buffered = lines.pop() ?? "";
      for (const line of lines) {
        const [word, key, revision] = line.split(" ");
        if (word === "ack") acked.set(key, Number(revision));
      }
    }
    return await whileWriting(acked);
  } finally {
    child.kill(9);
    await child.exited;
  }
}
