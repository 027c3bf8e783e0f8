// A real image registry on loopback for pull tests: Debian's `docker-registry` (distribution 2.8) on a free
// port with its own temp storage, optionally behind htpasswd basic auth (which it accepts over plain HTTP) and
// optionally serving HTTPS with a self-signed certificate made by openssl, and `skopeo copy` to push the test
// images built by scripts/build-test-images.sh into it.

import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, waitFor } from "./harness.ts";

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface RegistryOptions {
  /** Only this user may push and pull (htpasswd basic auth). */
  auth?: RegistryCredentials;
  /** Serve HTTPS with a self-signed certificate for 127.0.0.1 (its PEM file is `caFile`). */
  tls?: boolean;
}

export interface Registry {
  /** host:port, as an image reference names it. */
  host: string;
  /** http(s)://host:port, as a registries.yaml endpoint names it. */
  url: string;
  /** With `tls`: the certificate to trust (registries.yaml `configs.<host>.tls.ca_file`). */
  caFile?: string;
  /** Copies an OCI archive (e.g. dist/images/busybox.tar) into the registry as `repo:tag`. */
  push(archive: string, repoTag: string): Promise<void>;
  /** The manifest digest the registry serves for `repo:tag` (what CRI reports in a pulled image's ID). */
  digest(repoTag: string): Promise<string>;
  /** The registry's access log, one line per request ("METHOD /path HTTP/1.1" status …), oldest first. */
  requests(): Promise<string[]>;
  /** Kills the registry process and removes its storage. */
  stop(): Promise<void>;
}

const MANIFEST_TYPES = [
  "application/vnd.oci.image.manifest.v1+json",
  "application/vnd.oci.image.index.v1+json",
  "application/vnd.docker.distribution.manifest.v2+json",
  "application/vnd.docker.distribution.manifest.list.v2+json",
].join(", ");

function registryConfig(dir: string, port: number, opts: RegistryOptions): string {
  const auth = opts.auth ? `auth:\n  htpasswd:\n    realm: k3lite-test\n    path: ${join(dir, "htpasswd")}\n` : "";
  const tls = opts.tls ? `  tls:\n    certificate: ${join(dir, "cert.pem")}\n    key: ${join(dir, "key.pem")}\n` : "";
  return `version: 0.1
log:
  level: warn
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: ${join(dir, "data")}
  delete:
    enabled: true
http:
  addr: 127.0.0.1:${port}
${tls}${auth}`;
}

/** Runs a command to completion; throws with its output when it fails. */
async function run(cmd: string[]): Promise<void> {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), p.exited]);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}: ${out}${err}`);
}

/** A self-signed certificate for 127.0.0.1 (Go wants the IP as a SAN, not only the CN). */
function selfSignedCert(dir: string): Promise<void> {
  return run([
    "openssl",
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-days",
    "2",
    "-subj",
    "/CN=127.0.0.1",
    "-addext",
    "subjectAltName=IP:127.0.0.1",
    "-keyout",
    join(dir, "key.pem"),
    "-out",
    join(dir, "cert.pem"),
  ]);
}

const scheme = (opts: RegistryOptions) => (opts.tls ? "https" : "http");

/** fetch() options that trust nothing but this registry's own certificate. */
const fetchTls = (dir: string, opts: RegistryOptions) =>
  opts.tls ? { tls: { ca: readFileSync(join(dir, "cert.pem"), "utf8") } } : {};

/** Starts once on a port another process may have taken meanwhile; undefined when the registry did not come up. */
async function tryStart(
  dir: string,
  opts: RegistryOptions,
): Promise<{ proc: Bun.Subprocess; port: number } | undefined> {
  const port = await freePort();
  const config = join(dir, "config.yml");
  writeFileSync(config, registryConfig(dir, port, opts));
  // One descriptor for both streams: two opens of the file would each write from offset 0 over the other.
  const log = openSync(join(dir, "registry.log"), "a");
  // setpriv --pdeathsig: the registry dies with this test process, also when it is killed before afterAll.
  const proc = Bun.spawn(["setpriv", "--pdeathsig", "KILL", "docker-registry", "serve", config], {
    stdout: log,
    stderr: log,
  });
  closeSync(log);
  let exited = false;
  void proc.exited.then(() => {
    exited = true;
  });
  // 200 without auth, 401 with: either way the registry answers the v2 API.
  const up = await waitFor(
    async () => {
      if (exited) return "exited";
      const url = `${scheme(opts)}://127.0.0.1:${port}/v2/`;
      const r = await fetch(url, { signal: AbortSignal.timeout(2000), ...fetchTls(dir, opts) }).catch(() => null);
      return r && (r.status === 200 || r.status === 401) ? "up" : undefined;
    },
    20_000,
    "docker-registry answering /v2/",
  ).catch(() => "timeout");
  if (up === "up") return { proc, port };
  proc.kill("SIGKILL");
  await proc.exited;
  return undefined;
}

/** Starts `docker-registry serve` on 127.0.0.1 at a free port. */
export async function startRegistry(opts: RegistryOptions = {}): Promise<Registry> {
  const dir = mkdtempSync(join(tmpdir(), "k3lite-registry-"));
  if (opts.tls) await selfSignedCert(dir);
  if (opts.auth) {
    // distribution accepts bcrypt entries only; Bun's "$2b$" hashes are bcrypt.
    const hash = await Bun.password.hash(opts.auth.password, { algorithm: "bcrypt", cost: 4 });
    writeFileSync(join(dir, "htpasswd"), `${opts.auth.username}:${hash}\n`);
  }
  let started: Awaited<ReturnType<typeof tryStart>>;
  for (let i = 0; i < 5 && !started; i++) started = await tryStart(dir, opts);
  if (!started) {
    const log = await Bun.file(join(dir, "registry.log"))
      .text()
      .catch(() => "");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`docker-registry did not start: ${log}`);
  }
  const { proc, port } = started;

  const host = `127.0.0.1:${port}`;
  const basic = opts.auth
    ? { authorization: `Basic ${btoa(`${opts.auth.username}:${opts.auth.password}`)}` }
    : ({} as Record<string, string>);
  return {
    host,
    url: `${scheme(opts)}://${host}`,
    ...(opts.tls ? { caFile: join(dir, "cert.pem") } : {}),
    async push(archive, repoTag) {
      const creds = opts.auth ? ["--dest-creds", `${opts.auth.username}:${opts.auth.password}`] : [];
      await run([
        "skopeo",
        "--insecure-policy",
        "copy",
        "--quiet",
        "--dest-tls-verify=false",
        ...creds,
        `oci-archive:${archive}`,
        `docker://${host}/${repoTag}`,
      ]);
    },
    async digest(repoTag) {
      const [repo, tag] = repoTag.split(":");
      const r = await fetch(`${scheme(opts)}://${host}/v2/${repo}/manifests/${tag}`, {
        method: "HEAD",
        headers: { accept: MANIFEST_TYPES, ...basic },
        ...fetchTls(dir, opts),
      });
      const digest = r.headers.get("docker-content-digest");
      if (!r.ok || !digest) throw new Error(`HEAD ${repoTag} on ${host}: ${r.status}`);
      return digest;
    },
    async requests() {
      const log = await Bun.file(join(dir, "registry.log")).text();
      return log.split("\n").filter((line) => line.startsWith("127.0.0.1 - "));
    },
    async stop() {
      proc.kill("SIGTERM");
      const gone = await Promise.race([proc.exited.then(() => true), Bun.sleep(5000).then(() => false)]);
      if (!gone) {
        proc.kill("SIGKILL");
        await proc.exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
