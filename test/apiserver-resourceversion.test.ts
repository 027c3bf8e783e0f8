// Reads at a resourceVersion the store cannot serve get upstream's Status answers, never a 500.
import { expect, test } from "bun:test";
import { adminFetch } from "./admin-fetch.ts";
import { useK3lite } from "./harness.ts";

const k = useK3lite();

test("a list at a resourceVersion from the future is 504 Timeout (ResourceVersionTooLarge)", async () => {
  const res = await adminFetch(k, "/api/v1/configmaps?resourceVersion=99999999&resourceVersionMatch=Exact");
  expect(res.status).toBe(504);
  const status = await res.json();
  expect(status.reason).toBe("Timeout");
  expect(status.message).toMatch(/^Timeout: Too large resource version: 99999999, current: \d+$/);
  expect(status.details.causes[0].reason).toBe("ResourceVersionTooLarge");
});
