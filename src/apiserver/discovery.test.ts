import { describe, expect, test } from "bun:test";
import { aggregatedDiscoveryVersion } from "./discovery.ts";

const V2 = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList";
const V2BETA1 = "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList";

describe("aggregatedDiscoveryVersion", () => {
  test("kubectl 1.30+ asks for v2 first", () => {
    expect(aggregatedDiscoveryVersion(`${V2},${V2BETA1},application/json`)).toBe("v2");
  });

  test("kubectl 1.27–1.29 ask for v2beta1, which is not v2", () => {
    expect(aggregatedDiscoveryVersion(`${V2BETA1},application/json`)).toBe("v2beta1");
  });

  test("the first range we serve wins; unknown versions and protobuf are skipped", () => {
    expect(
      aggregatedDiscoveryVersion(
        "application/json;g=apidiscovery.k8s.io;v=v3;as=APIGroupDiscoveryList,application/json",
      ),
    ).toBeUndefined();
    expect(
      aggregatedDiscoveryVersion(
        `application/vnd.kubernetes.protobuf;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,${V2}`,
      ),
    ).toBe("v2");
    expect(aggregatedDiscoveryVersion(`application/json, ${V2}`)).toBeUndefined();
  });

  test("plain or missing Accept gets the legacy documents", () => {
    expect(aggregatedDiscoveryVersion(null)).toBeUndefined();
    expect(aggregatedDiscoveryVersion("application/json")).toBeUndefined();
    expect(aggregatedDiscoveryVersion("*/*")).toBeUndefined();
  });
});
