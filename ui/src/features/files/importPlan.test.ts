import { describe, expect, it } from "vitest";

import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";
import type { ImportEvent } from "../../bindings/ImportEvent";
import type { IpcError } from "../../bindings/IpcError";
import { createTableSql, validateCreate } from "../designer/sql";
import {
  autoMapping,
  buildImportRequest,
  defaultDelimiter,
  defaultPrimaryKey,
  draftColumns,
  dropCreatedTable,
  findTable,
  formatBytes,
  formatRate,
  importTargets,
  isParquet,
  mappingIssues,
  newTableDraft,
  outcomeOf,
  parseSqlType,
  primaryKeyOf,
  progressPercent,
  rowsText,
  suggestTableName,
  targetColumns,
  withPrimaryKey,
  wroteRows,
} from "./importPlan";

function table(namespace: string, name: string, kind: CatalogTable["kind"], columns: string[]): CatalogTable {
  return {
    namespace,
    name,
    kind,
    rows: kind === "SYSTEM" ? null : 0,
    ttl_seconds: null,
    unique: [],
    columns: columns.map((c) => ({ name: c, sql_type: "TEXT", nullable: true, primary_key: false, default: null })),
  };
}

const catalog: CatalogView = {
  database: { path: "/db", last_seq: 0 },
  namespaces: [
    { name: "shop", tables: [table("shop", "orders", "SHARED", ["id", "qty"]), table("shop", "notes", "USER", ["text"])] },
    { name: "system", tables: [table("system", "live", "SYSTEM", ["id"])] },
  ],
};

function event(overrides: Partial<ImportEvent>): ImportEvent {
  return {
    import: "import-1",
    rows: 0,
    skipped: 0,
    bytes: 0,
    total_bytes: 100,
    rows_per_second: 0,
    finished: null,
    error: null,
    dropped_table: false,
    ...overrides,
  };
}

describe("file options", () => {
  it("tells Parquet by its extension", () => {
    expect(isParquet("/d/a.parquet")).toBe(true);
    expect(isParquet("/d/a.PARQUET ")).toBe(true);
    expect(isParquet("/d/a.csv")).toBe(false);
  });

  it("uses tab for .tsv and comma otherwise", () => {
    expect(defaultDelimiter("/d/a.tsv")).toBe("\t");
    expect(defaultDelimiter("/d/a.csv")).toBe(",");
  });

  it("suggests a plain table name from the file name", () => {
    expect(suggestTableName("/home/ann/Sales 2024.csv")).toBe("sales_2024");
    expect(suggestTableName("C:\\data\\Orders-Q1.parquet")).toBe("orders_q1");
    expect(suggestTableName("/d/2024.csv")).toBe("t_2024");
    expect(suggestTableName("/d/---.csv")).toBe("imported");
    expect(suggestTableName("")).toBe("imported");
  });
});

describe("targets", () => {
  it("lists every table but SYSTEM ones", () => {
    expect(importTargets(catalog).map((t) => `${t.namespace}.${t.name}`)).toEqual(["shop.orders", "shop.notes"]);
    expect(importTargets(null)).toEqual([]);
    expect(findTable(catalog, "system.live")).toBeNull();
    expect(findTable(catalog, "shop.orders")?.name).toBe("orders");
  });

  it("offers an admin the owner column of a USER table", () => {
    const notes = findTable(catalog, "shop.notes")!;
    expect(targetColumns(notes, null)).toEqual(["_user", "text"]);
    expect(targetColumns(notes, "ann")).toEqual(["text"]);
    expect(targetColumns(findTable(catalog, "shop.orders")!, null)).toEqual(["id", "qty"]);
  });
});

describe("auto-mapping", () => {
  it("matches names exactly, then ignoring case, and skips the rest", () => {
    expect(autoMapping(["ID", "Qty", "comment"], ["id", "qty", "note"])).toEqual(["id", "qty", null]);
  });

  it("prefers the exact match and gives each target one file column", () => {
    expect(autoMapping(["NAME", "name"], ["name"])).toEqual([null, "name"]);
    expect(autoMapping(["Name", "NAME"], ["name"])).toEqual(["name", null]);
  });

  it("reports an empty mapping and a target used twice", () => {
    expect(mappingIssues([null, null], ["a", "b"])).toEqual(["Map at least one file column to a table column"]);
    expect(mappingIssues(["x", "x"], ["a", "b"])).toEqual(["a and b both go to x; skip one"]);
    expect(mappingIssues(["x", null], ["a", "b"])).toEqual([]);
  });
});

describe("a new table from the file", () => {
  it("keys on an integer column named id, else on none", () => {
    expect(defaultPrimaryKey([{ name: "name", sql_type: "TEXT" }, { name: "id", sql_type: "BIGINT" }])).toBe(1);
    expect(defaultPrimaryKey([{ name: "ID", sql_type: "INT" }])).toBe(0);
    expect(defaultPrimaryKey([{ name: "id", sql_type: "TEXT" }])).toBeNull();
    expect(defaultPrimaryKey([{ name: "user_id", sql_type: "BIGINT" }])).toBeNull();
  });

  it("reads engine type names into designer types", () => {
    expect(parseSqlType("BIGINT")).toEqual({ type: "BIGINT", precision: "", scale: "" });
    expect(parseSqlType("DECIMAL(10,2)")).toEqual({ type: "DECIMAL", precision: "10", scale: "2" });
    expect(parseSqlType("DECIMAL")).toEqual({ type: "DECIMAL", precision: "", scale: "" });
    expect(parseSqlType("GEOMETRY")).toEqual({ type: "TEXT", precision: "", scale: "" });
  });

  it("turns the file's columns into a CREATE TABLE", () => {
    const columns = draftColumns([
      { name: "id", sql_type: "BIGINT" },
      { name: " Full Name ", sql_type: "TEXT" },
      { name: "", sql_type: "DOUBLE" },
    ]);
    expect(columns.map((c) => [c.name, c.type, c.primaryKey, c.nullable])).toEqual([
      ["id", "BIGINT", true, false],
      ["Full Name", "TEXT", false, true],
      ["column_3", "DOUBLE", false, true],
    ]);
    const draft = newTableDraft("shop", "people", columns);
    expect(validateCreate(draft, catalog)).toEqual([]);
    expect(createTableSql(draft, false)).toBe(
      'CREATE SHARED TABLE shop.people (\n  id BIGINT PRIMARY KEY,\n  "Full Name" TEXT,\n  column_3 DOUBLE\n);',
    );
  });

  it("leaves the key to the engine when no column is chosen", () => {
    const columns = withPrimaryKey(draftColumns([{ name: "id", sql_type: "BIGINT" }]), null);
    expect(primaryKeyOf(columns)).toBeNull();
    expect(columns[0].nullable).toBe(true);
    expect(createTableSql(newTableDraft("n", "t", columns), true)).toBe(
      "CREATE NAMESPACE IF NOT EXISTS n;\nCREATE SHARED TABLE n.t (\n  id BIGINT\n);",
    );
    expect(primaryKeyOf(withPrimaryKey(columns, 0))).toBe(0);
  });
});

describe("the request", () => {
  it("carries the plan in the command's field names", () => {
    expect(
      buildImportRequest({
        path: " /d/a.csv ",
        table: "shop.orders",
        mapping: ["id", null],
        onError: "skip",
        header: true,
        delimiter: "\t",
        emptyAsNull: false,
        user: "ann",
        createdTable: true,
      }),
    ).toEqual({
      path: "/d/a.csv",
      table: "shop.orders",
      mapping: ["id", null],
      on_error: "skip",
      header: true,
      delimiter: "\t",
      empty_as_null: false,
      user: "ann",
      created_table: true,
    });
  });
});

describe("progress", () => {
  it("is whole percent of the bytes read, within 0 to 100", () => {
    expect(progressPercent(0, 0)).toBe(0);
    expect(progressPercent(50, 200)).toBe(25);
    expect(progressPercent(199, 200)).toBe(99);
    expect(progressPercent(300, 200)).toBe(100);
  });

  it("formats rates, sizes and counts", () => {
    expect(formatRate(0)).toBe("0 rows/s");
    expect(formatRate(812.4)).toBe("812 rows/s");
    expect(formatRate(2345)).toBe("2.3k rows/s");
    expect(formatRate(45_678)).toBe("46k rows/s");
    expect(formatRate(1_250_000)).toBe("1.3M rows/s");
    expect(formatRate(Number.NaN)).toBe("0 rows/s");
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KB");
    expect(formatBytes(12 * 1024 * 1024)).toBe("12 MB");
    expect(formatBytes(3 * 1024 ** 3)).toBe("3.0 GB");
    expect(rowsText(1)).toBe("1 row");
    expect(rowsText(2500)).toBe("2,500 rows");
  });
});

describe("the end", () => {
  it("reads the outcome from the last event", () => {
    expect(outcomeOf(event({ rows: 10 }))).toBeNull();
    const errors = [{ line: 3, message: "bad" }];
    expect(
      outcomeOf(event({ finished: { imported: 9, skipped: 1, errors, cancelled: false, seq: 4 } })),
    ).toEqual({ kind: "imported", imported: 9, skipped: 1, errors });
    expect(outcomeOf(event({ finished: { imported: 0, skipped: 0, errors: [], cancelled: true, seq: 4 } }))).toEqual({
      kind: "cancelled",
      imported: 0,
    });
    const error = { code: "bad_row", message: "line 3: bad; nothing was imported", line: 3, column: 1, did_you_mean: null };
    expect(outcomeOf(event({ error }))).toEqual({ kind: "failed", error, started: true });
  });

  it("drops a created table only when it holds nothing from the file", () => {
    const error: IpcError = { code: "bad_row", message: "x", line: 3, column: 1, did_you_mean: null };
    // Once started, the app drops an empty created table itself.
    expect(dropCreatedTable({ kind: "imported", imported: 0, skipped: 2, errors: [] })).toBe(false);
    expect(dropCreatedTable({ kind: "cancelled", imported: 0 })).toBe(false);
    expect(dropCreatedTable({ kind: "failed", error, started: true })).toBe(false);
    expect(dropCreatedTable({ kind: "failed", error, started: false })).toBe(true);
  });

  it("says when the table has new rows", () => {
    expect(wroteRows({ kind: "imported", imported: 3, skipped: 0, errors: [] })).toBe(true);
    expect(wroteRows({ kind: "cancelled", imported: 0 })).toBe(false);
    expect(wroteRows({ kind: "cancelled", imported: 5 })).toBe(true);
  });
});
