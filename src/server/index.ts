// `k3lite server`: opens the datastore, ensures the PKI, starts the HTTPS API server, bootstraps the cluster and
// writes the admin kubeconfig. Further components (scheduler, controllers, agent) are started here as steps.

import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { consola } from "consola";
import type { UserInfo } from "../api/types.ts";
import { nthIp, parseCidr } from "../apiserver/allocator.ts";
import { type ApiServer, createApiServer } from "../apiserver/app.ts";
import { startCrdServing } from "../apiserver/crd/serving.ts";
import { inProcessTransport } from "../apiserver/in-process.ts";
import { listenHttps } from "../apiserver/listener.ts";
import { createSecretsTransformer, loadOrCreateEncryptionConfig } from "../auth/encryption.ts";
import { ensureAdminKubeconfig, parseFileMode } from "../auth/kubeconfig.ts";
import { ensureServerPki, type ServerPki, type ServerPkiOptions, scheduleCertificateRenewal } from "../auth/pki.ts";
import { APISERVER_USER } from "../auth/rbac/bootstrap-policy.ts";
import { ensureServerToken, serverTokenPath } from "../auth/token.ts";
import { createClient } from "../client/client.ts";
import type { KubeClient, Transport } from "../client/types.ts";
import { openStore } from "../store/index.ts";
import type { Store } from "../store/types.ts";
import { wireAuth } from "./auth.ts";
import { bootstrapCluster, publishApiServerEndpoints } from "./bootstrap.ts";
import type { ServerConfig } from "./config.ts";
import { wireMetrics } from "./metrics.ts";
import { wirePodStreams } from "./pod-streams.ts";
import { mountExtras } from "./routes.ts";
import { createSecretsEncryptRoutes, SECRETS_ENCRYPT_PATH } from "./secrets-encrypt.ts";

export interface RunningServer {
  /** https://<address>:<port> the API server listens on. */
  url: string;
  port: number;
  pki: ServerPki;
  store: Store;
  api: ApiServer;
  /** The server token agents join with. */
  token: string;
  /** An in-process transport acting as `user` (default: the API server's own privileged identity). */
  transport(user?: UserInfo): Transport;
  client(user?: UserInfo, userAgent?: string): KubeClient;
  stop(): Promise<void>;
}

/** The address in-cluster clients reach the API server at: --advertise-address, --node-ip, the bind address, or
 * the first non-loopback IPv4 address of this machine. */
function advertisedIp(config: ServerConfig): string {
  const explicit =
    config.advertiseAddress ??
    config.nodeIp ??
    (config.bindAddress !== "0.0.0.0" && config.bindAddress !== "::" ? config.bindAddress : undefined);
  if (explicit) return explicit;
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return "127.0.0.1";
}

/** The server token as the token file holds it now (the one the server started with if the file is unreadable). */
function currentServerToken(dataDir: string, fallback: string): string {
  try {
    return readFileSync(serverTokenPath(dataDir), "utf8").trim() || fallback;
  } catch {
    return fallback;
  }
}

export interface StartServerOptions {
  /** How often certificates are checked for renewal (default daily; tests shorten it). */
  certRenewalIntervalMs?: number;
}

export async function startServer(config: ServerConfig, options: StartServerOptions = {}): Promise<RunningServer> {
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const cidr = parseCidr(config.serviceCidr);
  const kubernetesServiceIp = nthIp(cidr, 1);

  const store = await openStore({ dataDir: config.dataDir, endpoint: config.datastoreEndpoint });
  const pkiOptions: ServerPkiOptions = {
    dataDir: config.dataDir,
    nodeName: config.nodeName,
    sans: [...config.tlsSans, ...[config.advertiseAddress, config.nodeIp].filter((a): a is string => !!a)],
    clusterDomain: config.clusterDomain,
    firstServiceIp: kubernetesServiceIp,
  };
  const pki = await ensureServerPki(pkiOptions);
  const startToken = await ensureServerToken(config.dataDir, pki.caBundlePem, config.token);
  // `k3lite token rotate` rewrites the token file while the server runs: joins read it per request.
  const serverToken = () => currentServerToken(config.dataDir, startToken);

  const api = createApiServer({ store, serviceCidr: config.serviceCidr });
  // Secrets are always readable whatever the flag (data written while it was on stays decryptable).
  const encryption = await createSecretsTransformer(await loadOrCreateEncryptionConfig(config.dataDir), {
    enabled: config.secretsEncryption,
  });
  api.storage.setTransformer(api.registry.get("", "v1", "secrets")!, encryption);
  api.mount(
    SECRETS_ENCRYPT_PATH,
    createSecretsEncryptRoutes({
      api,
      dataDir: config.dataDir,
      enabled: config.secretsEncryption,
      serverToken,
      current: encryption,
    }),
  );
  const authCaches = await wireAuth(api, pki, config);
  const stopExtras = await mountExtras(api, pki, serverToken);
  const crdServing = await startCrdServing({ registry: api.registry, storage: api.storage });

  const transport = (user: UserInfo = APISERVER_USER) => inProcessTransport(api.app, user);
  const client = (user?: UserInfo, userAgent = "k3lite") => createClient(transport(user), { userAgent });

  const onUpgrade = await wirePodStreams(api, pki);
  await wireMetrics(api, pki);

  const listener = await listenHttps({
    onUpgrade: (req, socket, head) => void onUpgrade(req, socket, head),
    fetch: api.app.fetch,
    fast: api.fast,
    certPem: pki.servingCertPem,
    keyPem: pki.servingKeyPem,
    clientCaPem: pki.clientCaCertPem,
    host: config.bindAddress,
    port: config.httpsListenPort,
  });
  const host = config.bindAddress === "0.0.0.0" || config.bindAddress === "::" ? "127.0.0.1" : config.bindAddress;
  const url = `https://${host.includes(":") ? `[${host}]` : host}:${listener.port}`;

  await bootstrapCluster(client(), {
    kubernetesServiceIp,
    apiServerPort: listener.port,
    clusterDnsIp: config.clusterDns,
    serviceCidr: config.serviceCidr,
    ingressClass: !config.disable.includes("traefik"),
  });
  await publishApiServerEndpoints(client(), advertisedIp(config), listener.port);

  const writeKubeconfig = () =>
    ensureAdminKubeconfig({
      pki,
      path: config.writeKubeconfig,
      mode: parseFileMode(config.writeKubeconfigMode),
      server: url,
    });
  await writeKubeconfig();
  // Leaf certificates near expiry are renewed while running; new connections get the new serving certificate.
  const stopRenewal = scheduleCertificateRenewal(
    pkiOptions,
    pki,
    (renewed) => {
      listener.setServingCertificate(renewed.servingCertPem, renewed.servingKeyPem);
      consola.info("serving certificate renewed");
      writeKubeconfig().catch((err: Error) => consola.warn(`admin kubeconfig renewal: ${err.message}`));
    },
    (err) => consola.warn(`certificate renewal: ${err.message}`),
    options.certRenewalIntervalMs,
  );
  api.ready.value = true;
  consola.info(`API server listening on ${url}; admin kubeconfig at ${config.writeKubeconfig}`);

  return {
    url,
    port: listener.port,
    pki,
    store,
    api,
    get token() {
      return serverToken();
    },
    transport,
    client,
    async stop() {
      api.ready.value = false;
      stopRenewal();
      authCaches.stop();
      crdServing.stop();
      stopExtras();
      await listener.close();
      await store.close();
    },
  };
}
