// The k3lite version, the git commit it was built from, and the Bun runtime: shown by `k3lite --version` and
// reported in Node nodeInfo. The build (scripts/build.ts) bakes the commit in; from source it is read from git.

import pkg from "../package.json" with { type: "json" };

declare const K3LITE_COMMIT: string | undefined;

function commitFromGit(): string {
  try {
    const out = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: import.meta.dir, stderr: "ignore" });
    return out.success ? out.stdout.toString().trim() : "unknown";
  } catch {
    return "unknown";
  }
}

export const version = `v${pkg.version}`;
export const gitCommit: string = typeof K3LITE_COMMIT === "string" ? K3LITE_COMMIT : commitFromGit();
export const bunVersion = Bun.version;

export function versionLine(): string {
  return `k3lite version ${version} (${gitCommit})\nbun version ${bunVersion}`;
}
