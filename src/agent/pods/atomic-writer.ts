// Upstream's AtomicWriter for configMap/secret/downwardAPI/projected volumes: files are written into a fresh
// hidden directory, then the `..data` symlink is swapped to it with one rename, so a running pod sees either
// the old set of files or the new one, never a mix. Each visible name is a symlink through `..data`.

import {
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { dirname, join } from "node:path";

export interface Payload {
  [path: string]: { data: Uint8Array | string; mode?: number };
}

const DATA = "..data";

function sameContent(dir: string, payload: Payload): boolean {
  const current = join(dir, DATA);
  if (!existsSync(current)) return false;
  const paths = Object.keys(payload);
  const existing = listFiles(current);
  if (existing.length !== paths.length || !paths.every((p) => existing.includes(p))) return false;
  return paths.every((p) => {
    const want = payload[p]?.data ?? "";
    return Buffer.from(readFileSync(join(current, p))).equals(Buffer.from(want as Uint8Array | string));
  });
}

function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}

/** Makes `dir` show exactly `payload`. Returns true when something changed. */
export function writeAtomically(dir: string, payload: Payload): boolean {
  mkdirSync(dir, { recursive: true });
  if (sameContent(dir, payload)) return false;
  const tsDir = `..${new Date().toISOString().replace(/[:.]/g, "_")}.${Math.random().toString(36).slice(2, 8)}`;
  for (const [path, file] of Object.entries(payload)) {
    if (path.split("/").some((p) => p === ".." || p === "")) throw new Error(`invalid volume file path "${path}"`);
    const target = join(dir, tsDir, path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.data, { mode: file.mode ?? 0o644 });
  }
  let old: string | undefined;
  try {
    old = readlinkSync(join(dir, DATA));
  } catch {}
  const tmpLink = join(dir, "..data_tmp");
  rmSync(tmpLink, { force: true });
  symlinkSync(tsDir, tmpLink);
  renameSync(tmpLink, join(dir, DATA));

  const top = new Set(Object.keys(payload).map((p) => p.split("/")[0] as string));
  for (const name of top) {
    const link = join(dir, name);
    if (!existsSync(link) && !isSymlink(link)) symlinkSync(join(DATA, name), link);
  }
  for (const name of readdirSync(dir)) {
    if (name.startsWith("..") || top.has(name)) continue;
    if (isSymlink(join(dir, name))) rmSync(join(dir, name), { force: true });
  }
  if (old && old !== tsDir) rmSync(join(dir, old), { recursive: true, force: true });
  return true;
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}
