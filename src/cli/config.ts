// Resolves flag values from, in order of precedence: command-line flags, K3LITE_<FLAG> env vars, the config file
// (/etc/k3lite/config.yaml or --config; keys are flag names, as in k3s), then defaults. Every wrong value is one
// ConfigError naming the flag and the value, so the CLI can exit with one clear line.

import { existsSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse as parseYaml } from "yaml";
import { allFlagNames, type FlagSpec } from "./flags.ts";

export class ConfigError extends Error {
  override name = "ConfigError";
}

export type FlagValues = Record<string, string | boolean | string[] | undefined>;

export function envName(flag: string): string {
  return `K3LITE_${flag.replaceAll("-", "_").toUpperCase()}`;
}

function parseCommandLine(specs: FlagSpec[], argv: string[]): { values: FlagValues; positionals: string[] } {
  const options = Object.fromEntries(
    specs.map(
      (s) => [s.name, { type: s.type === "boolean" ? "boolean" : "string", multiple: s.type === "list" }] as const,
    ),
  );
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options,
      strict: true,
      allowPositionals: true,
      allowNegative: true,
    });
    return { values: values as FlagValues, positionals };
  } catch (err) {
    // node's messages are long; keep the part that names the flag.
    const msg = (err as Error).message.split(". ")[0] ?? String(err);
    throw new ConfigError(msg.replace(/^Unknown option/, "unknown flag"));
  }
}

function readConfigFile(path: string, explicit: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (explicit) throw new ConfigError(`config file ${path}: not found`);
    return {};
  }
  let doc: unknown;
  try {
    doc = parseYaml(readFileSync(path, "utf8"));
  } catch (err) {
    throw new ConfigError(`config file ${path}: ${(err as Error).message.split("\n")[0]}`);
  }
  if (doc == null) return {};
  if (typeof doc !== "object" || Array.isArray(doc))
    throw new ConfigError(`config file ${path}: expected a map of flag names to values`);
  return doc as Record<string, unknown>;
}

function coerce(spec: FlagSpec, raw: unknown, source: string): string | boolean | string[] {
  if (spec.type === "boolean") {
    if (typeof raw === "boolean") return raw;
    if (raw === "true" || raw === "1") return true;
    if (raw === "false" || raw === "0" || raw === "") return false;
    throw new ConfigError(`${source}: "${raw}" is not true or false`);
  }
  if (spec.type === "list") {
    const items = Array.isArray(raw) ? raw : String(raw).split(",");
    return items.map((i) => String(i).trim()).filter((i) => i !== "");
  }
  if (typeof raw === "object" && raw !== null) throw new ConfigError(`${source}: expected a single value`);
  return String(raw);
}

/**
 * Resolve every flag in `specs` from argv, env and the config file. Positional arguments (at most
 * `maxPositionals`, default none) come back in `_`.
 */
export function resolveFlags(
  specs: FlagSpec[],
  argv: string[],
  env: Record<string, string | undefined> = process.env,
  maxPositionals = 0,
): FlagValues & { _: string[] } {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const { values: cli, positionals } = parseCommandLine(specs, argv);
  if (positionals.length > maxPositionals)
    throw new ConfigError(`unexpected argument "${positionals[maxPositionals]}"`);

  const explicitConfig = (cli.config as string | undefined) ?? env[envName("config")];
  const configPath = explicitConfig ?? "/etc/k3lite/config.yaml";
  const file = readConfigFile(configPath, explicitConfig !== undefined);
  for (const key of Object.keys(file)) {
    if (!allFlagNames.has(key)) throw new ConfigError(`config file ${configPath}: unknown key "${key}"`);
  }

  const out: FlagValues & { _: string[] } = { _: positionals };
  for (const spec of specs) {
    let value: string | boolean | string[] | undefined;
    if (cli[spec.name] !== undefined) value = cli[spec.name];
    else if (env[envName(spec.name)] !== undefined) value = coerce(spec, env[envName(spec.name)], envName(spec.name));
    else if (spec.name in file && byName.has(spec.name))
      value = coerce(spec, file[spec.name], `config file ${configPath}: ${spec.name}`);
    else value = spec.default?.();
    if (spec.validate && value !== undefined) {
      for (const v of Array.isArray(value) ? value : typeof value === "string" ? [value] : []) {
        const problem = spec.validate(v);
        if (problem) throw new ConfigError(`--${spec.name}: ${problem}`);
      }
    }
    out[spec.name] = value;
  }
  out.config = configPath;
  return out;
}

export const str = (v: FlagValues, k: string): string | undefined => v[k] as string | undefined;
/** A flag that always has a value (it has a default); a missing one is a bug in the flag table. */
export function req(v: FlagValues, k: string): string {
  const value = v[k];
  if (typeof value !== "string") throw new ConfigError(`--${k} is required`);
  return value;
}
export const list = (v: FlagValues, k: string): string[] => (v[k] as string[] | undefined) ?? [];
export const bool = (v: FlagValues, k: string): boolean => v[k] === true;
