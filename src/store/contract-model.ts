// A randomized check for the Store contract: seeded random creates, updates, deletes (with right and stale
// revisions, several submitted at once), compactions, reads at past revisions, paginated lists and watches, each
// compared with a plain in-memory model of the whole history. Part of describeStoreContract.
import { expect } from "bun:test";
import { applyEvents, bytes, describeState, text } from "./testing.ts";
import type { KeyValue, Store, StoreEvent } from "./types.ts";

interface Row {
  revision: number;
  key: string;
  deleted: boolean;
  value: string;
  createRevision: number;
}

/** The whole history as a list of rows; every question is answered by scanning it. */
class Model {
  rows: Row[] = [];
  head = 0;
  compacted = 0;

  latest(key: string, revision = this.head): Row | undefined {
    let found: Row | undefined;
    for (const row of this.rows) if (row.key === key && row.revision <= revision) found = row;
    return found && !found.deleted ? found : undefined;
  }

  state(prefix: string, revision: number): Record<string, string> {
    const keys = new Set(this.rows.filter((r) => r.key.startsWith(prefix)).map((r) => r.key));
    const live: KeyValue[] = [];
    for (const key of keys) {
      const row = this.latest(key, revision);
      if (row)
        live.push({ key, value: bytes(row.value), createRevision: row.createRevision, modRevision: row.revision });
    }
    return describeState(live);
  }

  append(key: string, value: string, deleted: boolean, createRevision?: number): number {
    const revision = ++this.head;
    this.rows.push({ revision, key, value, deleted, createRevision: createRevision ?? revision });
    return revision;
  }
}

/** mulberry32: a tiny seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PREFIXES = ["/m/a/", "/m/b/"];

export async function checkAgainstModel(store: Store, seed: number, steps: number): Promise<void> {
  const rand = random(seed);
  const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)];
  const model = new Model();
  const keys = PREFIXES.flatMap((p) => Array.from({ length: 6 }, (_, i) => `${p}k${i}`));
  const watches: { prefix: string; from: number; events: StoreEvent[] }[] = [];
  // A readable revision; never 0, which the contract reads as "the head" (or, for a watch, "from now").
  const pastRevision = () => model.compacted + Math.floor(rand() * (model.head - model.compacted + 1)) || model.head;

  for (let step = 0; step < steps; step++) {
    const roll = rand();
    if (roll < 0.6) {
      // Several writes submitted together share a transaction; they must behave as if applied in order.
      const group = Array.from({ length: 1 + Math.floor(rand() * 4) }, () => writeOp(store, model, pick(keys), rand));
      await Promise.all(group.map((op) => op()));
    } else if (roll < 0.75) {
      const key = pick(keys);
      const revision = pastRevision();
      const got = await store.get(key, { revision });
      const want = model.latest(key, revision);
      expect(got && `${text(got.value)}@${got.modRevision}`).toEqual(want && `${want.value}@${want.revision}`);
    } else if (roll < 0.88) {
      const prefix = pick([...PREFIXES, "/m/"]);
      const revision = pastRevision();
      const limit = 1 + Math.floor(rand() * 5);
      const seen: KeyValue[] = [];
      const total = Object.keys(model.state(prefix, revision)).length;
      let page = await store.list(prefix, { revision, limit });
      seen.push(...page.items);
      if (page.continue) expect(page.remaining).toBe(total - seen.length);
      while (page.continue) {
        // A write between pages must not show up in the pages that follow.
        if (rand() < 0.5) await writeOp(store, model, pick(keys), rand)();
        page = await store.list(prefix, { limit, continue: page.continue });
        seen.push(...page.items);
        if (page.continue) expect(page.remaining).toBe(total - seen.length);
        if (page.continue) expect(page.remaining).toBe(total - seen.length);
      }
      expect(describeState(seen)).toEqual(model.state(prefix, revision));
    } else if (roll < 0.94) {
      const prefix = pick(PREFIXES);
      const from = pastRevision();
      const watch = { prefix, from, events: [] as StoreEvent[] };
      await store.watch(prefix, { fromRevision: from }, (events) => watch.events.push(...events));
      watches.push(watch);
    } else if (model.head > model.compacted) {
      const target = pastRevision();
      await store.compact(target);
      model.compacted = Math.max(model.compacted, target);
      // Watches still starting below the new floor have already received their history; nothing else to do.
    }
  }

  await new Promise((resolve) => setTimeout(resolve, 10));
  for (const watch of watches) {
    const want = model.rows.filter((r) => r.revision > watch.from && r.key.startsWith(watch.prefix));
    expect(watch.events.map((e) => `${e.type}:${e.kv.key}@${e.kv.modRevision}`)).toEqual(
      want.map((r) => `${eventType(model, r)}:${r.key}@${r.revision}`),
    );
    // Applying a watch's events to the state at its start revision gives the head state.
    if (watch.from === 0) continue;
    const state = new Map<string, KeyValue>();
    for (const [key, v] of Object.entries(model.state(watch.prefix, watch.from))) {
      const [value, rev] = v.split("@");
      state.set(key, { key, value: bytes(value), createRevision: 0, modRevision: Number(rev) });
    }
    applyEvents(state, watch.events);
    expect(describeState(state.values())).toEqual(model.state(watch.prefix, model.head));
  }
}

function eventType(model: Model, row: Row): string {
  if (row.deleted) return "delete";
  const before = model.rows.filter((r) => r.key === row.key && r.revision < row.revision).at(-1);
  return before && !before.deleted ? "update" : "create";
}

/**
 * One random write against `key`: the store call and the model's expectation are fixed now (in submission order),
 * the outcome is checked when the returned function runs.
 */
function writeOp(store: Store, model: Model, key: string, rand: () => number): () => Promise<void> {
  const current = model.latest(key);
  const value = `v${model.head}-${Math.floor(rand() * 1000)}`;
  const stale = rand() < 0.2;
  const kind = rand();
  let call: Promise<KeyValue>;
  let expected: string;
  if (kind < 0.35) {
    call = store.create(key, bytes(value));
    expected = current ? "exists" : `ok@${model.append(key, value, false)}`;
  } else if (kind < 0.75) {
    const revision = current ? current.revision - (stale ? 1 : 0) : 1;
    call = store.update(key, bytes(value), revision);
    if (!current) expected = "not-found";
    else if (stale) expected = "conflict";
    else expected = `ok@${model.append(key, value, false, current.createRevision)}`;
  } else {
    const revision = current && rand() < 0.5 ? current.revision - (stale ? 1 : 0) : undefined;
    call = store.delete(key, revision);
    if (!current) expected = "not-found";
    else if (revision !== undefined && stale) expected = "conflict";
    else expected = `ok@${model.append(key, current.value, true, current.createRevision)}`;
  }
  return async () => {
    const outcome = await call.then(
      (kv) => `ok@${kv.modRevision}`,
      (err) => (err as { code?: string }).code ?? String(err),
    );
    expect(`${key}: ${outcome}`).toBe(`${key}: ${expected}`);
  };
}
