// A container's environment as the kubelet builds it: envFrom (ConfigMaps/Secrets with prefix), then env with
// literal values ($(VAR) expanded from earlier ones) or valueFrom (fieldRef, resourceFieldRef, configMapKeyRef,
// secretKeyRef), plus the kubernetes Service's KUBERNETES_SERVICE_HOST/PORT for in-cluster clients.

import type { Container, Pod } from "../../api/types.ts";
import { fieldRefValue, resourceFieldValue } from "./fields.ts";
import { type ObjectReader, secretValue } from "./refs.ts";

/** A missing ConfigMap/Secret: the container cannot be created (CreateContainerConfigError). */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Upstream's $(VAR) expansion: known names are replaced, $$ escapes, unknown references stay as written. */
export function expandVars(input: string, vars: Map<string, string>): string {
  return input.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (whole, name) => {
    if (whole === "$$") return "$";
    return vars.get(name) ?? whole;
  });
}

export interface EnvContext {
  pod: Pod;
  nodeIp: string;
  dataDir: string;
  reader: ObjectReader;
  /** KUBERNETES_SERVICE_HOST/PORT and friends (empty when the Service is not known). */
  serviceEnv: Record<string, string>;
}

export async function containerEnv(c: Container, ctx: EnvContext): Promise<Map<string, string>> {
  const ns = ctx.pod.metadata?.namespace ?? "default";
  const vars = new Map<string, string>(Object.entries(ctx.serviceEnv));
  for (const from of c.envFrom ?? []) {
    const prefix = from.prefix ?? "";
    if (from.configMapRef) {
      const cm = await ctx.reader.configMap(ns, from.configMapRef.name ?? "");
      if (!cm) {
        if (from.configMapRef.optional) continue;
        throw new ConfigError(`configmap "${from.configMapRef.name}" not found`);
      }
      for (const [k, v] of Object.entries(cm.data ?? {})) vars.set(prefix + k, v);
    } else if (from.secretRef) {
      const s = await ctx.reader.secret(ns, from.secretRef.name ?? "");
      if (!s) {
        if (from.secretRef.optional) continue;
        throw new ConfigError(`secret "${from.secretRef.name}" not found`);
      }
      for (const k of Object.keys(s.data ?? {})) vars.set(prefix + k, secretValue(s, k) ?? "");
    }
  }
  for (const e of c.env ?? []) {
    const v = await envValue(e, c, ctx, vars, ns);
    if (v !== undefined) vars.set(e.name, v);
  }
  return vars;
}

async function envValue(
  e: NonNullable<Container["env"]>[number],
  c: Container,
  ctx: EnvContext,
  vars: Map<string, string>,
  ns: string,
): Promise<string | undefined> {
  if (!e.valueFrom) return expandVars(e.value ?? "", vars);
  const vf = e.valueFrom;
  if (vf.fieldRef) return fieldRefValue(ctx.pod, vf.fieldRef.fieldPath, ctx.nodeIp);
  if (vf.resourceFieldRef) {
    const target = vf.resourceFieldRef.containerName
      ? [...(ctx.pod.spec?.containers ?? []), ...(ctx.pod.spec?.initContainers ?? [])].find(
          (x) => x.name === vf.resourceFieldRef?.containerName,
        )
      : c;
    return resourceFieldValue(target, vf.resourceFieldRef.resource, vf.resourceFieldRef.divisor as string, ctx.dataDir);
  }
  if (vf.configMapKeyRef) {
    const ref = vf.configMapKeyRef;
    const value = (await ctx.reader.configMap(ns, ref.name ?? ""))?.data?.[ref.key];
    if (value === undefined && !ref.optional)
      throw new ConfigError(`couldn't find key ${ref.key} in ConfigMap ${ns}/${ref.name}`);
    return value;
  }
  if (vf.secretKeyRef) {
    const ref = vf.secretKeyRef;
    const secret = await ctx.reader.secret(ns, ref.name ?? "");
    const value = secret ? secretValue(secret, ref.key) : undefined;
    if (value === undefined && !ref.optional)
      throw new ConfigError(`couldn't find key ${ref.key} in Secret ${ns}/${ref.name}`);
    return value;
  }
  return undefined;
}

/** The env vars every pod gets for the API server's Service (default/kubernetes). */
export function kubernetesServiceEnv(clusterIP: string | undefined, port = 443): Record<string, string> {
  if (!clusterIP) return {};
  const addr = `tcp://${clusterIP}:${port}`;
  return {
    KUBERNETES_SERVICE_HOST: clusterIP,
    KUBERNETES_SERVICE_PORT: String(port),
    KUBERNETES_SERVICE_PORT_HTTPS: String(port),
    KUBERNETES_PORT: addr,
    [`KUBERNETES_PORT_${port}_TCP`]: addr,
    [`KUBERNETES_PORT_${port}_TCP_PROTO`]: "tcp",
    [`KUBERNETES_PORT_${port}_TCP_PORT`]: String(port),
    [`KUBERNETES_PORT_${port}_TCP_ADDR`]: clusterIP,
  };
}
