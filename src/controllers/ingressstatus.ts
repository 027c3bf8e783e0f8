// Ingress status for k3lite's in-process ingress (what Traefik publishes in k3s): every Ingress that is ours (no
// class, "k3lite" or "traefik") gets the Ready nodes' addresses as status.loadBalancer.ingress, since every node's
// agent serves the ingress on :80. An Ingress moved to another class has what we wrote taken back; one that was
// always another class's is left alone (its controller owns the status).

import type { Node, networking } from "../api/types.ts";
import { ingresses as ingressesRef, nodes as nodesRef } from "../client/refs.ts";
import { isOurIngress } from "../network/ingress/class.ts";
import { writeStatus } from "./apiutil.ts";
import { type Controller, type ControllerContext, newController } from "./framework.ts";
import { keyOf, splitKey } from "./owner.ts";
import { nodeIngressIps } from "./servicelb.ts";

type Ingress = networking.Ingress;

export function startIngressStatusController(ctx: ControllerContext): Controller {
  const ingressInformer = ctx.informer<Ingress>(ingressesRef);
  const nodeInformer = ctx.informer<Node>(nodesRef);
  const controller = newController(ctx, "ingressstatus", sync);
  // Ingresses seen leaving our classes: their status is ours to clear. (After a restart an Ingress already moved
  // away is not recognised as ours; clearing every other class's status would overwrite its controller's.)
  const released = new Set<string>();

  const enqueueOurs = () => {
    for (const ing of ingressInformer.lister.list()) if (isOurIngress(ing)) controller.enqueue(keyOf(ing));
  };
  ingressInformer.addEventHandler({
    onAdd: (ing) => isOurIngress(ing) && controller.enqueue(keyOf(ing)),
    onUpdate: (old, ing) => {
      if (isOurIngress(old) && !isOurIngress(ing)) released.add(keyOf(ing));
      if (isOurIngress(ing) || released.has(keyOf(ing))) controller.enqueue(keyOf(ing));
    },
    onDelete: (ing) => released.delete(keyOf(ing)),
  });
  nodeInformer.addEventHandler({ onAdd: enqueueOurs, onUpdate: enqueueOurs, onDelete: enqueueOurs });

  async function sync(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const ing = ingressInformer.lister.get(namespace, name);
    if (!ing || ing.metadata?.deletionTimestamp) return;
    const ours = isOurIngress(ing);
    if (!ours && !released.has(key)) return;
    const ips = ours ? nodeIngressIps(nodeInformer.lister.list()) : [];
    const current = (ing.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? "");
    if (current.join() !== ips.join()) {
      const loadBalancer = ips.length ? { ingress: ips.map((ip) => ({ ip })) } : {};
      await writeStatus(ctx.client, ingressesRef, ing, { ...ing.status, loadBalancer });
    }
    if (!ours) released.delete(key);
  }

  return controller;
}
