import { expect, test } from "bun:test";
import { encodedToVersion, storageApiVersion, toVersion } from "./conversion.ts";
import { crdToResourceDescriptors } from "./descriptor.ts";
import { crontabCrd, crontabVersion } from "./testing/crontab.ts";

test("custom resources are stored at the storage version and answered at the requested one", () => {
  const crd = crontabCrd([
    crontabVersion({ type: "object" }, { name: "v1beta1", storage: false }),
    crontabVersion({ type: "object" }),
  ]);
  const [beta, v1] = crdToResourceDescriptors(crd);
  expect(storageApiVersion(beta)).toBe("stable.example.com/v1");
  expect(storageApiVersion(v1)).toBe("stable.example.com/v1");
  expect(
    toVersion({ apiVersion: "stable.example.com/v1", kind: "CronTab" }, "stable.example.com/v1beta1").apiVersion,
  ).toBe("stable.example.com/v1beta1");
  const stored =
    '{"apiVersion":"stable.example.com/v1","kind":"CronTab","metadata":{"name":"a"},"spec":{"apiVersion":"x"}}';
  expect(JSON.parse(encodedToVersion(stored, "stable.example.com/v1beta1"))).toEqual({
    apiVersion: "stable.example.com/v1beta1",
    kind: "CronTab",
    metadata: { name: "a" },
    spec: { apiVersion: "x" },
  });
  expect(JSON.parse(encodedToVersion('{"kind":"CronTab"}', "stable.example.com/v1"))).toEqual({
    kind: "CronTab",
    apiVersion: "stable.example.com/v1",
  });
});
