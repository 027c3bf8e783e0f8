// Datastore benchmark: `bun bench/store.ts` (full) or `bun bench/store.ts --smoke` (short CI run). Prints a
// markdown table: raw bun:sqlite durable commit rates (the floor to compare with), then the store's write, read,
// watch and compaction figures, all with WAL + synchronous=FULL on this machine's disk.
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../src/store/sqlite.ts";
import { waitFor } from "../src/store/testing.ts";
import { printReport, report } from "./report.ts";

const smoke = process.argv.includes("--smoke");
const scale = smoke ? 0.1 : 1;
const n = (full: number) => Math.max(10, Math.round(full * scale));
const VALUE = new Uint8Array(1024).fill(120);
const dirs: string[] = [];

function tempDb(): string {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-bench-"));
  dirs.push(dir);
  return join(dir, "state.db");
}

const perSecond = (count: number, ms: number) => Math.round((count / ms) * 1000);
const fmt = (x: number) => x.toLocaleString("en-US");

async function timed(body: () => Promise<void> | void): Promise<number> {
  const start = performance.now();
  await body();
  return performance.now() - start;
}

function fileSize(path: string): number {
  let total = 0;
  for (const suffix of ["", "-wal"]) {
    try {
      total += statSync(path + suffix).size;
    } catch {
      // no WAL at the moment
    }
  }
  return total;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** Ops/s of each contender, measured in interleaved rounds so that disk noise from neighbours hits all alike. */
async function interleaved(
  rounds: number,
  contenders: Record<string, (round: number) => Promise<number> | number>,
): Promise<Record<string, number>> {
  const samples: Record<string, number[]> = {};
  for (let round = 0; round < rounds; round++) {
    for (const [name, run] of Object.entries(contenders)) {
      const start = performance.now();
      const ops = await run(round);
      samples[name] = [...(samples[name] ?? []), perSecond(ops, performance.now() - start)];
    }
  }
  const medians: Record<string, number> = {};
  for (const [name, values] of Object.entries(samples))
    medians[name] = percentile(
      [...values].sort((a, b) => a - b),
      50,
    );
  return medians;
}

/** The floor is what bun:sqlite itself does with the same pragmas and row size; the store's writes run beside it. */
async function sequentialWrites(): Promise<void> {
  const db = new Database(tempDb());
  db.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL");
  db.exec("CREATE TABLE kv (id INTEGER PRIMARY KEY, key TEXT NOT NULL, value BLOB NOT NULL)");
  db.exec("CREATE INDEX kv_key_id ON kv (key, id)");
  const insert = db.prepare("INSERT INTO kv (key, value) VALUES (?, ?)");
  const batch = db.transaction((round: number, b: number) => {
    for (let i = 0; i < 50; i++) insert.run(`/batch/${round}/${b}/${i}`, VALUE);
  });
  const store = new SqliteStore(tempDb(), { compaction: false });
  let rev = (await store.create("/one", VALUE)).modRevision;
  const perRound = n(1000);
  const rates = await interleaved(smoke ? 3 : 7, {
    raw: (round) => {
      for (let i = 0; i < perRound; i++) insert.run(`/raw/${round}/${i}`, VALUE);
      return perRound;
    },
    rawBatched: (round) => {
      for (let b = 0; b < perRound / 10; b++) batch(round, b);
      return (perRound / 10) * 50;
    },
    creates: async (round) => {
      for (let i = 0; i < perRound; i++) await store.create(`/seq/${round}/${i}`, VALUE);
      return perRound;
    },
    updates: async () => {
      for (let i = 0; i < perRound; i++) rev = (await store.update("/one", VALUE, rev)).modRevision;
      return perRound;
    },
  });
  db.close();
  await store.close();
  report("raw bun:sqlite single-row durable commits/s", fmt(rates.raw));
  report("raw bun:sqlite rows/s in batches of 50", fmt(rates.rawBatched));
  report("store sequential creates/s", fmt(rates.creates));
  const ratio = Math.round((rates.updates / rates.raw) * 100);
  report(
    "store sequential updates/s",
    `${fmt(rates.updates)} (${ratio} % of raw single-row)`,
    "≥ 5,000 and ≥ 80 % of raw",
  );
}

async function concurrentWrites(): Promise<void> {
  const store = new SqliteStore(tempDb(), { compaction: false });
  const writers = 64;
  const perWriter = n(40_000) / writers;
  const createdConcurrently = await timed(() =>
    Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        for (let i = 0; i < perWriter; i++) await store.create(`/conc/${w}/${i}`, VALUE);
      }),
    ).then(() => {}),
  );
  report("store creates/s, 64 concurrent writers", fmt(perSecond(writers * perWriter, createdConcurrently)));
  const updatedConcurrently = await timed(() =>
    Promise.all(
      Array.from({ length: writers }, async (_, w) => {
        let r = (await store.get(`/conc/${w}/0`))?.modRevision ?? 0;
        for (let i = 0; i < perWriter; i++) r = (await store.update(`/conc/${w}/0`, VALUE, r)).modRevision;
      }),
    ).then(() => {}),
  );
  report(
    "store updates/s, 64 concurrent writers",
    fmt(perSecond(writers * perWriter, updatedConcurrently)),
    "≥ 20,000",
  );
  await store.close();
}

async function reads(): Promise<void> {
  for (const keys of [1000, 10_000]) {
    const store = new SqliteStore(tempDb(), { compaction: false });
    await Promise.all(
      Array.from({ length: keys }, (_, i) => store.create(`/reg/pods/ns/${String(i).padStart(6, "0")}`, VALUE)),
    );
    if (keys === 10_000) {
      const gets = n(100_000);
      const getMs = await timed(async () => {
        for (let i = 0; i < gets; i++) await store.get(`/reg/pods/ns/${String(i % keys).padStart(6, "0")}`);
      });
      report(`store get/s (${fmt(keys)} keys)`, fmt(perSecond(gets, getMs)));
    }
    const lists = n(keys === 1000 ? 500 : 50);
    const listMs = await timed(async () => {
      for (let i = 0; i < lists; i++) await store.list("/reg/pods/");
    });
    report(`store list/s of all ${fmt(keys)} keys`, fmt(perSecond(lists, listMs)));
    const pageMs = await timed(async () => {
      for (let i = 0; i < lists; i++) await store.list("/reg/pods/", { limit: 500 });
    });
    report(`store list/s, first page of 500 of ${fmt(keys)} keys`, fmt(perSecond(lists, pageMs)));
    const pagedMs = await timed(async () => {
      for (let i = 0; i < lists; i++) {
        let page = await store.list("/reg/pods/", { limit: 500 });
        while (page.continue) page = await store.list("/reg/pods/", { limit: 500, continue: page.continue });
      }
    });
    report(`store list/s of all ${fmt(keys)} keys in pages of 500`, fmt(perSecond(lists, pagedMs)));
    await store.close();
  }
}

async function watchLatency(): Promise<void> {
  const store = new SqliteStore(tempDb(), { compaction: false });
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  // Fan-out alone, without the commit's fsync: from the first watcher's callback to the 100th's for one event.
  const firstSeen = new Map<number, { at: number; seen: number }>();
  const spreads: number[] = [];
  const watchers = await Promise.all(
    Array.from({ length: 100 }, () =>
      store.watch("/w/", { fromRevision: 0 }, (events) => {
        const now = performance.now();
        for (const e of events) {
          latencies.push(now - (sentAt.get(e.kv.modRevision) ?? now));
          const first = firstSeen.get(e.kv.modRevision) ?? { at: now, seen: 0 };
          first.seen++;
          firstSeen.set(e.kv.modRevision, first);
          if (first.seen === 100) spreads.push(now - first.at);
        }
      }),
    ),
  );
  const count = n(2000);
  let rev = 0;
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const write = rev === 0 ? store.create("/w/x", VALUE) : store.update("/w/x", VALUE, rev);
    // The revision is known only after commit; it is always the next one, since this is the only writer.
    sentAt.set((await store.currentRevision()) + 1, started);
    rev = (await write).modRevision;
  }
  await waitFor(() => latencies.length >= count * 100, "every watcher to see every event");
  for (const w of watchers) w.cancel();
  latencies.sort((a, b) => a - b);
  report(
    "watch delivery latency, 100 watchers, p50 / p99 (write call → callback)",
    `${percentile(latencies, 50).toFixed(2)} ms / ${percentile(latencies, 99).toFixed(2)} ms`,
    "p99 ≤ 5 ms",
  );
  spreads.sort((a, b) => a - b);
  report(
    "watch fan-out alone, first → 100th watcher, p50 / p99",
    `${percentile(spreads, 50).toFixed(3)} ms / ${percentile(spreads, 99).toFixed(3)} ms`,
  );
  await store.close();
}

async function compactedSize(): Promise<void> {
  const updates = n(100_000);
  for (const compaction of [true, false]) {
    const path = tempDb();
    const store = new SqliteStore(path, {
      compaction: compaction ? { minRevisions: 10_000, minAgeMs: 0, intervalMs: 500 } : false,
    });
    await Promise.all(Array.from({ length: 1000 }, (_, i) => store.create(`/size/${i}`, VALUE)));
    // Each writer owns the keys k with k % 64 === w, so updates never conflict and every one is written.
    const revisions = new Map<number, number>();
    const updateAll = (count: number) =>
      Promise.all(
        Array.from({ length: 64 }, async (_, w) => {
          const own = Array.from({ length: 1000 }, (_, k) => k).filter((k) => k % 64 === w);
          for (let i = 0; i < Math.ceil(count / 64); i++) {
            const k = own[i % own.length];
            const rev = revisions.get(k) ?? (await store.get(`/size/${k}`))?.modRevision ?? 0;
            revisions.set(k, (await store.update(`/size/${k}`, VALUE, rev)).modRevision);
          }
        }),
      );
    // Sizes at half-way and at the end: with compaction on they stay level, which is what "bounded" means.
    await updateAll(updates / 2);
    const halfway = fileSize(path);
    await updateAll(updates / 2);
    const label = compaction ? "on, window 10,000 revisions" : "off";
    report(
      `DB file size (db + wal) after ${fmt(updates / 2)} / ${fmt(updates)} updates to 1k keys, compaction ${label}`,
      `${mb(halfway)} / ${mb(fileSize(path))}`,
    );
    await store.close();
  }
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MiB`;

console.error(`k3lite store benchmark${smoke ? " (smoke)" : ""}: 1 KiB values, WAL + synchronous=FULL`);
await sequentialWrites();
await concurrentWrites();
await reads();
await watchLatency();
await compactedSize();
for (const dir of dirs) rmSync(dir, { recursive: true, force: true });

printReport(`measurement${smoke ? " (smoke run)" : ""}`);
