// Grid rows as clipboard text: TSV (what spreadsheets paste), CSV (RFC 4180), JSON
// (an array of objects keyed by column) and SQL INSERT statements. The input is cells
// as they cross the IPC boundary (json.ts): big integers arrive as decimal strings,
// JSON columns as nested values.
import { cellText, type Json } from "../../json";

export type CopyFormat = "tsv" | "csv" | "json" | "sql";

export const COPY_FORMATS: readonly { format: CopyFormat; label: string }[] = [
  { format: "tsv", label: "TSV" },
  { format: "csv", label: "CSV" },
  { format: "json", label: "JSON" },
  { format: "sql", label: "SQL INSERT" },
];

export interface CopyColumn {
  name: string;
  /** The column's SQL type when known: it decides how numbers and JSON are written. */
  sqlType: string | null;
}

export interface CopyRows {
  columns: readonly CopyColumn[];
  rows: readonly (readonly Json[])[];
}

export interface CopyOptions {
  /** TSV only: a first line of column names (CSV, JSON and SQL always name them). */
  header?: boolean;
  /** SQL only: `ns.table`, or any name when the rows come from no single table. */
  table?: string;
}

/** The table name SQL INSERT uses when the rows come from no single table. */
export const PLACEHOLDER_TABLE = "table_name";

export function formatRows(format: CopyFormat, data: CopyRows, options: CopyOptions = {}): string {
  switch (format) {
    case "tsv":
      return toTsv(data, options.header ?? false);
    case "csv":
      return toCsv(data);
    case "json":
      return toJson(data);
    case "sql":
      return toSqlInsert(data, options.table ?? PLACEHOLDER_TABLE);
  }
}

/**
 * Tab-separated, one line per row, cells as the grid shows them (NULL included). Tabs
 * and line breaks inside a cell become `\t`, `\n` and `\r` so every row stays one
 * line; backslashes are left alone so JSON and paths paste unchanged, which makes the
 * escape one-way.
 */
export function toTsv({ columns, rows }: CopyRows, header: boolean): string {
  const lines = rows.map((row) => row.map((value) => tsvField(cellText(value))).join("\t"));
  if (header) lines.unshift(columns.map((c) => tsvField(c.name)).join("\t"));
  return lines.join("\n");
}

function tsvField(text: string): string {
  return text.replace(/\t/g, "\\t").replace(/\n/g, "\\n").replace(/\r/g, "\\r");
}

/**
 * RFC 4180: a header line, CRLF line ends, fields with commas, quotes or line breaks
 * quoted with doubled quotes. NULL is an empty field and the empty string a quoted
 * one (`""`), as PostgreSQL's COPY writes them, so the two stay apart.
 */
export function toCsv({ columns, rows }: CopyRows): string {
  const lines = [columns.map((c) => csvField(c.name)).join(",")];
  for (const row of rows) lines.push(row.map((value) => (value === null ? "" : csvField(cellText(value)))).join(","));
  return lines.join("\r\n") + "\r\n";
}

function csvField(text: string): string {
  return text === "" || /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * An array of objects keyed by column, one row a line. Big integers of numeric columns
 * (strings on this side of the IPC boundary) are written as numbers again: JSON numbers
 * have no size limit, only JavaScript's do.
 */
export function toJson({ columns, rows }: CopyRows): string {
  if (rows.length === 0) return "[]";
  const lines = rows.map(
    (row) => `  {${columns.map((c, i) => `${JSON.stringify(c.name)}: ${jsonValue(row[i] ?? null, c.sqlType)}`).join(", ")}}`,
  );
  return `[\n${lines.join(",\n")}\n]`;
}

function jsonValue(value: Json, sqlType: string | null): string {
  return typeof value === "string" && isNumericType(sqlType) && NUMBER.test(value) ? value : JSON.stringify(value);
}

/**
 * One `INSERT INTO table (columns) VALUES (...);` per row. Numbers and booleans go
 * unquoted, NULL as NULL, BYTES as X'hex', everything else (text, dates, timestamps,
 * JSON documents) as a quoted literal with quotes doubled.
 */
export function toSqlInsert({ columns, rows }: CopyRows, table: string): string {
  const target = `INSERT INTO ${quoteTable(table)} (${columns.map((c) => quoteIdent(c.name)).join(", ")}) VALUES`;
  return rows
    .map((row) => `${target} (${columns.map((c, i) => sqlLiteral(row[i] ?? null, c.sqlType)).join(", ")});`)
    .join("\n");
}

const NUMBER = /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/;
const HEX = /^([0-9a-fA-F]{2})*$/;

function isNumericType(sqlType: string | null): boolean {
  return sqlType !== null && /INT|DOUBLE|DECIMAL|NUMERIC|FLOAT|REAL/i.test(sqlType);
}

export function sqlLiteral(value: Json, sqlType: string | null): string {
  const type = sqlType?.trim().toUpperCase() ?? null;
  if (value === null) return "NULL";
  if (type === "JSON" || type === "JSONB") return quoteText(JSON.stringify(value));
  if (typeof value === "boolean") return value ? "TRUE" : "FALSE";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") {
    if (isNumericType(type) && NUMBER.test(value)) return value;
    if (type !== null && /^(BYTES|BYTEA|BLOB|BINARY|VARBINARY)$/.test(type) && HEX.test(value)) return `X'${value}'`;
    return quoteText(value);
  }
  return quoteText(JSON.stringify(value));
}

function quoteText(text: string): string {
  return `'${text.replace(/'/g, "''")}'`;
}

/** Words that cannot stand as a bare column or table name in common SQL dialects. */
const RESERVED = new Set(
  (
    "all and any as asc between both by case cast check collate column constraint create cross current_date " +
    "current_time current_timestamp current_user default delete desc distinct drop else end except exists " +
    "false fetch for foreign from full group having in index inner insert intersect into is join key left " +
    "like limit natural not null offset on or order outer primary references right select set some table " +
    "then to true union unique update user using values when where window with"
  ).split(" "),
);

/** A name bare when it can be (lower-case letters, digits, `_`, not a keyword), else quoted. */
export function quoteIdent(name: string): string {
  return /^[a-z_][a-z0-9_]*$/.test(name) && !RESERVED.has(name) ? name : `"${name.replace(/"/g, '""')}"`;
}

/** `ns.table` with each part quoted as needed (the first dot separates them, as the engine reads it). */
export function quoteTable(name: string): string {
  const dot = name.indexOf(".");
  return dot <= 0 ? quoteIdent(name) : `${quoteIdent(name.slice(0, dot))}.${quoteIdent(name.slice(dot + 1))}`;
}

/** Rows one copy takes at most: rows past the grid's window are fetched first. */
export const COPY_LIMIT = 100_000;

/** What a copy reports: how many rows went, and whether the limit cut the selection short. */
export function copiedMessage(format: CopyFormat, copied: number, selected: number): string {
  const label = COPY_FORMATS.find((f) => f.format === format)?.label ?? format;
  const count = (n: number) => n.toLocaleString("en-US");
  if (selected > COPY_LIMIT) {
    return `Copied the first ${count(copied)} of ${count(selected)} selected rows as ${label}: one copy takes at most ${count(COPY_LIMIT)}`;
  }
  return `Copied ${count(copied)} row${copied === 1 ? "" : "s"} as ${label}`;
}
