// Logging setup: consola everywhere; `--log-format json` makes one JSON object per line for log shippers.

import { consola, LogLevels } from "consola";

export function configureLogging(format: "text" | "json", debug: boolean): void {
  consola.level = debug ? LogLevels.debug : LogLevels.info;
  if (format === "json") {
    consola.setReporters([
      {
        log(logObj) {
          const msg = logObj.args
            .map((a) => (a instanceof Error ? (a.stack ?? a.message) : typeof a === "string" ? a : JSON.stringify(a)))
            .join(" ");
          process.stderr.write(
            `${JSON.stringify({ time: logObj.date.toISOString(), level: logObj.type, tag: logObj.tag || undefined, msg })}\n`,
          );
        },
      },
    ]);
  }
}
