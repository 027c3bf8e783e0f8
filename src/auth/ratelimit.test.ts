import { expect, test } from "bun:test";
import { createAuthRateLimiter } from "./ratelimit.ts";

test("blocks an address after repeated failures, with growing blocks, others unaffected", () => {
  let t = 1_000_000;
  const limiter = createAuthRateLimiter({ maxFailures: 3, windowMs: 10_000, blockMs: 5_000, now: () => t });
  for (let i = 0; i < 2; i++) limiter.recordFailure("1.2.3.4");
  expect(limiter.check("1.2.3.4")).toEqual({ allowed: true });
  limiter.recordFailure("1.2.3.4");
  expect(limiter.check("1.2.3.4")).toEqual({ allowed: false, retryAfterSeconds: 5 });
  expect(limiter.check("5.6.7.8")).toEqual({ allowed: true });
  t += 5_000;
  expect(limiter.check("1.2.3.4")).toEqual({ allowed: true });
  for (let i = 0; i < 3; i++) limiter.recordFailure("1.2.3.4");
  expect(limiter.check("1.2.3.4")).toEqual({ allowed: false, retryAfterSeconds: 10 });
});

test("failures outside the window do not add up; success clears history", () => {
  let t = 0;
  const limiter = createAuthRateLimiter({ maxFailures: 3, windowMs: 1_000, now: () => t });
  limiter.recordFailure("a");
  limiter.recordFailure("a");
  t += 2_000;
  limiter.recordFailure("a");
  expect(limiter.check("a").allowed).toBe(true);
  limiter.recordFailure("a");
  limiter.recordSuccess("a");
  limiter.recordFailure("a");
  expect(limiter.check("a").allowed).toBe(true);
});

test("memory is bounded", () => {
  const limiter = createAuthRateLimiter({ maxFailures: 1, maxEntries: 10 });
  for (let i = 0; i < 100; i++) limiter.recordFailure(`10.0.0.${i}`);
  expect(limiter.check("10.0.0.0").allowed).toBe(true); // forgotten
  expect(limiter.check("10.0.0.99").allowed).toBe(false);
});
