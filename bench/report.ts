// The table every benchmark prints: `report()` records a row (measurement, result, goal) and echoes it to stderr
// as it comes; `printReport()` prints all rows as Markdown on stdout at the end.

const rows: [string, string, string][] = [];

export function report(what: string, value: string, goal = ""): void {
  rows.push([what, value, goal]);
  console.error(`  ${what}: ${value}`);
}

export function printReport(heading = "measurement"): void {
  console.log(`| ${heading} | result | goal |\n|---|---|---|`);
  for (const [what, value, goal] of rows) console.log(`| ${what} | ${value} | ${goal} |`);
}
