// TypeScript types of Kubernetes API objects, in one place. They come from `kubernetes-types` (upstream's
// OpenAPI, with field docs) so we never write them by hand. This module is a leaf: it imports nothing of ours.

import type { ListMeta, Status as MetaStatus, ObjectMeta } from "kubernetes-types/meta/v1";

export type * as apiextensions from "kubernetes-types/apiextensions/v1";
export type * as apps from "kubernetes-types/apps/v1";
export type { ControllerRevision, DaemonSet, Deployment, ReplicaSet, StatefulSet } from "kubernetes-types/apps/v1";
export type * as authentication from "kubernetes-types/authentication/v1";
export type * as authorization from "kubernetes-types/authorization/v1";
export type * as autoscaling from "kubernetes-types/autoscaling/v2";
export type * as batch from "kubernetes-types/batch/v1";
export type { CronJob, Job } from "kubernetes-types/batch/v1";
export type * as coordination from "kubernetes-types/coordination/v1";
export type { Lease } from "kubernetes-types/coordination/v1";
export type * as core from "kubernetes-types/core/v1";
export type {
  Binding,
  ConfigMap,
  Container,
  Endpoints,
  Event,
  Namespace,
  Node,
  PersistentVolume,
  PersistentVolumeClaim,
  Pod,
  PodSpec,
  PodStatus,
  Secret,
  Service,
  ServiceAccount,
} from "kubernetes-types/core/v1";
export type * as discovery from "kubernetes-types/discovery/v1";
export type { EndpointSlice } from "kubernetes-types/discovery/v1";
export type * as meta from "kubernetes-types/meta/v1";
export type * as networking from "kubernetes-types/networking/v1";
export type * as policy from "kubernetes-types/policy/v1";
export type * as rbac from "kubernetes-types/rbac/v1";
export type * as storage from "kubernetes-types/storage/v1";
export type { ListMeta, ObjectMeta };

/** Any API object: what generic code (store, apiserver, informers, GC) handles. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
  // biome-ignore lint/suspicious/noExplicitAny: spec/status and the rest differ per kind
  [field: string]: any;
}

export interface KubeList<T extends KubeObject = KubeObject> {
  apiVersion: string;
  kind: string;
  metadata: ListMeta;
  items: T[];
}

export type Status = MetaStatus & { apiVersion?: "v1"; kind?: "Status" };

/** Who a request is from, after authentication. */
export interface UserInfo {
  username: string;
  uid?: string;
  groups: string[];
  extra?: Record<string, string[]>;
}
