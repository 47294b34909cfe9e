// What kind of statement a console result came from, read from its text.

/** Comments, whitespace and opening parentheses before a statement's first word. */
const LEAD = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/;

/** A query (SELECT or WITH ... SELECT): its result can be made live. */
export function isQuery(sql: string): boolean {
  const word = /^[A-Za-z]+/.exec(sql.replace(LEAD, ""))?.[0].toUpperCase();
  return word === "SELECT" || word === "WITH";
}
