// The status upstream's naming and establishing controllers give a CustomResourceDefinition: NamesAccepted (no
// other CRD of the group claims its names), Established (its resources are served), acceptedNames and
// storedVersions. The core calls `acceptCustomResourceDefinition` after creating or updating a CRD.

import type {
  CustomResourceDefinition,
  CustomResourceDefinitionCondition,
  CustomResourceDefinitionNames,
  CustomResourceDefinitionStatus,
} from "kubernetes-types/apiextensions/v1";

/** True when the CRD's resources are served (the Established condition is True). */
export function isEstablished(crd: CustomResourceDefinition): boolean {
  return crd.status?.conditions?.some((c) => c.type === "Established" && c.status === "True") ?? false;
}

/** spec.names with upstream's defaults filled in (singular = lower-case kind, listKind = kind + "List"). */
export function defaultedNames(names: CustomResourceDefinitionNames): CustomResourceDefinitionNames {
  return {
    ...names,
    singular: names.singular || names.kind.toLowerCase(),
    listKind: names.listKind || `${names.kind}List`,
  };
}

/** Why `crd`'s names clash with another CRD of the same group, or undefined when they do not. */
function namesConflict(
  crd: CustomResourceDefinition,
  others: CustomResourceDefinition[],
): { reason: string; message: string } | undefined {
  const mine = defaultedNames(crd.spec.names);
  for (const other of others) {
    if (other.metadata?.name === crd.metadata?.name || other.spec.group !== crd.spec.group) continue;
    const theirs = defaultedNames(other.status?.acceptedNames ?? other.spec.names);
    const resourceNames = new Set([theirs.plural, theirs.singular, ...(theirs.shortNames ?? [])]);
    if (resourceNames.has(mine.plural))
      return {
        reason: "PluralConflict",
        message: `"${mine.plural}" is already in use`,
      };
    if (mine.singular && resourceNames.has(mine.singular))
      return {
        reason: "SingularConflict",
        message: `"${mine.singular}" is already in use`,
      };
    for (const short of mine.shortNames ?? [])
      if (resourceNames.has(short))
        return {
          reason: "ShortNamesConflict",
          message: `"${short}" is already in use`,
        };
    const kinds = new Set([theirs.kind, theirs.listKind]);
    if (kinds.has(mine.kind))
      return {
        reason: "KindConflict",
        message: `"${mine.kind}" is already in use`,
      };
    if (mine.listKind && kinds.has(mine.listKind))
      return {
        reason: "ListKindConflict",
        message: `"${mine.listKind}" is already in use`,
      };
  }
  return undefined;
}

function setCondition(
  conditions: CustomResourceDefinitionCondition[],
  next: Omit<CustomResourceDefinitionCondition, "lastTransitionTime">,
  now: string,
): CustomResourceDefinitionCondition[] {
  const prev = conditions.find((c) => c.type === next.type);
  const lastTransitionTime = prev && prev.status === next.status ? prev.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== next.type), { ...next, lastTransitionTime }];
}

/**
 * The status a created/updated CRD should have, given the other CRDs that exist. Names that clash leave the
 * CRD NamesAccepted=False and not Established; an Established CRD stays so (upstream never un-establishes).
 */
export function acceptCustomResourceDefinition(
  crd: CustomResourceDefinition,
  others: CustomResourceDefinition[],
  now: Date = new Date(),
): CustomResourceDefinitionStatus {
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const conflict = namesConflict(crd, others);
  let conditions = crd.status?.conditions ?? [];
  const storage = crd.spec.versions.find((v) => v.storage)?.name;
  const storedVersions = [...new Set([...(crd.status?.storedVersions ?? []), ...(storage ? [storage] : [])])];
  if (conflict) {
    conditions = setCondition(conditions, { type: "NamesAccepted", status: "False", ...conflict }, time);
    if (!isEstablished(crd))
      conditions = setCondition(
        conditions,
        {
          type: "Established",
          status: "False",
          reason: "NotAccepted",
          message: "not all names are accepted",
        },
        time,
      );
    return {
      ...crd.status,
      conditions,
      acceptedNames: crd.status?.acceptedNames ?? { kind: "", plural: "" },
      storedVersions,
    };
  }
  conditions = setCondition(
    conditions,
    {
      type: "NamesAccepted",
      status: "True",
      reason: "NoConflicts",
      message: "no conflicts found",
    },
    time,
  );
  conditions = setCondition(
    conditions,
    {
      type: "Established",
      status: "True",
      reason: "InitialNamesAccepted",
      message: "the initial names have been accepted",
    },
    time,
  );
  return {
    ...crd.status,
    conditions,
    acceptedNames: defaultedNames(crd.spec.names),
    storedVersions,
  };
}

/** Upstream's finalizer on every CRD: its custom resources are deleted before the CRD goes. */
export const CLEANUP_FINALIZER = "customresourcecleanup.apiextensions.k8s.io";

/** The status of a CRD whose deletion has started: Terminating, its instances being deleted. */
export function terminatingStatus(
  crd: CustomResourceDefinition,
  now: Date = new Date(),
): CustomResourceDefinitionStatus {
  const time = now.toISOString().replace(/\.\d{3}Z$/, "Z");
  const conditions = setCondition(
    crd.status?.conditions ?? [],
    {
      type: "Terminating",
      status: "True",
      reason: "InstanceDeletionInProgress",
      message: "CustomResource deletion is in progress",
    },
    time,
  );
  return {
    ...crd.status,
    conditions,
    acceptedNames: crd.status?.acceptedNames ?? defaultedNames(crd.spec.names),
  };
}
