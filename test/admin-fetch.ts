// Raw HTTPS requests to a test server with the admin credentials of the kubeconfig it wrote: for what kubectl
// rewords or hides (Status causes, watch streams, the apiVersion of a response).

import { readFile } from "node:fs/promises";
import { parse } from "yaml";
import type { K3lite } from "./harness.ts";

export async function adminFetch(k: K3lite, path: string, init: RequestInit = {}): Promise<Response> {
  const user = parse(await readFile(k.kubeconfig, "utf8")).users[0].user;
  const pem = (b64: string) => Buffer.from(b64, "base64").toString();
  return fetch(`${k.url}${path}`, {
    ...init,
    tls: { cert: pem(user["client-certificate-data"]), key: pem(user["client-key-data"]), rejectUnauthorized: false },
  });
}
