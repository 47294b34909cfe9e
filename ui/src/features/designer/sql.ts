// The table designer's SQL: what the dialog shows and runs is generated here from a
// draft, and checked against the engine's DDL rules (crates/engine/src/sql/ddl.rs)
// first, so most mistakes are explained before anything runs.
import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";

/** The engine's column types (synonyms like VARCHAR map onto these, so they are not offered). */
export const COLUMN_TYPES = ["BOOLEAN", "INT", "BIGINT", "DOUBLE", "DECIMAL", "TEXT", "BYTES", "DATE", "TIMESTAMP", "JSON"] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export type CreateKind = "SHARED" | "USER" | "STREAM";
export const CREATE_KINDS: readonly CreateKind[] = ["SHARED", "USER", "STREAM"];

export type DefaultKind = "none" | "literal" | "now" | "snowflake";

export interface ColumnDraft {
  name: string;
  type: ColumnType;
  /** DECIMAL only; both empty means the engine's default DECIMAL(38,10). */
  precision: string;
  scale: string;
  nullable: boolean;
  primaryKey: boolean;
  default: DefaultKind;
  /** The default value as the user writes it (`hello`, `42`, `2024-01-31`), not as SQL. */
  literal: string;
}

export interface TableDraft {
  namespace: string;
  name: string;
  kind: CreateKind;
  columns: ColumnDraft[];
  ttlSeconds: string;
  maxRows: string;
}

/** A reason the statement cannot run yet, tied to the field it is about. */
export interface Issue {
  message: string;
  field?: "namespace" | "name" | "columns" | "ttlSeconds" | "maxRows";
  /** Index of the column (in the list being edited) the issue is about. */
  column?: number;
}

export const SYSTEM_NAMESPACE = "system";
/** The key the engine adds to a table declared without PRIMARY KEY. */
export const GENERATED_KEY_COLUMN = "_id";
/** The owner column of USER tables. */
export const USER_COLUMN = "_user";
/** ddl.rs MAX_OPTION_VALUE: TTLs are computed in microseconds as i64. */
export const MAX_OPTION_VALUE = 9_223_372_036_854n;

export function newColumn(overrides: Partial<ColumnDraft> = {}): ColumnDraft {
  return {
    name: "",
    type: "TEXT",
    precision: "",
    scale: "",
    nullable: true,
    primaryKey: false,
    default: "none",
    literal: "",
    ...overrides,
  };
}

// ---------------------------------------------------------------------------------
// Quoting

const PLAIN_IDENT = /^[a-z_][a-z0-9_]*$/;

// Quoting a lower-case keyword names the same object (the engine lower-cases bare
// names), and spares the parser: in a column list a bare `key`, `primary` or
// `constraint` starts a table constraint, and a bare `user` reads as a function.
const KEYWORDS = new Set(
  `all and any as asc between both by case cast check collate column constraint create cross current_date
   current_time current_timestamp current_user default delete desc distinct drop else end except exists false
   fetch for foreign from full group having if in index inner insert intersect interval into is join key lateral
   leading left like limit natural not null offset on or order outer primary references right select
   session_user set some table then to trailing true union unique update user using values when where window
   with`.split(/\s+/),
);

/** An identifier as SQL: bare when it is a plain lower-case name, else double-quoted. */
export function quoteIdent(name: string): string {
  if (PLAIN_IDENT.test(name) && !KEYWORDS.has(name)) return name;
  return `"${name.replaceAll('"', '""')}"`;
}

/** A string literal; the engine's dialect has no backslash escapes, only ''. */
export function quoteLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export function qualifiedName(namespace: string, table: string): string {
  return `${quoteIdent(namespace)}.${quoteIdent(table)}`;
}

// ---------------------------------------------------------------------------------
// Column SQL

export function typeSql(column: ColumnDraft): string {
  if (column.type !== "DECIMAL") return column.type;
  const p = column.precision.trim();
  const s = column.scale.trim();
  if (p === "" && s === "") return "DECIMAL";
  return s === "" ? `DECIMAL(${p})` : `DECIMAL(${p},${s})`;
}

/** Which generated defaults a type takes: NOW() needs TIMESTAMP, SNOWFLAKE_ID() BIGINT. */
export function defaultAllowed(kind: DefaultKind, type: ColumnType): boolean {
  if (kind === "now") return type === "TIMESTAMP";
  if (kind === "snowflake") return type === "BIGINT";
  return true;
}

const INT32 = [-(2n ** 31n), 2n ** 31n - 1n] as const;
const INT64 = [-(2n ** 63n), 2n ** 63n - 1n] as const;
const INTEGER = /^[-+]?\d+$/;
const DECIMAL_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)$/;
const DOUBLE_TEXT = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;
const DATE_TEXT = /^(\d{4})-(\d{2})-(\d{2})$/;
const TIMESTAMP_TEXT = /^(\d{4}-\d{2}-\d{2})([T ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/;
const HEX = /^(0x)?([0-9a-fA-F]{2})*$/;

function validDate(text: string): boolean {
  const m = DATE_TEXT.exec(text);
  if (!m) return false;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

function decimalBounds(column: ColumnDraft): { precision: number; scale: number } {
  const p = column.precision.trim() === "" ? 38 : Number(column.precision);
  const s = column.scale.trim() === "" ? (column.precision.trim() === "" ? 10 : 0) : Number(column.scale);
  return { precision: p, scale: s };
}

/**
 * A default value, as typed, turned into the SQL literal the engine accepts for the
 * column's type. Numbers are normalised because the engine reads an unquoted default
 * as a JSON number (so `+5`, `007` or `1.` would be refused); DECIMAL is quoted so it
 * reaches the column exactly instead of through a float.
 */
export function literalSql(column: ColumnDraft, text: string): { sql: string } | { error: string } {
  const value = column.type === "TEXT" || column.type === "JSON" ? text : text.trim();
  const what = `the default of ${column.name === "" ? "this column" : column.name}`;
  switch (column.type) {
    case "TEXT":
      return { sql: quoteLiteral(value) };
    case "BOOLEAN": {
      const lower = value.toLowerCase();
      if (lower === "true" || lower === "false") return { sql: lower.toUpperCase() };
      return { error: `${what} must be true or false` };
    }
    case "INT":
    case "BIGINT": {
      const [min, max] = column.type === "INT" ? INT32 : INT64;
      if (!INTEGER.test(value)) return { error: `${what} must be a whole number` };
      const n = BigInt(value);
      if (n < min || n > max) return { error: `${what} is out of range for ${column.type} (${min} to ${max})` };
      return { sql: n.toString() };
    }
    case "DOUBLE": {
      const n = Number(value);
      if (!DOUBLE_TEXT.test(value) || !Number.isFinite(n)) return { error: `${what} must be a number` };
      return { sql: String(n) };
    }
    case "DECIMAL": {
      if (!DECIMAL_TEXT.test(value)) return { error: `${what} must be a decimal number like 12.50` };
      const { precision, scale } = decimalBounds(column);
      const whole = value.replace(/^[-+]/, "").split(".")[0].replace(/^0+/, "");
      if (whole.length > precision - scale) {
        return { error: `${what} has more than ${precision - scale} digits before the point for ${typeSql(column)}` };
      }
      return { sql: quoteLiteral(value.replace(/^\+/, "")) };
    }
    case "JSON":
      try {
        JSON.parse(value);
      } catch {
        return { error: `${what} must be valid JSON (text in quotes: "hello")` };
      }
      return { sql: quoteLiteral(value) };
    case "DATE":
      if (!validDate(value)) return { error: `${what} must be a date like 2024-01-31` };
      return { sql: quoteLiteral(value) };
    case "TIMESTAMP": {
      const m = TIMESTAMP_TEXT.exec(value);
      if (!m || !validDate(m[1])) return { error: `${what} must be a timestamp like 2024-01-31 13:45:00` };
      return { sql: quoteLiteral(value) };
    }
    case "BYTES":
      if (!HEX.test(value)) return { error: `${what} must be hex bytes like 0a1b2c` };
      return { sql: quoteLiteral(value) };
  }
}

/** The DEFAULT clause's expression, or null for none. */
export function defaultSql(column: ColumnDraft): string | null {
  switch (column.default) {
    case "none":
      return null;
    case "now":
      return "NOW()";
    case "snowflake":
      return "SNOWFLAKE_ID()";
    case "literal": {
      const literal = literalSql(column, column.literal);
      // An invalid value still shows in the preview, as typed; validation blocks the run.
      return "sql" in literal ? literal.sql : quoteLiteral(column.literal);
    }
  }
}

/** One column definition; `inlineKey` marks it PRIMARY KEY (single-column keys). */
export function columnSql(column: ColumnDraft, inlineKey: boolean): string {
  const parts = [quoteIdent(column.name), typeSql(column)];
  // Key columns are NOT NULL whatever is declared, so it is not written for them.
  if (!column.nullable && !column.primaryKey) parts.push("NOT NULL");
  if (inlineKey) parts.push("PRIMARY KEY");
  const value = defaultSql(column);
  if (value !== null) parts.push(`DEFAULT ${value}`);
  return parts.join(" ");
}

// ---------------------------------------------------------------------------------
// Statements

export function namespaceExists(catalog: CatalogView | null, namespace: string): boolean {
  return catalog?.namespaces.some((ns) => ns.name === namespace) ?? false;
}

/**
 * The script that creates the table: a CREATE NAMESPACE first when the namespace is
 * new, then CREATE <kind> TABLE. A composite key is a PRIMARY KEY (...) constraint in
 * column order; a single key is declared on its column.
 */
export function createTableSql(draft: TableDraft, newNamespace: boolean): string {
  const keys = draft.columns.filter((c) => c.primaryKey);
  const lines = draft.columns.map((c) => columnSql(c, keys.length === 1 && c.primaryKey));
  if (keys.length > 1) lines.push(`PRIMARY KEY (${keys.map((c) => quoteIdent(c.name)).join(", ")})`);
  let create = `CREATE ${draft.kind} TABLE ${qualifiedName(draft.namespace, draft.name)} (\n${lines.map((l) => `  ${l}`).join(",\n")}\n)`;
  if (draft.kind === "STREAM") {
    const options = [`TTL_SECONDS = ${draft.ttlSeconds.trim()}`];
    if (draft.maxRows.trim() !== "") options.push(`MAX_ROWS = ${draft.maxRows.trim()}`);
    create += ` WITH (${options.join(", ")})`;
  }
  const statements = newNamespace ? [`CREATE NAMESPACE IF NOT EXISTS ${quoteIdent(draft.namespace)}`, create] : [create];
  return statements.map((s) => `${s};`).join("\n");
}

/** One ALTER TABLE ... ADD COLUMN per new column (the engine runs them in order). */
export function addColumnsSql(table: Pick<CatalogTable, "namespace" | "name">, columns: ColumnDraft[]): string {
  const name = qualifiedName(table.namespace, table.name);
  return columns.map((c) => `ALTER TABLE ${name} ADD COLUMN ${columnSql(c, false)};`).join("\n");
}

// ---------------------------------------------------------------------------------
// Validation

/**
 * ddl.rs check_name (non-empty, no control characters, no '.'), plus spaces at the
 * ends, which the engine takes but are almost always a slip. Says what is wrong with
 * "the name", for the caller to put a subject in front.
 */
function nameProblem(name: string): string | null {
  if (name === "") return "is empty";
  const control = [...name].some((ch) => {
    const code = ch.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
  if (control) return "has a control character";
  if (name.includes(".")) return "cannot contain '.'";
  if (name.trim() !== name) return "starts or ends with a space";
  return null;
}

function optionProblem(text: string, option: string): string | null {
  const t = text.trim();
  if (!/^\d+$/.test(t) || BigInt(t) < 1n || BigInt(t) > MAX_OPTION_VALUE) {
    return `${option} must be a whole number from 1 to ${MAX_OPTION_VALUE}`;
  }
  return null;
}

/** Per-column checks shared by CREATE and ADD COLUMN; `taken` holds names already in use. */
function columnIssues(column: ColumnDraft, index: number, kind: string, taken: Set<string>): Issue[] {
  const issues: Issue[] = [];
  const label = column.name === "" ? `Column ${index + 1}` : `Column ${column.name}`;
  const add = (message: string) => issues.push({ message, column: index });
  const bad = nameProblem(column.name);
  if (bad) add(`${label}: the name ${bad}`);
  else if (taken.has(column.name)) add(`${label}: the name is used twice`);
  if (kind === "USER" && column.name === USER_COLUMN) {
    add(`${label}: ${USER_COLUMN} is reserved for the owner of USER table rows`);
  }
  if (column.type === "DECIMAL") {
    const p = column.precision.trim();
    const s = column.scale.trim();
    const pn = Number(p);
    if (p === "" && s !== "") add(`${label}: give DECIMAL a precision with the scale`);
    else if (p !== "" && (!/^\d+$/.test(p) || pn < 1 || pn > 38)) add(`${label}: DECIMAL precision must be 1 to 38`);
    else if (s !== "" && (!/^\d+$/.test(s) || Number(s) > pn)) add(`${label}: DECIMAL scale must be 0 to the precision`);
  }
  if (column.primaryKey && column.type === "JSON") add(`${label}: a JSON column cannot be in the primary key`);
  if (column.default === "now" && !defaultAllowed("now", column.type)) add(`${label}: DEFAULT NOW() needs a TIMESTAMP column`);
  if (column.default === "snowflake" && !defaultAllowed("snowflake", column.type)) {
    add(`${label}: DEFAULT SNOWFLAKE_ID() needs a BIGINT column`);
  }
  if (column.default === "literal") {
    const literal = literalSql(column, column.literal);
    if ("error" in literal) add(`${label}: ${literal.error}`);
  }
  return issues;
}

function allColumnIssues(columns: ColumnDraft[], kind: string, existing: string[]): Issue[] {
  const taken = new Set(existing);
  return columns.flatMap((column, i) => {
    const issues = columnIssues(column, i, kind, taken);
    taken.add(column.name);
    return issues;
  });
}

/** Everything that would make the CREATE script fail (or silently do something else). */
export function validateCreate(draft: TableDraft, catalog: CatalogView | null): Issue[] {
  const issues: Issue[] = [];
  const ns = nameProblem(draft.namespace);
  if (ns) issues.push({ message: `The namespace name ${ns}`, field: "namespace" });
  else if (draft.namespace === SYSTEM_NAMESPACE) {
    issues.push({ message: "The namespace 'system' is reserved for SYSTEM views", field: "namespace" });
  }
  const table = nameProblem(draft.name);
  if (table) issues.push({ message: `The table name ${table}`, field: "name" });
  else if (
    catalog?.namespaces.some((n) => n.name === draft.namespace && n.tables.some((t) => t.name === draft.name))
  ) {
    issues.push({ message: `Table ${draft.namespace}.${draft.name} already exists`, field: "name" });
  }
  if (draft.columns.length === 0) issues.push({ message: "Add at least one column", field: "columns" });
  issues.push(...allColumnIssues(draft.columns, draft.kind, []));
  if (!draft.columns.some((c) => c.primaryKey)) {
    const clash = draft.columns.findIndex((c) => c.name === GENERATED_KEY_COLUMN);
    if (clash >= 0) {
      issues.push({
        message: `Column ${GENERATED_KEY_COLUMN}: without a primary key the engine adds its own ${GENERATED_KEY_COLUMN} key; mark a key or rename it`,
        column: clash,
      });
    }
  }
  if (draft.kind === "STREAM") {
    const ttl = optionProblem(draft.ttlSeconds, "TTL seconds");
    if (ttl) issues.push({ message: ttl, field: "ttlSeconds" });
    if (draft.maxRows.trim() !== "") {
      const max = optionProblem(draft.maxRows, "Max rows");
      if (max) issues.push({ message: max, field: "maxRows" });
    }
  }
  return issues;
}

/** ADD COLUMN checks: the engine's rules for adding to a table that may hold rows. */
export function validateAlter(table: CatalogTable, columns: ColumnDraft[]): Issue[] {
  if (table.kind === "SYSTEM") return [{ message: `${table.namespace}.${table.name} is a read-only SYSTEM table` }];
  const issues: Issue[] = [];
  if (columns.length === 0) issues.push({ message: "Add at least one column", field: "columns" });
  issues.push(...allColumnIssues(columns, table.kind, table.columns.map((c) => c.name)));
  const hasRows = (table.rows ?? 0) > 0;
  columns.forEach((c, i) => {
    const label = c.name === "" ? `Column ${i + 1}` : `Column ${c.name}`;
    if (c.primaryKey) issues.push({ message: `${label}: ADD COLUMN cannot add a primary key column`, column: i });
    if (hasRows && c.default === "snowflake") {
      issues.push({
        message: `${label}: DEFAULT SNOWFLAKE_ID() needs an empty table (existing rows would share one id)`,
        column: i,
      });
    }
    if (hasRows && !c.nullable && c.default === "none") {
      issues.push({ message: `${label}: the table has rows, so a NOT NULL column needs a default for them`, column: i });
    }
  });
  return issues;
}

/** The list with the item at `index` moved by `delta` places (unchanged at the ends). */
export function move<T>(list: readonly T[], index: number, delta: number): T[] {
  const to = index + delta;
  if (index < 0 || index >= list.length || to < 0 || to >= list.length) return [...list];
  const next = [...list];
  const [item] = next.splice(index, 1);
  next.splice(to, 0, item);
  return next;
}
