// A generated name that is already taken is drawn again (upstream's RetryGenerateName), not answered 409.

import { expect, spyOn, test } from "bun:test";
import { useInProcessApi } from "../testing.ts";

const { call } = useInProcessApi();

test("a taken generated name is drawn again", async () => {
  const body = { metadata: { generateName: "gen-" }, data: { a: "1" } };
  // The random source yields the same suffix for the first three draws, then something else.
  let draws = 0;
  const real = crypto.getRandomValues.bind(crypto);
  const spy = spyOn(crypto, "getRandomValues").mockImplementation(<T extends ArrayBufferView | null>(array: T): T => {
    if (array instanceof Uint8Array && array.length === 5 && draws++ < 3) {
      array.fill(0);
      return array;
    }
    return real(array as never) as T;
  });
  try {
    const first = await call("POST", "/api/v1/namespaces/default/configmaps", body);
    expect(first.status).toBe(201);
    expect((await first.json()).metadata.name).toBe("gen-bbbbb");
    const second = await call("POST", "/api/v1/namespaces/default/configmaps", body);
    expect(second.status).toBe(201);
    const name = (await second.json()).metadata.name;
    expect(name).toStartWith("gen-");
    expect(name).not.toBe("gen-bbbbb");
  } finally {
    spy.mockRestore();
  }
  // A name given outright is still a plain conflict.
  const named = await call("POST", "/api/v1/namespaces/default/configmaps", { metadata: { name: "gen-bbbbb" } });
  expect(named.status).toBe(409);
});
