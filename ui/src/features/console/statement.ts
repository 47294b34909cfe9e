// What a console statement is, read from its text: whether its result can go live,
// and the short name its result tab shows.

/** Comments, whitespace and opening parentheses before a statement's first word. */
const LEAD = /^(?:\s+|--[^\n]*(?:\n|$)|\/\*[\s\S]*?\*\/|\()*/;

/** A query (SELECT or WITH ... SELECT): its result can be made live. */
export function isQuery(sql: string): boolean {
  const word = /^[A-Za-z]+/.exec(sql.replace(LEAD, ""))?.[0].toUpperCase();
  return word === "SELECT" || word === "WITH";
}

/** Longest label; a longer one ends in an ellipsis (the tab's tooltip has it all). */
export const LABEL_MAX = 48;

interface Token {
  text: string;
  /** Upper-cased for a bare word, "" for anything else. */
  word: string;
  /** Parentheses open before it. */
  depth: number;
  /** Where it starts in the text. */
  at: number;
}

// Comments and whitespace are skipped; strings, quoted names and numbers are one token.
const TOKEN = /\s+|--[^\n]*|\/\*[\s\S]*?(?:\*\/|$)|'(?:[^']|'')*'?|"(?:[^"]|"")*"?|[A-Za-z_][\w$]*|\d+(?:\.\d+)?|[\s\S]/g;

function tokens(sql: string): Token[] {
  const out: Token[] = [];
  let depth = 0;
  for (const match of sql.matchAll(TOKEN)) {
    const text = match[0];
    if (/^\s/.test(text) || text.startsWith("--") || text.startsWith("/*")) continue;
    if (text === ")") depth = Math.max(0, depth - 1);
    out.push({ text, word: /^[A-Za-z_]/.test(text) ? text.toUpperCase() : "", depth, at: match.index });
    if (text === "(") depth += 1;
  }
  return out;
}

/** A dotted name (`ns.table`, `"ns"."t"`) starting at token `i`, and the index after it. */
function nameAt(ts: Token[], i: number): [string, number] | null {
  const first = ts[i];
  if (!first || !(first.word || first.text.startsWith('"'))) return null;
  let name = first.text;
  let j = i + 1;
  while (ts[j]?.text === "." && ts[j + 1] && (ts[j + 1].word || ts[j + 1].text.startsWith('"'))) {
    name += `.${ts[j + 1].text}`;
    j += 2;
  }
  return [name, j];
}

/** Leading keywords as written (in capitals), up to and including the object's name. */
function verbAndName(ts: Token[], keywords: readonly string[]): string | null {
  const words: string[] = [];
  let i = 0;
  while (i < ts.length && keywords.includes(ts[i].word)) words.push(ts[i++].word);
  const name = nameAt(ts, i);
  return name ? `${words.join(" ")} ${name[0]}` : words.length ? words.join(" ") : null;
}

const CREATE_WORDS = ["CREATE", "USER", "SHARED", "STREAM", "TABLE", "NAMESPACE", "IF", "NOT", "EXISTS", "EXTERNAL"];
const DROP_WORDS = ["DROP", "TABLE", "NAMESPACE", "IF", "EXISTS"];

/**
 * A short name for a statement, for its result tab: its verb and the table it reads
 * or writes (`SELECT … FROM shop.orders`, `INSERT INTO shop.orders`,
 * `CREATE TABLE shop.orders`), else its first words.
 */
export function statementLabel(sql: string): string {
  const ts = tokens(sql);
  return clip(labelOf(sql, ts) ?? from(sql, ts));
}

/** The text from the first token on (leading comments left out). */
function from(sql: string, ts: Token[]): string {
  return ts.length ? sql.slice(ts[0].at) : "";
}

function labelOf(sql: string, ts: Token[]): string | null {
  const head = ts[0]?.word ?? "";
  switch (head) {
    case "SELECT":
    case "WITH":
    case "VALUES": {
      // The query's own FROM, not a subquery's or a CTE's.
      const at = ts.findIndex((t) => t.word === "FROM" && t.depth === 0);
      if (at < 0) return head === "SELECT" ? null : `${head} …`;
      const name = nameAt(ts, at + 1);
      const source = name ? name[0] : ts[at + 1]?.text === "(" ? "(…)" : "…";
      return `${head === "WITH" ? "WITH … SELECT" : "SELECT"} … FROM ${source}`;
    }
    case "INSERT":
      return verbAndName(ts, ["INSERT", "INTO"]);
    case "UPDATE":
      return verbAndName(ts, ["UPDATE"]);
    case "DELETE":
      return verbAndName(ts, ["DELETE", "FROM"]);
    case "CREATE":
      return verbAndName(ts, CREATE_WORDS);
    case "DROP":
      return verbAndName(ts, DROP_WORDS);
    case "ALTER":
      return verbAndName(ts, ["ALTER", "TABLE"]);
    case "DESCRIBE":
    case "DESC":
      return verbAndName(ts, [head, "TABLE"]);
    case "COPY":
      return verbAndName(ts, ["COPY"]);
    case "EXPLAIN":
    case "SUBSCRIBE": {
      // The statement they wrap, named the same way.
      const skip = ts[1]?.word === "TO" || ts[1]?.word === "ANALYZE" || ts[1]?.word === "VERBOSE" ? 2 : 1;
      const rest = ts.slice(skip);
      return `${ts.slice(0, skip).map((t) => t.word).join(" ")} ${labelOf(sql, rest) ?? from(sql, rest)}`;
    }
    case "EXECUTE": {
      // EXECUTE AS USER 'alice' (<statement>): the user, then the statement.
      const open = ts.findIndex((t) => t.text === "(");
      const user = ts.slice(0, open < 0 ? ts.length : open).find((t) => t.text.startsWith("'"));
      if (open < 0 || !user) return null;
      const inner = ts.slice(open + 1).filter((t) => t.depth > 0);
      const label = labelOf(sql, inner.map((t) => ({ ...t, depth: t.depth - 1 })));
      return `as ${user.text.slice(1, -1).replace(/''/g, "'")}: ${label ?? "…"}`;
    }
    default:
      return null;
  }
}

function clip(label: string): string {
  const flat = label.replace(/\s+/g, " ").trim();
  return flat.length > LABEL_MAX ? `${flat.slice(0, LABEL_MAX - 1).trimEnd()}…` : flat;
}

/** Labels for a run's statements, in order: a repeated one gets its count, `(2)`. */
export function statementLabels(sqls: readonly string[]): string[] {
  const seen = new Map<string, number>();
  return sqls.map((sql) => {
    const label = statementLabel(sql);
    const n = (seen.get(label) ?? 0) + 1;
    seen.set(label, n);
    return n === 1 ? label : `${label} (${n})`;
  });
}
