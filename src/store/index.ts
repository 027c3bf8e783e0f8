// Chooses and opens the datastore named by --datastore-endpoint: SQLite in the data dir by default, or at a
// sqlite:// path. Everything else talks to the returned Store only.
import { join } from "node:path";
import type { CompactionWindow } from "./compactor.ts";
import { SqliteStore } from "./sqlite.ts";
import type { Store } from "./types.ts";

export type { CompactionWindow } from "./compactor.ts";
export { listSnapshots, restoreSnapshot, type SnapshotInfo, saveSnapshot, snapshotFileName } from "./snapshot.ts";
export { SqliteStore } from "./sqlite.ts";
export * from "./types.ts";

export interface OpenStoreOptions {
  dataDir: string;
  /** --datastore-endpoint: empty for the default SQLite file, `sqlite://<path>`, or (later) `postgres://…`. */
  endpoint?: string;
  /** History the background compactor keeps; `false` disables it. */
  compactWindow?: CompactionWindow | false;
}

/** Where the default SQLite database lives, also used by the snapshot commands. */
export function defaultDatabasePath(dataDir: string): string {
  return join(dataDir, "server", "db", "state.db");
}

/** Where `k3lite snapshot save` writes by default. */
export function snapshotsDir(dataDir: string): string {
  return join(dataDir, "server", "db", "snapshots");
}

/** The SQLite file an endpoint names, or undefined when the endpoint is not SQLite. */
export function sqlitePath(opts: Pick<OpenStoreOptions, "dataDir" | "endpoint">): string | undefined {
  const endpoint = opts.endpoint?.trim() ?? "";
  if (endpoint === "") return defaultDatabasePath(opts.dataDir);
  if (endpoint.startsWith("sqlite://")) {
    const path = endpoint.slice("sqlite://".length).split("?")[0];
    if (path === "") throw new Error(`--datastore-endpoint ${endpoint}: expected sqlite://<path to the database file>`);
    return path;
  }
  return undefined;
}

export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  const path = sqlitePath(opts);
  if (path) return new SqliteStore(path, { compaction: opts.compactWindow });
  const endpoint = opts.endpoint ?? "";
  if (/^postgres(ql)?:\/\//.test(endpoint)) {
    throw new Error(
      `--datastore-endpoint ${redact(endpoint)}: PostgreSQL is not supported yet; use the default SQLite datastore`,
    );
  }
  throw new Error(`--datastore-endpoint ${redact(endpoint)}: unknown scheme; expected empty or sqlite://<path>`);
}

/** Endpoints can carry passwords; never print them. */
function redact(endpoint: string): string {
  return endpoint.replace(/\/\/[^@/]*@/, "//***@");
}
