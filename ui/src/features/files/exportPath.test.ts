import { describe, expect, it } from "vitest";

import {
  defaultExportPath,
  ensureExtension,
  exportFilter,
  exportTitle,
  joinPath,
  safeFileName,
  suggestExportName,
  withExtension,
} from "./exportPath";

describe("suggested export names", () => {
  const now = new Date(2024, 1, 9, 7, 5, 3);

  it("names a table export after the table", () => {
    expect(suggestExportName({ kind: "table", table: "shop.orders", user: null }, now)).toBe("shop.orders");
  });

  it("names a pane export after its table, or rows when unknown", () => {
    expect(suggestExportName({ kind: "pane", pane: "pane-3" }, now, "app.events")).toBe("app.events");
    expect(suggestExportName({ kind: "pane", pane: "pane-3" }, now)).toBe("rows");
  });

  it("names a query export by its local date and time", () => {
    expect(suggestExportName({ kind: "query", sql: "SELECT 1", user: null }, now)).toBe("query-2024-02-09-070503");
  });

  it("keeps table names that are not file-safe to one file", () => {
    expect(suggestExportName({ kind: "table", table: 'a/b."c"', user: null }, now)).toBe("a_b._c_");
  });
});

describe("safe file names", () => {
  it("replaces separators, reserved and control characters", () => {
    expect(safeFileName("a\\b/c:d*e?f\"g<h>i|j\u0001k")).toBe("a_b_c_d_e_f_g_h_i_j_k");
  });

  it("drops leading dots and falls back when nothing is left", () => {
    expect(safeFileName("..hidden")).toBe("hidden");
    expect(safeFileName("  ")).toBe("export");
    expect(safeFileName("...")).toBe("export");
  });
});

describe("paths", () => {
  it("joins with the directory's own separator", () => {
    expect(joinPath("/home/ann/Downloads", "x.csv")).toBe("/home/ann/Downloads/x.csv");
    expect(joinPath("/home/ann/Downloads/", "x.csv")).toBe("/home/ann/Downloads/x.csv");
    expect(joinPath("C:\\Users\\ann\\Downloads", "x.csv")).toBe("C:\\Users\\ann\\Downloads\\x.csv");
  });

  it("switches a known extension to the format's and appends otherwise", () => {
    expect(withExtension("/d/orders.csv", "json")).toBe("/d/orders.json");
    expect(withExtension("/d/orders.JSON", "parquet")).toBe("/d/orders.parquet");
    expect(withExtension("/d/shop.orders", "csv")).toBe("/d/shop.orders.csv");
  });

  it("prefills the export folder, the name and the format's extension", () => {
    expect(defaultExportPath("/dl", "shop.orders", "csv")).toBe("/dl/shop.orders.csv");
    expect(defaultExportPath("/dl", "shop.orders", "parquet")).toBe("/dl/shop.orders.parquet");
    expect(defaultExportPath("/dl", "a/b", "json")).toBe("/dl/a_b.json");
  });

  it("gives a picked file without extension the format's", () => {
    expect(ensureExtension("/d/out", "parquet")).toBe("/d/out.parquet");
    expect(ensureExtension("/d/out.txt", "csv")).toBe("/d/out.txt");
    expect(ensureExtension("/my.dir/out", "json")).toBe("/my.dir/out.json");
  });
});

describe("dialog text", () => {
  it("filters the save dialog by the format", () => {
    expect(exportFilter("parquet")).toEqual({ name: "Parquet", extensions: ["parquet"] });
  });

  it("titles the dialog by what is exported", () => {
    expect(exportTitle({ kind: "table", table: "a.t", user: null })).toBe("Export a.t");
    expect(exportTitle({ kind: "query", sql: "SELECT 1", user: null })).toBe("Export the query's rows");
  });
});
