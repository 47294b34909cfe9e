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

const INTEGER = /^-?\d+$/;

function rank(v: unknown): number {
  if (v === null || v === undefined) return 0;
  if (typeof v === "boolean") return 1;
  if (typeof v === "number") return 2;
  if (typeof v === "string") return 3;
  return 4;
}

/**
 * Orders two row keys the way the engine stores them (NULL < booleans < numbers <
 * text, numbers by value, text by characters). Integers too large for JavaScript
 * arrive as decimal strings and are compared as integers.
 */
export function compareKeys(a: readonly Json[], b: readonly Json[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    let order: number;
    if (typeof x === "string" && typeof y === "string" && INTEGER.test(x) && INTEGER.test(y)) {
      const bx = BigInt(x);
      const by = BigInt(y);
      order = bx < by ? -1 : bx > by ? 1 : 0;
    } else if (typeof x === "string" && INTEGER.test(x) && typeof y === "number") {
      order = BigInt(x) < BigInt(Math.trunc(y)) ? -1 : 1;
    } else if (typeof y === "string" && INTEGER.test(y) && typeof x === "number") {
      order = BigInt(Math.trunc(x)) < BigInt(y) ? -1 : 1;
    } else if (rank(x) !== rank(y)) {
      order = rank(x) - rank(y);
    } else if (typeof x === "number" && typeof y === "number") {
      order = x - y;
    } else if (typeof x === "boolean" && typeof y === "boolean") {
      order = Number(x) - Number(y);
    } else {
      const sx = typeof x === "string" ? x : JSON.stringify(x);
      const sy = typeof y === "string" ? y : JSON.stringify(y);
      order = sx < sy ? -1 : sx > sy ? 1 : 0;
    }
    if (order !== 0) return order < 0 ? -1 : 1;
  }
  return a.length - b.length;
}
