// Container log rotation by size, as the kubelet does it (--container-log-max-size, 5 files kept): a log past
// the limit is renamed to <log>.<timestamp>, the runtime is asked to reopen its log file (CRI
// ReopenContainerLog), and the oldest rotated files beyond the limit are removed.

import { existsSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import { basename, dirname, join } from "node:path";
import type { CriClient } from "../cri/client.ts";

export const MAX_LOG_FILES = 5;

export async function rotateLogs(cri: CriClient, maxBytes: number, maxFiles = MAX_LOG_FILES): Promise<number> {
  let rotated = 0;
  for (const c of await cri.listContainers({ state: "CONTAINER_RUNNING" })) {
    const status = await cri.containerStatus(c.id).catch(() => undefined);
    const path = status?.logPath;
    if (!path || !existsSync(path) || statSync(path).size <= maxBytes) continue;
    const stamp = new Date()
      .toISOString()
      .replace(/[-:]/g, "")
      .replace(/\.(\d+)Z$/, ".$1");
    renameSync(path, `${path}.${stamp}`);
    try {
      await cri.reopenContainerLog(c.id);
    } catch {
      // The container exited meanwhile: put the file back so `kubectl logs` still finds it.
      if (!existsSync(path)) renameSync(`${path}.${stamp}`, path);
      continue;
    }
    rotated++;
    const prefix = `${basename(path)}.`;
    const old = readdirSync(dirname(path))
      .filter((f) => f.startsWith(prefix))
      .sort();
    for (const f of old.slice(0, Math.max(0, old.length - (maxFiles - 1))))
      rmSync(join(dirname(path), f), { force: true });
  }
  return rotated;
}
