// Writing credentials to disk: atomically (temp file + rename) and with a fixed mode, so a crash never leaves
// half a key and a key never becomes world-readable.
import { chmod, mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { dirname } from "node:path";

export const SECRET_FILE_MODE = 0o600;

export async function writeFileAtomic(path: string, data: string | Uint8Array, mode: number): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  await writeFile(tmp, data, { mode });
  await chmod(tmp, mode); // the umask may have narrowed or the file existed
  await rename(tmp, path);
}

export function writeSecretFile(path: string, data: string | Uint8Array): Promise<void> {
  return writeFileAtomic(path, data, SECRET_FILE_MODE);
}

/** The file's text, or undefined when it does not exist. */
export async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}
