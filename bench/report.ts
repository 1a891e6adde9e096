/** One benchmark row against its target, and the table `npm run bench` prints. */

export interface Target {
  /** '>=': the measured value must reach it; '<=': must stay under it */
  op: '>=' | '<=';
  value: number;
  /** how the measured value and the target are written, e.g. '×', '%', ' GiB' */
  unit: string;
}

export interface Row {
  id: string;
  label: string;
  /** the Batchscope side, with its unit, e.g. '2,010 samples/s' */
  batchscope: string;
  /** the reference side, e.g. '1,880 samples/s (stock tfjs)' */
  reference: string;
  /** the quantity compared with the target (a ratio, a percentage, GiB); null when it could not be measured */
  measured: number | null;
  target: Target;
  /** why a side is missing, how noisy it was, what was run */
  notes: string[];
}

export function isMet(row: Row): boolean | null {
  if (row.measured === null) return null;
  return row.target.op === '>=' ? row.measured >= row.target.value : row.measured <= row.target.value;
}

export function formatNumber(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function formatMeasured(value: number, unit: string): string {
  const digits = unit === '%' ? 1 : 2;
  return `${formatNumber(value, digits)}${unit}`;
}

/** A row that could not be measured (a missing reference, a failed child). */
export function unmeasuredRow(id: string, label: string, target: Target, why: string): Row {
  return { id, label, batchscope: '—', reference: '—', measured: null, target, notes: [why] };
}

function cells(row: Row): string[] {
  const met = isMet(row);
  return [
    row.label,
    row.batchscope,
    row.reference,
    row.measured === null ? 'n/a' : formatMeasured(row.measured, row.target.unit),
    `${row.target.op === '>=' ? '≥' : '≤'} ${formatMeasured(row.target.value, row.target.unit)}`,
    met === null ? 'not measured' : met ? 'yes' : 'NO',
  ];
}

const HEADER = ['row', 'Batchscope', 'reference', 'ratio', 'target', 'met?'];

/** Aligned plain-text table for the terminal. */
export function textTable(rows: Row[]): string {
  const table = [HEADER, ...rows.map(cells)];
  const widths = HEADER.map((_, c) => Math.max(...table.map((r) => [...r[c]!].length)));
  const line = (r: string[]): string => r.map((cell, c) => cell + ' '.repeat(widths[c]! - [...cell].length)).join('  ');
  return [line(table[0]!), widths.map((w) => '─'.repeat(w)).join('  '), ...table.slice(1).map(line)].join('\n');
}

/** The same table as Markdown, for docs/benchmarks.md. */
export function markdownTable(rows: Row[]): string {
  const line = (r: string[]): string => `| ${r.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`;
  return [line(HEADER), line(HEADER.map(() => '---')), ...rows.map((r) => line(cells(r)))].join('\n');
}
