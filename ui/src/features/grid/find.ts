// Finding text among the rows a grid holds: matching cells in reading order, and the
// next or previous match from where the cursor is, so moving on still works after the
// held rows change (a live pane refetches as it scrolls).
import { cellText, type Json } from "../../json";

/** A matching cell: [column, row] with the row's index in the whole grid. */
export type Match = readonly [col: number, row: number];

/** Cells whose text (as the grid shows it) contains `query`, ignoring case. */
export function findMatches(rows: readonly (readonly Json[])[], start: number, query: string): Match[] {
  const needle = query.toLowerCase();
  if (needle === "") return [];
  const matches: Match[] = [];
  rows.forEach((row, i) => {
    row.forEach((value, col) => {
      if (cellText(value).toLowerCase().includes(needle)) matches.push([col, start + i]);
    });
  });
  return matches;
}

function compare(a: Match, b: Match): number {
  return a[1] - b[1] || a[0] - b[0];
}

/**
 * The index of the first match after `from` (or before it, going back), wrapping
 * around; from nowhere, the first (or last). -1 when there are none.
 */
export function stepMatch(matches: readonly Match[], from: Match | null, direction: 1 | -1): number {
  if (matches.length === 0) return -1;
  if (from === null) return direction === 1 ? 0 : matches.length - 1;
  if (direction === 1) {
    const next = matches.findIndex((m) => compare(m, from) > 0);
    return next === -1 ? 0 : next;
  }
  for (let i = matches.length - 1; i >= 0; i--) if (compare(matches[i], from) < 0) return i;
  return matches.length - 1;
}

/** Where `match` is in `matches`, or -1. */
export function indexOfMatch(matches: readonly Match[], match: Match | null): number {
  return match === null ? -1 : matches.findIndex((m) => m[0] === match[0] && m[1] === match[1]);
}

/** The matches among rows `from` to `to` (exclusive); matches are in row order. */
export function matchesInRows(matches: readonly Match[], from: number, to: number): Match[] {
  let lo = 0;
  let hi = matches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (matches[mid][1] < from) lo = mid + 1;
    else hi = mid;
  }
  const out: Match[] = [];
  for (let i = lo; i < matches.length && matches[i][1] < to; i++) out.push(matches[i]);
  return out;
}
