// Which cells of the grid a new window of rows changed, so that the grid draws only
// those. A new getCellContent makes the grid draw every cell again and the webview
// repaint the whole grid, while a batch of a busy pane changes a few cells of it (of a
// GROUP BY pane, the aggregates of the groups that changed; of a large table, often
// none on screen).
import { keyString, type Json } from "../../json";

/** Rows the grid holds: their keys and values, from position `start`. */
export interface HeldRows {
  start: number;
  keys: readonly (readonly Json[])[];
  rows: readonly (readonly Json[])[];
}

/**
 * The cells whose value differs, as [column, row] with the row's position in the grid,
 * and every cell of a row that another key took; null when the rows moved (another
 * start or count), and every cell is to be drawn again.
 */
export function changedCells(before: HeldRows, after: HeldRows): [number, number][] | null {
  if (before.start !== after.start || before.keys.length !== after.keys.length) return null;
  const cells: [number, number][] = [];
  after.rows.forEach((values, i) => {
    const row = after.start + i;
    const old = before.rows[i];
    const sameRow = keyString(before.keys[i]) === keyString(after.keys[i]);
    values.forEach((value, col) => {
      if (!sameRow || !sameValue(old[col], value)) cells.push([col, row]);
    });
  });
  return cells;
}

function sameValue(a: Json | undefined, b: Json): boolean {
  if (a === b) return true;
  return typeof a === "object" && a !== null && typeof b === "object" && b !== null && JSON.stringify(a) === JSON.stringify(b);
}
