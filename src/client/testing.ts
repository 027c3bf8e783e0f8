// Helpers for tests that wait on conditions instead of sleeping a fixed time.

/** Polls `cond` until it is truthy (returning its value) or the deadline passes (throwing `what`). */
export async function waitFor<T>(
  cond: () => T | Promise<T>,
  what = "condition",
  timeoutMs = 20_000,
  intervalMs = 5,
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await cond();
      if (value) return value as Exclude<T, undefined | null | false>;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      const detail = lastError instanceof Error ? ` (last error: ${lastError.message})` : "";
      throw new Error(`timed out waiting for ${what}${detail}`);
    }
    await Bun.sleep(intervalMs);
  }
}
