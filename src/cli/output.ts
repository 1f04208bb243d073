/** Result printing shared by every command: JSON with --json, an aligned table otherwise. */
import { useColor, type CliIo } from './io.js';

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
}

/** An aligned text table (bold header on a colour terminal). Empty tables print "(none)". */
export function printTable<T>(io: CliIo, columns: Column<T>[], rows: readonly T[]): void {
  if (rows.length === 0) {
    io.stdout('(none)\n');
    return;
  }
  const cells = rows.map((r) => columns.map((c) => String(c.value(r) ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]!.length)));
  const line = (values: string[]) => values.map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i]!))).join('  ').trimEnd() + '\n';
  const header = line(columns.map((c) => c.header));
  io.stdout(useColor(io) ? `\u001b[1m${header.trimEnd()}\u001b[22m\n` : header);
  for (const row of cells) io.stdout(line(row));
}

/** Pretty JSON, one document, newline-terminated. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(`${JSON.stringify(value, null, 2)}\n`);
}
