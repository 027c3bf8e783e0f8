// core/v1 Service: defaults, validation (DNS-1035 names, ports, types), immutable clusterIP, ClusterIP and
// NodePort allocation through the server's allocators (released on delete), and `kubectl get svc` columns.

import type { KubeObject } from "../../api/types.ts";
import { ageColumn, col, mapToString, nameColumn, wide } from "../table.ts";
import { type FieldError, immutable, invalidValue, notSupported, required } from "../validation.ts";
import { describe } from "./types.ts";

const TYPES = ["ClusterIP", "NodePort", "LoadBalancer", "ExternalName"];
const PROTOCOLS = ["TCP", "UDP", "SCTP"];
const DNS1035_LABEL = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;

export const dns1035Label = (name: string): string[] => {
  const msgs: string[] = [];
  if (name.length > 63) msgs.push("must be no more than 63 characters");
  if (!DNS1035_LABEL.test(name)) {
    msgs.push(
      "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
    );
  }
  return msgs;
};

type ServicePort = { name?: string; port: number; protocol?: string; targetPort?: number | string; nodePort?: number };

function validate(svc: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const spec = svc.spec ?? {};
  const type = spec.type ?? "ClusterIP";
  if (!TYPES.includes(type)) errs.push(notSupported("spec.type", type, TYPES));
  const ports: ServicePort[] = spec.ports ?? [];
  if (type !== "ExternalName" && spec.clusterIP !== "None" && ports.length === 0) errs.push(required("spec.ports"));
  if (type === "ExternalName" && !spec.externalName) errs.push(required("spec.externalName"));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    const path = `spec.ports[${i}]`;
    if (ports.length > 1 && !p.name) errs.push(required(`${path}.name`));
    if (p.name) {
      if (names.has(p.name))
        errs.push({ field: `${path}.name`, reason: "FieldValueDuplicate", message: `Duplicate value: "${p.name}"` });
      names.add(p.name);
    }
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535) {
      errs.push(invalidValue(`${path}.port`, p.port, "must be between 1 and 65535, inclusive"));
    }
    if (p.protocol && !PROTOCOLS.includes(p.protocol))
      errs.push(notSupported(`${path}.protocol`, p.protocol, PROTOCOLS));
    if (p.nodePort && type === "ClusterIP")
      errs.push({
        field: `${path}.nodePort`,
        reason: "FieldValueForbidden",
        message: "Forbidden: may not be used when `type` is 'ClusterIP'",
      });
  });
  return errs;
}

function validateUpdate(svc: KubeObject, old: KubeObject): FieldError[] {
  const errs: FieldError[] = [];
  const oldIp = old.spec?.clusterIP;
  const newIp = svc.spec?.clusterIP;
  // Upstream allows dropping the IP only when the type becomes ExternalName.
  if (oldIp && newIp !== oldIp && !(svc.spec?.type === "ExternalName" && !newIp))
    errs.push(immutable("spec.clusterIPs[0]", newIp ?? ""));
  return errs;
}

function externalIp(svc: KubeObject): string {
  const type = svc.spec?.type ?? "ClusterIP";
  const ext: string[] = svc.spec?.externalIPs ?? [];
  if (type === "ExternalName") return svc.spec?.externalName ?? "<none>";
  if (type === "LoadBalancer") {
    const ingress: { ip?: string; hostname?: string }[] = svc.status?.loadBalancer?.ingress ?? [];
    const all = [...ingress.map((i) => i.ip || i.hostname || ""), ...ext].filter(Boolean);
    return all.length ? all.join(",") : "<pending>";
  }
  return ext.length ? ext.join(",") : "<none>";
}

function portsCell(svc: KubeObject): string {
  const ports: ServicePort[] = svc.spec?.ports ?? [];
  if (!ports.length) return "<none>";
  return ports
    .map((p) => (p.nodePort ? `${p.port}:${p.nodePort}/${p.protocol ?? "TCP"}` : `${p.port}/${p.protocol ?? "TCP"}`))
    .join(",");
}

export default describe({
  group: "",
  version: "v1",
  kind: "Service",
  plural: "services",
  namespaced: true,
  shortNames: ["svc"],
  categories: ["all"],
  status: true,
  generation: false,
  subresources: ["proxy"],
  nameValidator: dns1035Label,
  defaults(svc) {
    svc.spec ??= {};
    const spec = svc.spec;
    spec.type ??= "ClusterIP";
    spec.sessionAffinity ??= "None";
    if (spec.type !== "ExternalName") {
      spec.internalTrafficPolicy ??= "Cluster";
      spec.ipFamilyPolicy ??= "SingleStack";
      spec.ipFamilies ??= ["IPv4"];
    }
    if ((spec.type === "NodePort" || spec.type === "LoadBalancer") && !spec.externalTrafficPolicy)
      spec.externalTrafficPolicy = "Cluster";
    if (spec.type === "LoadBalancer") spec.allocateLoadBalancerNodePorts ??= true;
    for (const p of (spec.ports ?? []) as ServicePort[]) {
      p.protocol ??= "TCP";
      p.targetPort ??= p.port;
    }
  },
  prepareCreate(svc) {
    svc.status = { loadBalancer: {} };
  },
  validate,
  validateUpdate,
  beforeCreate: (svc, ctx) => ctx.allocateServiceIps(svc),
  beforeUpdate: (svc, old, ctx) => ctx.allocateServiceIps(svc, old),
  afterDelete: (svc, ctx) => ctx.releaseServiceIps(svc),
  abortCreate: (svc, ctx) => ctx.releaseServiceIps(svc),
  fields: (svc) => ({ "spec.clusterIP": svc.spec?.clusterIP, "spec.type": svc.spec?.type }),
  columns: [
    nameColumn,
    col("Type", (s) => s.spec?.type ?? "ClusterIP"),
    col("Cluster-IP", (s) => s.spec?.clusterIP || "<none>"),
    col("External-IP", externalIp),
    col("Port(s)", portsCell),
    ageColumn,
    wide("Selector", (s) => mapToString(s.spec?.selector)),
  ],
});
