// Shared plumbing for long-running commands: help text from the flag table, and graceful stop on SIGINT/SIGTERM.

import type { ArgsDef } from "citty";
import { consola } from "consola";
import type { FlagSpec } from "./flags.ts";

/** citty argument definitions, only for `--help`: parsing is strict and done by resolveFlags. */
export function cittyArgs(specs: FlagSpec[]): ArgsDef {
  return Object.fromEntries(
    specs.map((s) => [
      s.name,
      {
        type: s.type === "boolean" ? "boolean" : "string",
        description: s.type === "list" ? `${s.description} (repeatable)` : s.description,
      },
    ]),
  ) as ArgsDef;
}

/** Start a component and keep the process alive until SIGINT/SIGTERM, then stop it once. */
export async function runUntilSignal(start: () => Promise<{ stop(): Promise<void> }>): Promise<void> {
  const running = await start();
  await new Promise<void>((resolve) => {
    let stopping = false;
    const onSignal = (sig: string) => {
      if (stopping) return;
      stopping = true;
      consola.info(`Received ${sig}, shutting down`);
      running
        .stop()
        .catch((err) => consola.error(err))
        .finally(resolve);
    };
    process.once("SIGINT", () => onSignal("SIGINT"));
    process.once("SIGTERM", () => onSignal("SIGTERM"));
  });
  process.exit(0);
}
