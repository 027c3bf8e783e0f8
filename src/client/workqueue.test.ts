import { describe, expect, test } from "bun:test";
import { waitFor } from "./testing.ts";
import { createWorkQueue, exponentialRateLimiter } from "./workqueue.ts";

describe("workqueue", () => {
  test("de-duplicates keys queued before processing", async () => {
    const q = createWorkQueue();
    q.add("a");
    q.add("b");
    q.add("a");
    expect(q.len()).toBe(2);
    expect(await q.get()).toBe("a");
    expect(await q.get()).toBe("b");
    expect(q.len()).toBe(0);
  });

  test("a key re-added while processing waits until done, then comes back once", async () => {
    const q = createWorkQueue();
    q.add("a");
    const key = await q.get();
    q.add("a");
    q.add("a");
    expect(q.len()).toBe(0); // not handed to a second worker while the first holds it
    q.done(key as string);
    expect(q.len()).toBe(1);
    expect(await q.get()).toBe("a");
  });

  test("run never syncs one key concurrently and retries failures with backoff", async () => {
    const q = createWorkQueue(exponentialRateLimiter(1, 50));
    let active = 0;
    let maxActive = 0;
    let calls = 0;
    const errors: string[] = [];
    const running = q.run(
      4,
      async (key) => {
        active++;
        maxActive = Math.max(maxActive, active);
        calls++;
        await Bun.sleep(1);
        q.add(key); // a change arriving mid-sync
        active--;
        if (calls < 4) throw new Error(`fail ${calls}`);
      },
      (key, err) => errors.push(`${key}: ${(err as Error).message}`),
    );
    q.add("x");
    await waitFor(() => calls >= 6);
    expect(maxActive).toBe(1);
    expect(errors).toEqual(["x: fail 1", "x: fail 2", "x: fail 3"]);
    q.shutDown();
    await running;
  });

  test("per-key exponential backoff; forget resets it", () => {
    const limiter = exponentialRateLimiter(5, 100);
    expect([1, 2, 3, 4, 5, 6].map(() => limiter.when("k"))).toEqual([5, 10, 20, 40, 80, 100]);
    expect(limiter.when("other")).toBe(5);
    expect(limiter.numRequeues("k")).toBe(6);
    limiter.forget("k");
    expect(limiter.when("k")).toBe(5);
  });

  test("addAfter delivers later; the earliest of several delays wins", async () => {
    const q = createWorkQueue();
    q.addAfter("k", 60_000);
    q.addAfter("k", 5);
    expect(q.len()).toBe(0);
    expect(await q.get()).toBe("k");
    q.done("k");
    q.shutDown();
    expect(await q.get()).toBeUndefined();
  });

  test("shutDown releases waiting workers", async () => {
    const q = createWorkQueue();
    const pending = q.get();
    q.shutDown();
    expect(await pending).toBeUndefined();
    q.add("late");
    expect(q.len()).toBe(0);
  });
});
