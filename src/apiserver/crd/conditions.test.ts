import { describe, expect, test } from "bun:test";
import type { CustomResourceDefinition } from "kubernetes-types/apiextensions/v1";
import { acceptCustomResourceDefinition, defaultedNames, isEstablished } from "./conditions.ts";

const crd = (plural: string, kind: string, shortNames: string[] = []): CustomResourceDefinition => ({
  metadata: { name: `${plural}.example.com` },
  spec: {
    group: "example.com",
    scope: "Namespaced",
    names: { plural, kind, shortNames },
    versions: [
      { name: "v1beta1", served: true, storage: false },
      { name: "v1", served: true, storage: true },
    ],
  },
});
const now = new Date("2026-01-01T00:00:00.123Z");

describe("acceptCustomResourceDefinition", () => {
  test("no conflicts: NamesAccepted and Established, accepted names defaulted, storage version recorded", () => {
    const status = acceptCustomResourceDefinition(crd("widgets", "Widget"), [], now);
    expect(status.acceptedNames).toEqual({
      plural: "widgets",
      kind: "Widget",
      shortNames: [],
      singular: "widget",
      listKind: "WidgetList",
    });
    expect(status.storedVersions).toEqual(["v1"]);
    expect(status.conditions).toEqual([
      {
        type: "NamesAccepted",
        status: "True",
        reason: "NoConflicts",
        message: "no conflicts found",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
      {
        type: "Established",
        status: "True",
        reason: "InitialNamesAccepted",
        message: "the initial names have been accepted",
        lastTransitionTime: "2026-01-01T00:00:00Z",
      },
    ]);
    expect(isEstablished({ ...crd("widgets", "Widget"), status })).toBe(true);
  });

  test("idempotent: the same input gives the same status (transition times kept)", () => {
    const first = crd("widgets", "Widget");
    first.status = acceptCustomResourceDefinition(first, [], now);
    expect(acceptCustomResourceDefinition(first, [], new Date("2027-01-01T00:00:00Z"))).toEqual(first.status);
  });

  test("names another CRD of the group already uses are not accepted", () => {
    const existing = crd("widgets", "Widget", ["wd"]);
    existing.status = acceptCustomResourceDefinition(existing, [], now);
    const clash = acceptCustomResourceDefinition(crd("gadgets", "Gadget", ["wd"]), [existing], now);
    expect(clash.conditions?.find((c) => c.type === "NamesAccepted")).toMatchObject({
      status: "False",
      reason: "ShortNamesConflict",
      message: '"wd" is already in use',
    });
    expect(clash.conditions?.find((c) => c.type === "Established")?.status).toBe("False");
    const other = crd("others", "Widget");
    other.spec.names.singular = "other";
    const kindClash = acceptCustomResourceDefinition(other, [existing], now);
    expect(kindClash.conditions?.find((c) => c.type === "NamesAccepted")?.reason).toBe("KindConflict");
  });

  test("defaultedNames", () => {
    expect(defaultedNames({ plural: "xs", kind: "X" })).toEqual({
      plural: "xs",
      kind: "X",
      singular: "x",
      listKind: "XList",
    });
  });
});
