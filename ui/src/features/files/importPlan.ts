// What the import dialog decides before and after an import runs, kept free of React
// and IPC: file options, the target's columns and the automatic mapping onto them, the
// new table a file suggests, the request sent to start_import, and how the end reads.
import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";
import type { ImportColumn } from "../../bindings/ImportColumn";
import type { ImportEvent } from "../../bindings/ImportEvent";
import type { ImportRequest } from "../../bindings/ImportRequest";
import type { ImportRowError } from "../../bindings/ImportRowError";
import type { IpcError } from "../../bindings/IpcError";
import {
  COLUMN_TYPES,
  newColumn,
  USER_COLUMN,
  type ColumnDraft,
  type ColumnType,
  type TableDraft,
} from "../designer/sql";

export type OnError = "stop" | "skip";

export const DELIMITERS: readonly { value: string; label: string }[] = [
  { value: ",", label: "Comma ," },
  { value: ";", label: "Semicolon ;" },
  { value: "\t", label: "Tab" },
  { value: "|", label: "Pipe |" },
];

/** Parquet files carry their own columns and types: the CSV options do not apply. */
export function isParquet(path: string): boolean {
  return /\.parquet\s*$/i.test(path);
}

/** Tab for .tsv files, else comma, until the user picks one. */
export function defaultDelimiter(path: string): string {
  return /\.tsv\s*$/i.test(path) ? "\t" : ",";
}

/** A table name from the file's name: `Sales 2024.csv` → `sales_2024`. */
export function suggestTableName(path: string): string {
  const file = path.trim().split(/[\\/]/).pop() ?? "";
  const stem = file.replace(/\.[^.]*$/, "");
  const name = stem
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^_+|_+$/g, "");
  if (name === "") return "imported";
  return /^\d/.test(name) ? `t_${name}` : name;
}

// ---------------------------------------------------------------------------------
// Targets and mapping

/** Tables an import can write to: every table but the read-only SYSTEM views. */
export function importTargets(catalog: CatalogView | null): CatalogTable[] {
  return (catalog?.namespaces ?? []).flatMap((ns) => ns.tables.filter((t) => t.kind !== "SYSTEM"));
}

export function tableId(table: Pick<CatalogTable, "namespace" | "name">): string {
  return `${table.namespace}.${table.name}`;
}

export function findTable(catalog: CatalogView | null, id: string): CatalogTable | null {
  return importTargets(catalog).find((t) => tableId(t) === id) ?? null;
}

/**
 * The columns a file column can go to. An admin importing into a USER table may also
 * set each row's owner (`_user`); a user's rows are theirs whatever the file says.
 */
export function targetColumns(table: CatalogTable, user: string | null): string[] {
  const columns = table.columns.map((c) => c.name);
  return table.kind === "USER" && user === null ? [USER_COLUMN, ...columns] : columns;
}

/**
 * Each file column matched to the target column of the same name: an exact match
 * first, then one that differs only in case. A target takes at most one file column.
 */
export function autoMapping(fileColumns: readonly string[], targets: readonly string[]): (string | null)[] {
  const taken = new Set<string>();
  const exact = fileColumns.map((name) => {
    const hit = targets.includes(name) && !taken.has(name) ? name : null;
    if (hit !== null) taken.add(hit);
    return hit;
  });
  return exact.map((hit, i) => {
    if (hit !== null) return hit;
    const lower = fileColumns[i].toLowerCase();
    const match = targets.find((t) => t.toLowerCase() === lower && !taken.has(t)) ?? null;
    if (match !== null) taken.add(match);
    return match;
  });
}

/** Why a mapping cannot run: nothing mapped, or two file columns into one column. */
export function mappingIssues(mapping: readonly (string | null)[], fileColumns: readonly string[]): string[] {
  const issues: string[] = [];
  if (!mapping.some((m) => m !== null)) issues.push("Map at least one file column to a table column");
  const seen = new Map<string, string>();
  mapping.forEach((target, i) => {
    if (target === null) return;
    const first = seen.get(target);
    if (first !== undefined) issues.push(`${first} and ${fileColumns[i]} both go to ${target}; skip one`);
    else seen.set(target, fileColumns[i]);
  });
  return issues;
}

// ---------------------------------------------------------------------------------
// A new table from the file

const INTEGER_TYPES = new Set(["INT", "BIGINT"]);

/** The key a new table gets by default: a column named id holding integers, else none (the engine adds _id). */
export function defaultPrimaryKey(columns: readonly ImportColumn[]): number | null {
  const index = columns.findIndex((c) => c.name.trim().toLowerCase() === "id" && INTEGER_TYPES.has(c.sql_type));
  return index >= 0 ? index : null;
}

/** An engine type name (`BIGINT`, `DECIMAL(10,2)`) as the designer's type fields; TEXT when unknown. */
export function parseSqlType(sqlType: string): Pick<ColumnDraft, "type" | "precision" | "scale"> {
  const decimal = /^DECIMAL\s*(?:\(\s*(\d+)\s*(?:,\s*(\d+)\s*)?\))?$/i.exec(sqlType.trim());
  if (decimal) return { type: "DECIMAL", precision: decimal[1] ?? "", scale: decimal[2] ?? "" };
  const upper = sqlType.trim().toUpperCase();
  const type = (COLUMN_TYPES as readonly string[]).includes(upper) ? (upper as ColumnType) : "TEXT";
  return { type, precision: "", scale: "" };
}

/** The file's columns as new-table columns, keyed by `defaultPrimaryKey`. */
export function draftColumns(columns: readonly ImportColumn[]): ColumnDraft[] {
  const drafts = columns.map((c, i) =>
    newColumn({ name: c.name.trim() === "" ? `column_${i + 1}` : c.name.trim(), ...parseSqlType(c.sql_type) }),
  );
  return withPrimaryKey(drafts, defaultPrimaryKey(columns));
}

/** The columns with `key` (an index, or null for none) as the single primary key; key columns are NOT NULL. */
export function withPrimaryKey(columns: readonly ColumnDraft[], key: number | null): ColumnDraft[] {
  return columns.map((c, i) => ({ ...c, primaryKey: i === key, nullable: i !== key }));
}

export function primaryKeyOf(columns: readonly ColumnDraft[]): number | null {
  const index = columns.findIndex((c) => c.primaryKey);
  return index >= 0 ? index : null;
}

/** The CREATE draft for an import's new table: a SHARED table with the file's columns. */
export function newTableDraft(namespace: string, name: string, columns: ColumnDraft[]): TableDraft {
  return { namespace, name, kind: "SHARED", columns, ttlSeconds: "", maxRows: "" };
}

// ---------------------------------------------------------------------------------
// The request

export interface ImportPlan {
  path: string;
  /** `ns.table`. */
  table: string;
  mapping: (string | null)[];
  onError: OnError;
  header: boolean;
  delimiter: string;
  emptyAsNull: boolean;
  user: string | null;
  /** The window created the table for this import (it is dropped if it ends empty). */
  createdTable: boolean;
}

export function buildImportRequest(plan: ImportPlan): ImportRequest {
  return {
    path: plan.path.trim(),
    table: plan.table,
    mapping: plan.mapping,
    on_error: plan.onError,
    header: plan.header,
    delimiter: plan.delimiter,
    empty_as_null: plan.emptyAsNull,
    user: plan.user,
    created_table: plan.createdTable,
  };
}

// ---------------------------------------------------------------------------------
// Progress and the end

/** How far through the file, 0 to 100 (whole percent). */
export function progressPercent(bytes: number, totalBytes: number): number {
  if (totalBytes <= 0) return 0;
  return Math.max(0, Math.min(100, Math.floor((bytes / totalBytes) * 100)));
}

export function formatCount(n: number): string {
  return n.toLocaleString("en-US");
}

/** `1 row`, `2,500 rows`. */
export function rowsText(n: number): string {
  return `${formatCount(n)} ${n === 1 ? "row" : "rows"}`;
}

export function formatRate(rowsPerSecond: number): string {
  if (!Number.isFinite(rowsPerSecond) || rowsPerSecond < 0) return "0 rows/s";
  if (rowsPerSecond >= 1e6) return `${(rowsPerSecond / 1e6).toFixed(1)}M rows/s`;
  if (rowsPerSecond >= 1e4) return `${Math.round(rowsPerSecond / 1e3)}k rows/s`;
  if (rowsPerSecond >= 1e3) return `${(rowsPerSecond / 1e3).toFixed(1)}k rows/s`;
  return `${Math.round(rowsPerSecond)} rows/s`;
}

const UNITS = ["KB", "MB", "GB", "TB"];

/** Binary units, one decimal under 10 (`512 B`, `1.5 KB`, `12 MB`). */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}

export type ImportOutcome =
  | { kind: "imported"; imported: number; skipped: number; errors: ImportRowError[] }
  | { kind: "cancelled"; imported: number }
  /** `started`: whether start_import accepted it (else nothing ran at all). */
  | { kind: "failed"; error: IpcError; started: boolean };

/** The end an `import` event reports, or null while the import runs. */
export function outcomeOf(event: ImportEvent): ImportOutcome | null {
  if (event.error) return { kind: "failed", error: event.error, started: true };
  const done = event.finished;
  if (!done) return null;
  if (done.cancelled) return { kind: "cancelled", imported: done.imported };
  return { kind: "imported", imported: done.imported, skipped: done.skipped, errors: done.errors };
}

/** Whether the import left rows in the table (which then deserves a refresh). */
export function wroteRows(outcome: ImportOutcome): boolean {
  if (outcome.kind === "imported") return true;
  return outcome.kind === "cancelled" && outcome.imported > 0;
}

/**
 * Whether the window must drop a table it created for the import itself: only when
 * the import never started. Once started, the app drops it if it ends empty (in the
 * database it was made in, even if another one has been opened since) and says so in
 * the last event.
 */
export function dropCreatedTable(outcome: ImportOutcome): boolean {
  return outcome.kind === "failed" && !outcome.started;
}
