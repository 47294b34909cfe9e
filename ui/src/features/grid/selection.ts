// What a grid selection covers, as row and column indexes, and how to fetch rows that
// are not held in fewer requests. Structural types, so Glide's GridSelection (whose
// CompactSelections iterate their indexes) fits without this module importing it.

interface Indexes extends Iterable<number> {
  readonly length: number;
}

export interface SelectionShape {
  readonly current?: { readonly range: { readonly x: number; readonly y: number; readonly width: number; readonly height: number } };
  readonly rows: Indexes;
  readonly columns: Indexes;
}

export interface CopyTarget {
  /** Row indexes in order, at most `limit` of them. */
  rows: number[];
  columns: number[];
  /** How many rows the selection covers (more than `rows.length` past the limit). */
  selected: number;
}

/**
 * The rows and columns to copy: whole selected rows first (the row markers), else the
 * cell range, else whole selected columns. Null when nothing is selected.
 */
export function copyTarget(selection: SelectionShape, total: number, columnCount: number, limit: number): CopyTarget | null {
  let rows: Iterable<number>;
  let selected: number;
  let columns: number[];
  if (selection.rows.length > 0) {
    rows = selection.rows;
    selected = selection.rows.length;
    columns = span(0, columnCount);
  } else if (selection.current !== undefined) {
    const { x, y, width, height } = selection.current.range;
    rows = counting(y, Math.min(y + height, total));
    selected = Math.max(0, Math.min(height, total - y));
    columns = span(x, Math.min(x + width, columnCount));
  } else if (selection.columns.length > 0) {
    rows = counting(0, total);
    selected = total;
    columns = [...selection.columns].filter((c) => c < columnCount);
  } else {
    return null;
  }
  const taken: number[] = [];
  for (const row of rows) {
    if (taken.length >= limit) break;
    if (row < total) taken.push(row);
  }
  return taken.length === 0 || columns.length === 0 ? null : { rows: taken, columns, selected };
}

function span(from: number, to: number): number[] {
  return Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);
}

/** Lazily, so a select-all of millions of rows is not spelled out before the limit. */
function* counting(from: number, to: number): Generator<number> {
  for (let i = from; i < to; i++) yield i;
}

/**
 * Requests (`start`, `count` ≤ `chunk`) that cover sorted row indexes: rows close
 * together share a request, gaps of a chunk or more start a new one.
 */
export function fetchSpans(rows: readonly number[], chunk: number): { start: number; count: number }[] {
  const spans: { start: number; count: number }[] = [];
  for (const row of rows) {
    const last = spans[spans.length - 1];
    if (last && row < last.start + chunk) last.count = Math.max(last.count, row - last.start + 1);
    else spans.push({ start: row, count: 1 });
  }
  return spans;
}
