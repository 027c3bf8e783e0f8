// The Store contract as a reusable test suite: every backend (SQLite now, PostgreSQL later) runs it unchanged.
// `makeStore` returns a fresh, empty store with background compaction off; `endpoint`, when given, returns a fresh
// --datastore-endpoint for the kill -9 test, which runs a child process against it.
import { describe, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkAgainstModel } from "./contract-model.ts";
import { openStore } from "./index.ts";
import {
  applyEvents,
  bytes,
  describeState,
  mustGet,
  type Recorder,
  record,
  storeErrorOf,
  text,
  textOf,
  waitFor,
  withAckWriter,
} from "./testing.ts";
import type { KeyValue, Store } from "./types.ts";

export interface ContractOptions {
  /** A fresh endpoint (and data dir) for `openStore`, shared by a child writer and the test. */
  endpoint?: () => { dataDir: string; endpoint: string };
}

export function describeStoreContract(name: string, makeStore: () => Promise<Store>, opts: ContractOptions = {}) {
  /** Runs `body` against a fresh store and always closes it. */
  const withStore = (body: (store: Store) => Promise<void>) => async () => {
    const store = await makeStore();
    try {
      await body(store);
    } finally {
      await store.close();
    }
  };

  describe(`Store contract: ${name}`, () => {
    test(
      "create, get, update, delete with one strictly increasing revision starting at 1",
      withStore(async (store) => {
        expect(await store.currentRevision()).toBe(0);
        const a = await store.create("/r/a", bytes("a1"));
        expect(a).toMatchObject({ key: "/r/a", createRevision: 1, modRevision: 1 });
        const b = await store.create("/r/b", bytes("b1"));
        expect(b.modRevision).toBe(2);
        const a2 = await store.update("/r/a", bytes("a2"), a.modRevision);
        expect(a2).toMatchObject({ createRevision: 1, modRevision: 3 });
        expect(textOf(await store.get("/r/a"))).toBe("a2");
        expect(textOf(await store.get("/r/a", { revision: 2 }))).toBe("a1");
        const gone = await store.delete("/r/b");
        expect(text(gone.value)).toBe("b1");
        expect(gone.modRevision).toBe(4);
        expect(await store.get("/r/b")).toBeUndefined();
        expect(await store.get("/r/b", { revision: 3 })).toBeDefined();
        expect(await store.currentRevision()).toBe(4);
        expect(await store.count("/r/")).toBe(1);
        // A deleted key can be created again, with a new createRevision.
        const b2 = await store.create("/r/b", bytes("b2"));
        expect(b2).toMatchObject({ createRevision: 5, modRevision: 5 });
      }),
    );

    test(
      "errors: exists, not-found, conflict; a failed write writes nothing",
      withStore(async (store) => {
        const a = await store.create("/e/a", bytes("1"));
        const exists = await storeErrorOf(store.create("/e/a", bytes("x")), "exists");
        expect(exists.current?.modRevision).toBe(a.modRevision);
        await storeErrorOf(store.update("/e/missing", bytes("x"), 1), "not-found");
        await storeErrorOf(store.delete("/e/missing"), "not-found");
        const a2 = await store.update("/e/a", bytes("2"), a.modRevision);
        const conflict = await storeErrorOf(store.update("/e/a", bytes("stale"), a.modRevision), "conflict");
        expect(conflict.current?.modRevision).toBe(a2.modRevision);
        expect(textOf(conflict.current)).toBe("2");
        await storeErrorOf(store.delete("/e/a", a.modRevision), "conflict");
        expect(await store.currentRevision()).toBe(a2.modRevision);
        expect(textOf(await store.get("/e/a"))).toBe("2");
        await store.delete("/e/a", a2.modRevision);
        expect(await store.get("/e/a")).toBeUndefined();
      }),
    );

    test(
      "list by prefix in key order, count, bad continue token",
      withStore(async (store) => {
        for (const key of ["/p/b", "/p/a", "/p/c/x", "/q/a", "/p"]) await store.create(key, bytes(key));
        const list = await store.list("/p/");
        expect(list.items.map((kv) => kv.key)).toEqual(["/p/a", "/p/b", "/p/c/x"]);
        expect(list.revision).toBe(5);
        expect(list.continue).toBeUndefined();
        expect(await store.count("/p/")).toBe(3);
        expect(await store.count("")).toBe(5);
        await storeErrorOf(store.list("/p/", { continue: "not-a-token" }), "bad-continue");
      }),
    );

    test(
      "pagination stays at the first page's revision while writes happen between pages",
      withStore(async (store) => {
        for (let i = 0; i < 25; i++) await store.create(`/page/${String(i).padStart(2, "0")}`, bytes(`v${i}`));
        const snapshot = describeState((await store.list("/page/")).items);
        const seen: KeyValue[] = [];
        let page = await store.list("/page/", { limit: 10 });
        const revision = page.revision;
        expect(page.remaining).toBe(15);
        for (let round = 0; ; round++) {
          seen.push(...page.items);
          if (page.continue) expect(page.remaining).toBe(25 - seen.length);
          if (!page.continue) break;
          // Writes between pages, before and after the cursor: none may show up in later pages.
          await store.create(`/page/${String(round).padStart(2, "0")}x`, bytes("new"));
          await store.create(`/page/zz${round}`, bytes("new"));
          const victim = await store.get(`/page/${String(20 + round).padStart(2, "0")}`);
          if (victim) await store.update(victim.key, bytes("changed"), victim.modRevision);
          await store.delete(`/page/${String(24 - round).padStart(2, "0")}`);
          page = await store.list("/page/", { limit: 10, continue: page.continue });
          expect(page.revision).toBe(revision);
        }
        expect(describeState(seen)).toEqual(snapshot);
        expect(seen.map((kv) => kv.key)).toEqual(Object.keys(snapshot).sort());
      }),
    );

    test(
      "watch delivers creates, updates and deletes in order, with prevKv, filtered by prefix",
      withStore(async (store) => {
        const rec = await record(store, "/w/", 0);
        const other = await record(store, "/other/", 0);
        const a = await store.create("/w/a", bytes("1"));
        await store.create("/other/x", bytes("x"));
        const a2 = await store.update("/w/a", bytes("2"), a.modRevision);
        await store.delete("/w/a");
        await waitFor(() => rec.events.length >= 3, "3 events on /w/");
        expect(rec.events.map((e) => [e.type, e.kv.modRevision, e.prevKv?.modRevision])).toEqual([
          ["create", 1, undefined],
          ["update", 3, 1],
          ["delete", 4, 3],
        ]);
        expect(textOf(rec.events[1].prevKv)).toBe("1");
        expect(text(rec.events[2].kv.value)).toBe("2");
        expect(textOf(rec.events[2].prevKv)).toBe("2");
        expect(rec.events[2].prevKv?.modRevision).toBe(a2.modRevision);
        await waitFor(() => other.events.length >= 1, "the /other/ event");
        expect(other.events.map((e) => e.kv.key)).toEqual(["/other/x"]);
        rec.cancel();
        await store.create("/w/b", bytes("after cancel"));
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(rec.events.length).toBe(3);
      }),
    );

    test(
      "watch from a past revision replays history, then goes live without gap or duplicate",
      withStore(async (store) => {
        const a = await store.create("/h/a", bytes("1"));
        const a2 = await store.update("/h/a", bytes("2"), a.modRevision);
        await store.delete("/h/a");
        const rec = await record(store, "/h/", a.modRevision);
        await store.create("/h/b", bytes("live"));
        await waitFor(() => rec.events.length >= 3, "replayed and live events");
        await new Promise((resolve) => setTimeout(resolve, 20));
        expect(rec.events.map((e) => [e.type, e.kv.modRevision, e.prevKv?.modRevision])).toEqual([
          ["update", a2.modRevision, a.modRevision],
          ["delete", 3, a2.modRevision],
          ["create", 4, undefined],
        ]);
        expect(textOf(rec.events[1].prevKv)).toBe("2");
      }),
    );

    test(
      "a watch from a revision ahead of the head delivers only what comes after that revision",
      withStore(async (store) => {
        await store.create("/f/a", bytes("1"));
        const rec = await record(store, "/f/", 3);
        await store.create("/f/b", bytes("2"));
        await store.create("/f/c", bytes("3"));
        await store.create("/f/d", bytes("4"));
        await waitFor(() => rec.events.length >= 1, "the event after revision 3");
        expect(rec.events.map((e) => e.kv.key)).toEqual(["/f/d"]);
      }),
    );

    test(
      "list then watch from the list's revision misses nothing while writers run",
      withStore(async (store) => {
        let stop = false;
        const writers = Array.from({ length: 4 }, async (_, w) => {
          for (let i = 0; !stop; i++) {
            const key = `/lw/${w}-${i % 7}`;
            const current = await store.get(key);
            if (current && i % 3 === 0) await store.delete(key).catch(() => {});
            else if (current) await store.update(key, bytes(`${w}:${i}`), current.modRevision).catch(() => {});
            else await store.create(key, bytes(`${w}:${i}`)).catch(() => {});
          }
        });
        const rounds: { state: Map<string, KeyValue>; rec: Recorder }[] = [];
        for (let round = 0; round < 5; round++) {
          await new Promise((resolve) => setTimeout(resolve, 5));
          const list = await store.list("/lw/");
          const state = new Map(list.items.map((kv) => [kv.key, kv]));
          rounds.push({ state, rec: await record(store, "/lw/", list.revision) });
        }
        await new Promise((resolve) => setTimeout(resolve, 30));
        stop = true;
        await Promise.all(writers);
        const head = await store.currentRevision();
        const final = describeState((await store.list("/lw/")).items);
        for (const { state, rec } of rounds) {
          await waitFor(() => rec.events.at(-1)?.kv.modRevision === head || head === 0, "watch to reach the head");
          const revisions = rec.events.map((e) => e.kv.modRevision);
          expect(revisions).toEqual([...revisions].sort((x, y) => x - y));
          expect(new Set(revisions).size).toBe(revisions.length);
          applyEvents(state, rec.events);
          expect(describeState(state.values())).toEqual(final);
          rec.cancel();
        }
      }),
    );

    test(
      "compaction: old revisions fail with compacted, latest values and newer history stay",
      withStore(async (store) => {
        const a = await store.create("/c/a", bytes("1"));
        await store.create("/c/gone", bytes("x"));
        const a2 = await store.update("/c/a", bytes("2"), a.modRevision);
        await store.delete("/c/gone");
        const keep = await store.create("/c/keep", bytes("k"));
        const a3 = await store.update("/c/a", bytes("3"), a2.modRevision);
        await store.compact(keep.modRevision);
        expect(await store.compactedRevision()).toBe(keep.modRevision);
        const tooOld = await storeErrorOf(store.list("/c/", { revision: a2.modRevision }), "compacted");
        expect(tooOld.compactRevision).toBe(keep.modRevision);
        await storeErrorOf(store.get("/c/a", { revision: a.modRevision }), "compacted");
        await storeErrorOf(
          store.watch("/c/", { fromRevision: a.modRevision }, () => {}),
          "compacted",
        );
        const atFloor = await store.list("/c/", { revision: keep.modRevision });
        expect(describeState(atFloor.items)).toEqual({
          "/c/a": `2@${a2.modRevision}`,
          "/c/keep": `k@${keep.modRevision}`,
        });
        const rec = await record(store, "/c/", keep.modRevision);
        await waitFor(() => rec.events.length >= 1, "history after the compacted revision");
        expect(rec.events[0]).toMatchObject({ type: "update", kv: { modRevision: a3.modRevision } });
        expect(textOf(rec.events[0].prevKv)).toBe("2");
        expect(describeState((await store.list("/c/")).items)).toEqual({
          "/c/a": `3@${a3.modRevision}`,
          "/c/keep": `k@${keep.modRevision}`,
        });
        // A page token from before the compaction is too old as well.
        const page = await store.list("/c/", { limit: 1 });
        await store.update("/c/keep", bytes("k2"), keep.modRevision);
        await store.compact(await store.currentRevision());
        await storeErrorOf(store.list("/c/", { continue: page.continue }), "compacted");
        await storeErrorOf(store.compact((await store.currentRevision()) + 1), "future-revision");
      }),
    );

    test(
      "64 concurrent writers doing compare-and-swap increments never lose an update",
      withStore(async (store) => {
        await store.create("/counter", bytes("0"));
        const perWriter = 10;
        let conflicts = 0;
        await Promise.all(
          Array.from({ length: 64 }, async () => {
            for (let done = 0; done < perWriter; ) {
              const current = await mustGet(store, "/counter");
              try {
                await store.update("/counter", bytes(String(Number(text(current.value)) + 1)), current.modRevision);
                done++;
              } catch (err) {
                if ((err as { code?: string }).code !== "conflict") throw err;
                conflicts++;
              }
            }
          }),
        );
        expect(textOf(await store.get("/counter"))).toBe(String(64 * perWriter));
        expect(conflicts).toBeGreaterThan(0);
        // Concurrent creates of distinct keys each get their own revision.
        const created = await Promise.all(Array.from({ length: 64 }, (_, i) => store.create(`/many/${i}`, bytes("x"))));
        expect(new Set(created.map((kv) => kv.modRevision)).size).toBe(64);
      }),
    );

    for (const seed of [1, 2, 3]) {
      test(
        `random operations agree with a model of the whole history (seed ${seed})`,
        withStore((store) => checkAgainstModel(store, seed, 300)),
      );
    }

    test("close ends watches and refuses further calls", async () => {
      const store = await makeStore();
      const rec = await record(store, "/", 0);
      await store.close();
      expect(rec.errors.map((e) => e.code)).toEqual(["closed"]);
      await storeErrorOf(store.create("/x", bytes("x")), "closed");
      await storeErrorOf(store.get("/x"), "closed");
    });

    const endpoint = opts.endpoint;
    if (endpoint) {
      test("an acknowledged write survives kill -9 of the writing process", async () => {
        const target = endpoint();
        // Kill mid-stream, while 8 writers are still committing.
        const acked = await withAckWriter([target.dataDir, target.endpoint], 300, async (acks) => new Map(acks));
        const store = await openStore({ ...target, compactWindow: false });
        try {
          for (const [key, revision] of acked) expect((await store.get(key))?.modRevision).toBe(revision);
        } finally {
          await store.close();
        }
      });
    }
  });
}

/** A fresh temporary directory for one test's data. */
export function tempDataDir(prefix = "k3lite-store-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
