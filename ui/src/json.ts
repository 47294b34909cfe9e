// A JSON value as cells and keys cross the IPC boundary (big integers arrive as strings).
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** A stable string for a row key, for maps and flash marks. */
export function keyString(key: readonly unknown[]): string {
  return JSON.stringify(key);
}

/** How a cell reads in the grid and in results. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) return "NULL";
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}
