/** Markdown tables for the bench reports (also readable as plain text in a terminal). */

/** A cell: numbers are printed with `digits` decimals by the caller; `null` prints as `–`. */
export type Cell = string | number | null;

/**
 * A Markdown table. Numeric columns are right-aligned; columns are padded so the raw text
 * lines up too.
 */
export function markdownTable(headers: readonly string[], rows: readonly (readonly Cell[])[]): string {
  const text = rows.map((row) => headers.map((_, i) => cellText(row[i] ?? null)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((row) => typeof row[i] === 'number' || row[i] === null));
  const widths = headers.map((h, i) => Math.max(h.length, 3, ...text.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]): string =>
    `| ${cells.map((c, i) => (numeric[i] ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (numeric[i] ? `${'-'.repeat(w + 1)}:` : `${'-'.repeat(w + 2)}`)).join('|')}|`;
  return [line(headers), rule, ...text.map(line)].join('\n');
}

/** `value` with `digits` decimals, or `null` for NaN/undefined so the table shows `–`. */
export function fixed(value: number | undefined | null, digits: number): number | null {
  if (value === undefined || value === null || !Number.isFinite(value)) return null;
  return Number(value.toFixed(digits));
}

function cellText(cell: Cell): string {
  if (cell === null) return '–';
  return String(cell);
}

/** Markdown lines listing a bench's failed output checks (none when all passed). */
export function failuresMarkdown(failures: readonly string[]): string[] {
  return failures.length > 0 ? ['', '**Output checks failed:**', ...failures.map((f) => `- ${f}`)] : [];
}
