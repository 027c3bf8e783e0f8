#!/usr/bin/env bun
// k3lite's entry point: parses the command line and hands over to a command. Commands are lazy so that
// `k3lite --version` does not load the API server.

// @peculiar/x509 (certificates) needs this polyfill loaded before it, also in the bundled binary.
import "reflect-metadata";
import { defineCommand, runCommand, runMain } from "citty";
import { consola } from "consola";
import { versionLine } from "../version.ts";

const main = defineCommand({
  meta: { name: "k3lite", description: "Lightweight Kubernetes in one executable" },
  subCommands: {
    server: () => import("./commands/server.ts").then((m) => m.default),
    agent: () => import("./commands/agent.ts").then((m) => m.default),
    "check-config": () => import("./commands/check-config.ts").then((m) => m.default),
    kubectl: () => import("./commands/kubectl.ts").then((m) => m.default),
    snapshot: () => import("./commands/snapshot.ts").then((m) => m.default),
    token: () => import("./commands/token.ts").then((m) => m.default),
    sim: () => import("./commands/sim.ts").then((m) => m.default),
    "secrets-encrypt": () => import("./commands/secrets-encrypt.ts").then((m) => m.default),
    version: () => import("./commands/version.ts").then((m) => m.default),
    "portforward-relay": () => import("./commands/portforward-relay.ts").then((m) => m.default),
  },
});

const argv = process.argv.slice(2);
if (argv[0] === "--version" || argv[0] === "-v") {
  console.log(versionLine());
  process.exit(0);
}

process.on("unhandledRejection", (err) => {
  consola.error(err);
});

const wantsHelp = argv.length === 0 || argv.includes("--help") || argv.includes("-h");
if (wantsHelp) {
  await runMain(main, { rawArgs: argv });
} else {
  try {
    await runCommand(main, { rawArgs: argv });
  } catch (err) {
    // One clear line by default; the stack trace with --debug.
    const debug = argv.includes("--debug") || process.env.K3LITE_DEBUG === "true";
    consola.error(err instanceof Error && !debug ? err.message : err);
    process.exit(1);
  }
}
