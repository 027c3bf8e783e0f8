// Imports images into containerd's k8s.io namespace without a registry: the pause image embedded in k3lite, and
// every *.tar / *.tar.gz / *.tar.zst (OCI or docker archive) in <dataDir>/agent/images/ (k3s's airgap folder).
// Uses `ctr images import`, which ships with containerd; compressed archives are decompressed into its stdin.

import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { consola } from "consola";

const log = consola.withTag("images");

/**
 * The path of the pause image tarball: embedded in the compiled binary (scripts/build.ts runs
 * scripts/build-test-images.sh before compiling), or dist/images/pause.tar when running from source.
 * K3LITE_PAUSE_IMAGE_TAR overrides both.
 */
export async function pauseImageTar(): Promise<string> {
  if (process.env.K3LITE_PAUSE_IMAGE_TAR) return process.env.K3LITE_PAUSE_IMAGE_TAR;
  try {
    const mod = await import("../../../dist/images/pause.tar", {
      with: { type: "file" },
    });
    return mod.default as string;
  } catch {
    throw new Error("the pause image is missing: run scripts/build-test-images.sh (it writes dist/images/pause.tar)");
  }
}

/** Imports one archive; `address` is containerd's socket path. */
export async function importImage(address: string, file: string, ctr = "ctr"): Promise<void> {
  const args = [ctr, "--address", address, "-n", "k8s.io", "images", "import"];
  let decompress: ReturnType<typeof Bun.spawn> | undefined;
  if (/\.(tar\.gz|tgz)$/.test(file))
    decompress = Bun.spawn(["gzip", "-dc", file], {
      stdout: "pipe",
      stderr: "pipe",
    });
  else if (/\.tar\.zst$/.test(file))
    decompress = Bun.spawn(["zstd", "-dc", file], {
      stdout: "pipe",
      stderr: "pipe",
    });
  // Files embedded in the compiled binary (/$bunfs/…) exist only for us: hand ctr the bytes on stdin.
  const embedded = file.startsWith("/$bunfs/") ? new Uint8Array(await Bun.file(file).arrayBuffer()) : undefined;
  const proc = Bun.spawn([...args, decompress || embedded ? "-" : file], {
    stdin: decompress ? (decompress.stdout as ReadableStream) : (embedded ?? "ignore"),
    stdout: "pipe",
    stderr: "pipe",
  });
  const [code, stderr] = await Promise.all([proc.exited, new Response(proc.stderr as ReadableStream).text()]);
  if (decompress && (await decompress.exited) !== 0) throw new Error(`decompressing ${file} failed`);
  if (code !== 0) throw new Error(`importing ${file} failed: ${stderr.trim()}`);
}

/** The airgap archives in `dir`, sorted; zstd archives only when zstd is installed. */
export function airgapImages(dir: string): string[] {
  if (!existsSync(dir)) return [];
  const zstd = Bun.which("zstd") !== null;
  return readdirSync(dir)
    .filter((f) => /\.(tar|tar\.gz|tgz)$/.test(f) || (zstd && f.endsWith(".tar.zst")))
    .sort()
    .map((f) => join(dir, f));
}

/** Imports the pause image and the airgap folder. A broken archive is logged and skipped, not fatal. */
export async function importStartupImages(address: string, imagesDir: string): Promise<void> {
  await importImage(address, await pauseImageTar());
  for (const file of airgapImages(imagesDir)) {
    const started = Date.now();
    try {
      await importImage(address, file);
      log.info(`imported ${file} in ${Date.now() - started} ms`);
    } catch (err) {
      log.error((err as Error).message);
    }
  }
}
