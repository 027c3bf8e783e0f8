// `k3lite snapshot save|ls|restore`: consistent copies of the SQLite datastore, like `k3s etcd-snapshot`.

import { join } from "node:path";
import { defineCommand } from "citty";
import {
  defaultDatabasePath,
  listSnapshots,
  restoreSnapshot,
  saveSnapshot,
  snapshotFileName,
  snapshotsDir,
  sqlitePath,
} from "../../store/index.ts";
import { req, resolveFlags, str } from "../config.ts";
import { type FlagSpec, serverFlags } from "../flags.ts";
import { cittyArgs } from "../run.ts";

const flags: FlagSpec[] = [
  ...serverFlags.filter((f) => ["config", "data-dir", "datastore-endpoint"].includes(f.name)),
  { name: "name", type: "string", description: "File name of the snapshot (save)" },
  { name: "dir", type: "string", description: "Folder of snapshots (default <data-dir>/server/db/snapshots)" },
];

function locate(rawArgs: string[], maxPositionals = 0) {
  const v = resolveFlags(flags, rawArgs, process.env, maxPositionals);
  const dataDir = req(v, "data-dir");
  const db = sqlitePath({ dataDir, endpoint: str(v, "datastore-endpoint") }) ?? defaultDatabasePath(dataDir);
  return { v, db, dir: str(v, "dir") ?? snapshotsDir(dataDir) };
}

const save = defineCommand({
  meta: { name: "save", description: "Save a consistent snapshot of the datastore (safe while the server runs)" },
  args: cittyArgs(flags),
  async run({ rawArgs }) {
    const { v, db, dir } = locate(rawArgs);
    const info = await saveSnapshot(db, join(dir, str(v, "name") ?? snapshotFileName()));
    console.log(`saved ${info.path} (${info.size} bytes)`);
  },
});

const ls = defineCommand({
  meta: { name: "ls", description: "List saved snapshots" },
  args: cittyArgs(flags),
  run({ rawArgs }) {
    const { dir } = locate(rawArgs);
    const rows = listSnapshots(dir);
    console.log(["NAME", "SIZE", "CREATED"].join("\t"));
    for (const s of rows) console.log([s.path, String(s.size), s.createdAt.toISOString()].join("\t"));
  },
});

const restore = defineCommand({
  meta: { name: "restore", description: "Replace the datastore with a snapshot (the server must be stopped)" },
  args: {
    ...cittyArgs(flags),
    file: { type: "positional", description: "Snapshot file (or a name in the snapshots folder)" },
  },
  async run({ rawArgs }) {
    const { v, db, dir } = locate(rawArgs, 1);
    const given = v._[0];
    if (!given) throw new Error("snapshot restore: name the snapshot file to restore");
    const file = given.includes("/") ? given : join(dir, given);
    const kept = await restoreSnapshot(file, db);
    console.log(`restored ${file} into ${db}${kept ? `; the previous database is kept at ${kept}` : ""}`);
  },
});

export default defineCommand({
  meta: { name: "snapshot", description: "Save, list and restore datastore snapshots" },
  subCommands: { save, ls, restore },
});
