// `bun run build`: compiles k3lite into one executable per target (dist/k3lite-linux-amd64, -arm64) and writes
// dist/sha256sums.txt. The git commit is baked in so `k3lite --version` can say what it was built from.

import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

const root = join(import.meta.dir, "..");
const dist = join(root, "dist");
const targets = (process.env.K3LITE_TARGETS ?? "linux-amd64,linux-arm64").split(",");
const bunTarget: Record<string, string> = { "linux-amd64": "bun-linux-x64", "linux-arm64": "bun-linux-arm64" };

function sh(cmd: string[]): string {
  const out = Bun.spawnSync(cmd, { cwd: root, stdout: "pipe", stderr: "inherit" });
  if (!out.success) throw new Error(`${cmd.join(" ")} failed`);
  return out.stdout.toString().trim();
}

mkdirSync(dist, { recursive: true });
// Images the binary embeds (the pause image) are built first, when the script for them exists.
const imagesScript = join(root, "scripts/build-test-images.sh");
if (existsSync(imagesScript)) sh(["bash", imagesScript]);

let commit = "unknown";
try {
  commit = sh(["git", "rev-parse", "--short=12", "HEAD"]);
} catch {}

const outputs: string[] = [];
for (const target of targets) {
  if (!bunTarget[target]) throw new Error(`unknown target ${target} (known: ${Object.keys(bunTarget).join(", ")})`);
  const outfile = join(dist, `k3lite-${target}`);
  sh([
    process.execPath,
    "build",
    "--compile",
    `--target=${bunTarget[target]}`,
    "--minify-syntax",
    "--minify-whitespace",
    `--define=K3LITE_COMMIT=${JSON.stringify(commit)}`,
    "src/cli/main.ts",
    "--outfile",
    outfile,
  ]);
  outputs.push(outfile);
  console.log(`built ${outfile}`);
}

const sums = outputs.map(
  (f) => `${new Bun.CryptoHasher("sha256").update(readFileSync(f)).digest("hex")}  ${basename(f)}`,
);
writeFileSync(join(dist, "sha256sums.txt"), `${sums.join("\n")}\n`);
console.log(sums.join("\n"));
