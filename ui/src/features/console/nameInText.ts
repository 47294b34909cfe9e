// Where a name an error reports (`shop.ordrs`, `c.idd`) is written in the SQL, so the
// console can mark it and put the suggested name in its place. The engine reports
// names as it resolved them: the text may spell them in other case, quoted, or with
// spaces around the dots.

/** Strings and comments blanked out (same length), so names are found only in code. */
function codeOnly(sql: string): string {
  return sql.replace(/'(?:[^']|'')*'?|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)/g, (m) => m.replace(/[^\n]/g, " "));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * The first place at or after `from` where `sql` writes `name` (parts bare or
 * double-quoted, in any case), as `[start, end)` offsets; null when it does not.
 */
export function findName(sql: string, name: string, from = 0): [number, number] | null {
  if (name === "") return null;
  const parts = name.split(".").map((part) => `(?:"${escape(part).replace(/"/g, '""')}"|${escape(part)})`);
  const pattern = new RegExp(`(?<![\\w$."])${parts.join("\\s*\\.\\s*")}(?![\\w$"])`, "gi");
  pattern.lastIndex = from;
  const found = pattern.exec(codeOnly(sql));
  return found ? [found.index, found.index + found[0].length] : null;
}
