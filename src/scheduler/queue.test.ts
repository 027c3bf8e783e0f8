import { afterEach, describe, expect, test } from "bun:test";
import type { Pod } from "../api/types.ts";
import { SchedulingQueue } from "./queue.ts";
import { makePod } from "./testing.ts";

let queue: SchedulingQueue | undefined;
afterEach(() => queue?.close());

function newQueue(now: () => number = Date.now) {
  queue = new SchedulingQueue((p: Pod) => p.spec?.priority ?? 0, { initialBackoffMs: 1000, maxBackoffMs: 10_000, now });
  return queue;
}

describe("SchedulingQueue", () => {
  test("pops higher priority first, then the oldest", async () => {
    let t = 0;
    const q = newQueue(() => t++);
    q.add(makePod("low-old", { priority: 1 }));
    q.add(makePod("high", { priority: 10 }));
    q.add(makePod("low-new", { priority: 1 }));
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await q.pop())?.pod.metadata?.name);
    expect(order).toEqual(["high", "low-old", "low-new"]);
  });

  test("unschedulable pods wait for a cluster change, then back off", async () => {
    let now = 0;
    const q = newQueue(() => now);
    q.add(makePod("p"));
    const first = await q.pop();
    if (!first) throw new Error("no pod");
    q.addUnschedulable(first, q.schedulingCycle);
    expect(q.counts()).toMatchObject({ active: 0, unschedulable: 1 });
    // A change while it still backs off sends it to backoffQ; a later one to activeQ.
    q.moveAllToActiveOrBackoff();
    expect(q.counts()).toMatchObject({ backoff: 1, unschedulable: 0 });
    q.delete(first.pod);
    q.add(makePod("p"));
    const again = await q.pop();
    if (!again) throw new Error("no pod");
    q.addUnschedulable(again, q.schedulingCycle);
    now += 5000;
    q.moveAllToActiveOrBackoff();
    expect(q.counts()).toMatchObject({ active: 1 });
  });

  test("a move request during an attempt sends the failed pod to backoff, not to wait forever", async () => {
    const q = newQueue();
    q.add(makePod("p"));
    const popped = await q.pop();
    if (!popped) throw new Error("no pod");
    const cycle = q.schedulingCycle;
    q.moveAllToActiveOrBackoff(); // e.g. a node was added while the pod was being scheduled
    q.addUnschedulable(popped, cycle);
    expect(q.counts()).toMatchObject({ backoff: 1, unschedulable: 0 });
  });

  test("backed-off pods come back by themselves", async () => {
    queue = new SchedulingQueue(() => 0, { initialBackoffMs: 5, maxBackoffMs: 10 });
    const q = queue;
    q.add(makePod("p"));
    const popped = await q.pop();
    if (!popped) throw new Error("no pod");
    q.moveAllToActiveOrBackoff();
    q.addUnschedulable(popped, popped.attempts);
    const back = await q.pop();
    expect(back?.pod.metadata?.name).toBe("p");
    expect(back?.attempts).toBe(1);
  });

  test("updates while in flight are kept for the retry; unschedulable pods retry when their spec changes", async () => {
    const q = newQueue();
    q.add(makePod("p"));
    const popped = await q.pop();
    if (!popped) throw new Error("no pod");
    q.update(makePod("p", { labels: { v: "2" } }));
    q.addUnschedulable(popped, q.schedulingCycle);
    expect(q.pendingPods()[0]?.metadata?.labels).toEqual({ v: "2" });
    q.update(makePod("p", { labels: { v: "3" } }));
    expect(q.counts().unschedulable).toBe(1);
    q.update(makePod("p", { cpu: "1" }));
    expect(q.counts().unschedulable).toBe(0);
  });
});
