// The background compactor's window: it compacts only history that is both old enough and far enough behind.
import { expect, setDefaultTimeout, test } from "bun:test";
import { BackgroundCompactor } from "./compactor.ts";

// fsync-bound tests slow down a lot when other tests share the disk; deadlines are generous on purpose.
setDefaultTimeout(60_000);

test("keeps the larger of the revision window and the age window", async () => {
  let clock = 0;
  let head = 100;
  const compacted: number[] = [];
  const store = {
    currentRevision: async () => head,
    compact: async (revision: number) => {
      compacted.push(revision);
    },
  };
  const compactor = new BackgroundCompactor(
    store,
    { minRevisions: 10, minAgeMs: 1000, intervalMs: 3_600_000 },
    () => clock,
  );
  try {
    // The first tick ran in the constructor at t=0, noting revision 100; nothing is 1 s old yet.
    clock = 500;
    head = 200;
    expect(await compactor.tick()).toBe(0);
    clock = 1000;
    head = 300;
    // Revision 100 is now 1 s old: the age window is the smaller one and decides.
    expect(await compactor.tick()).toBe(100);
    clock = 1600;
    head = 310;
    expect(await compactor.tick()).toBe(200);
    clock = 5000;
    head = 315;
    // Everything is old now; the revision window keeps the last 10.
    expect(await compactor.tick()).toBe(305);
    expect(compacted).toEqual([100, 200, 305]);
  } finally {
    compactor.stop();
  }
});
