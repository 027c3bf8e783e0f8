// storage.k8s.io/v1 CSIDriver, CSINode and VolumeAttachment: stored and served, no behaviour of their own yet.

import { describe } from "./types.ts";

const storage = (kind: string, plural: string) =>
  describe({ group: "storage.k8s.io", version: "v1", kind, plural, namespaced: false });

export const csidrivers = storage("CSIDriver", "csidrivers");
export const csinodes = storage("CSINode", "csinodes");
export const volumeattachments = { ...storage("VolumeAttachment", "volumeattachments"), status: true };
