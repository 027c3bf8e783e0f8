// Every built-in resource type, registered in one list. Adding a type = one file + one line here.

import certificatesigningrequests from "./certificatesigningrequests.ts";
import configmaps from "./configmaps.ts";
import controllerrevisions from "./controllerrevisions.ts";
import cronjobs from "./cronjobs.ts";
import { csidrivers, csinodes, volumeattachments } from "./csi.ts";
import customresourcedefinitions from "./customresourcedefinitions.ts";
import daemonsets from "./daemonsets.ts";
import deployments from "./deployments.ts";
import endpoints from "./endpoints.ts";
import endpointslices from "./endpointslices.ts";
import events from "./events.ts";
import eventsV1 from "./events-v1.ts";
import horizontalpodautoscalers from "./horizontalpodautoscalers.ts";
import horizontalpodautoscalersV1 from "./horizontalpodautoscalers-v1.ts";
import ingressclasses from "./ingressclasses.ts";
import ingresses from "./ingresses.ts";
import jobs from "./jobs.ts";
import leases from "./leases.ts";
import limitranges from "./limitranges.ts";
import namespaces from "./namespaces.ts";
import networkpolicies from "./networkpolicies.ts";
import nodes from "./nodes.ts";
import persistentvolumeclaims from "./persistentvolumeclaims.ts";
import persistentvolumes from "./persistentvolumes.ts";
import poddisruptionbudgets from "./poddisruptionbudgets.ts";
import pods from "./pods.ts";
import podtemplates from "./podtemplates.ts";
import priorityclasses from "./priorityclasses.ts";
import { clusterrolebindings, clusterroles, rolebindings, roles } from "./rbac.ts";
import replicasets from "./replicasets.ts";
import replicationcontrollers from "./replicationcontrollers.ts";
import resourcequotas from "./resourcequotas.ts";
import {
  localsubjectaccessreviews,
  selfsubjectaccessreviews,
  selfsubjectreviews,
  selfsubjectrulesreviews,
  subjectaccessreviews,
  tokenreviews,
} from "./reviews.ts";
import secrets from "./secrets.ts";
import serviceaccounts from "./serviceaccounts.ts";
import services from "./services.ts";
import statefulsets from "./statefulsets.ts";
import storageclasses from "./storageclasses.ts";
import type { ResourceDescriptor } from "./types.ts";

export const BUILT_IN_RESOURCES: ResourceDescriptor[] = [
  // core/v1
  namespaces,
  pods,
  services,
  endpoints,
  configmaps,
  secrets,
  serviceaccounts,
  nodes,
  events,
  persistentvolumes,
  persistentvolumeclaims,
  resourcequotas,
  limitranges,
  replicationcontrollers,
  podtemplates,
  // apps/v1
  deployments,
  replicasets,
  statefulsets,
  daemonsets,
  controllerrevisions,
  // batch/v1
  jobs,
  cronjobs,
  // other groups
  horizontalpodautoscalers,
  horizontalpodautoscalersV1,
  leases,
  endpointslices,
  eventsV1,
  poddisruptionbudgets,
  ingresses,
  ingressclasses,
  networkpolicies,
  storageclasses,
  csidrivers,
  csinodes,
  volumeattachments,
  priorityclasses,
  roles,
  rolebindings,
  clusterroles,
  clusterrolebindings,
  customresourcedefinitions,
  certificatesigningrequests,
  tokenreviews,
  selfsubjectreviews,
  selfsubjectaccessreviews,
  subjectaccessreviews,
  localsubjectaccessreviews,
  selfsubjectrulesreviews,
];
