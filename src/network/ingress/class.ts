// Which Ingresses k3lite serves: those of no class (the cluster default), of class "k3lite", or of class "traefik",
// so manifests written for k3s's bundled Traefik work unchanged. Shared by the proxy's routes and the status
// controller.

import type { networking } from "../../api/types.ts";

/** The legacy annotation that named the class before spec.ingressClassName (still honoured by controllers). */
export const LEGACY_CLASS_ANNOTATION = "kubernetes.io/ingress.class";

export const OUR_CLASSES = new Set(["k3lite", "traefik"]);

export function ingressClassOf(ing: networking.Ingress): string | undefined {
  return ing.spec?.ingressClassName || ing.metadata?.annotations?.[LEGACY_CLASS_ANNOTATION] || undefined;
}

export function isOurIngress(ing: networking.Ingress): boolean {
  const cls = ingressClassOf(ing);
  return cls === undefined || OUR_CLASSES.has(cls);
}
