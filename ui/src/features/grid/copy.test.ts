import { describe, expect, it } from "vitest";

import { COPY_LIMIT, copiedMessage, formatRows, quoteIdent, quoteTable, sqlLiteral, toCsv, toJson, toSqlInsert, toTsv, type CopyRows } from "./copy";

const data: CopyRows = {
  columns: [
    { name: "id", sqlType: "BIGINT" },
    { name: "name", sqlType: "TEXT" },
    { name: "ok", sqlType: "BOOLEAN" },
    { name: "doc", sqlType: "JSON" },
  ],
  rows: [
    ["9007199254740993", "it's", true, { a: [1, 2] }],
    [2, null, false, null],
  ],
};

describe("TSV", () => {
  it("writes cells as the grid shows them, one row a line", () => {
    expect(toTsv(data, false)).toBe('9007199254740993\tit\'s\ttrue\t{"a":[1,2]}\n2\tNULL\tfalse\tNULL');
  });

  it("puts the column names first when asked", () => {
    expect(toTsv({ columns: [{ name: "a", sqlType: null }], rows: [[1]] }, true)).toBe("a\n1");
  });

  it("escapes tabs and line breaks so each row stays one line", () => {
    const rows: CopyRows = { columns: [{ name: "t", sqlType: "TEXT" }], rows: [["a\tb\nc\r\nd"], ["C:\\dir"]] };
    expect(toTsv(rows, false)).toBe("a\\tb\\nc\\r\\nd\nC:\\dir");
  });
});

describe("CSV", () => {
  it("quotes per RFC 4180 with CRLF line ends and a header", () => {
    const rows: CopyRows = {
      columns: [{ name: "a,b", sqlType: "TEXT" }, { name: "n", sqlType: "INT" }],
      rows: [['say "hi"', 1], ["two\nlines", -2.5], ["plain", 0]],
    };
    expect(toCsv(rows)).toBe('"a,b",n\r\n"say ""hi""",1\r\n"two\nlines",-2.5\r\nplain,0\r\n');
  });

  it("keeps NULL (empty) apart from the empty string (quoted)", () => {
    const rows: CopyRows = { columns: [{ name: "a", sqlType: "TEXT" }, { name: "b", sqlType: "TEXT" }], rows: [[null, ""]] };
    expect(toCsv(rows)).toBe('a,b\r\n,""\r\n');
  });

  it("writes JSON documents as their text", () => {
    expect(toCsv({ columns: [{ name: "d", sqlType: "JSON" }], rows: [[{ k: "v" }]] })).toBe('d\r\n"{""k"":""v""}"\r\n');
  });
});

describe("JSON", () => {
  it("is an array of objects keyed by column, big integers as numbers again", () => {
    const text = toJson(data);
    expect(text).toBe(
      '[\n  {"id": 9007199254740993, "name": "it\'s", "ok": true, "doc": {"a":[1,2]}},\n' +
        '  {"id": 2, "name": null, "ok": false, "doc": null}\n]',
    );
    expect(JSON.parse(text)[1]).toEqual({ id: 2, name: null, ok: false, doc: null });
  });

  it("keeps digit strings of text columns as strings", () => {
    expect(toJson({ columns: [{ name: "zip", sqlType: "TEXT" }], rows: [["01234"]] })).toBe('[\n  {"zip": "01234"}\n]');
  });

  it("is an empty array for no rows", () => {
    expect(toJson({ columns: data.columns, rows: [] })).toBe("[]");
  });
});

describe("SQL INSERT", () => {
  it("writes one statement per row, literals by column type", () => {
    expect(toSqlInsert(data, "app.notes")).toBe(
      "INSERT INTO app.notes (id, name, ok, doc) VALUES (9007199254740993, 'it''s', TRUE, '{\"a\":[1,2]}');\n" +
        "INSERT INTO app.notes (id, name, ok, doc) VALUES (2, NULL, FALSE, NULL);",
    );
  });

  it("quotes names that need it", () => {
    const rows: CopyRows = { columns: [{ name: "User Name", sqlType: "TEXT" }, { name: "order", sqlType: "INT" }], rows: [["x", 1]] };
    expect(toSqlInsert(rows, "My NS.t\"x")).toBe(`INSERT INTO "My NS"."t""x" ("User Name", "order") VALUES ('x', 1);`);
  });

  it("writes each kind of value as a literal", () => {
    expect(sqlLiteral("2024-02-29T13:45:00.123456", "TIMESTAMP")).toBe("'2024-02-29T13:45:00.123456'");
    expect(sqlLiteral("2024-02-29", "DATE")).toBe("'2024-02-29'");
    expect(sqlLiteral("12.50", "DECIMAL(10,2)")).toBe("12.50");
    expect(sqlLiteral("12", "TEXT")).toBe("'12'");
    expect(sqlLiteral("00ff", "BYTES")).toBe("X'00ff'");
    expect(sqlLiteral("plain", "JSON")).toBe(`'"plain"'`);
    expect(sqlLiteral([1, "a"], "JSON")).toBe(`'[1,"a"]'`);
    expect(sqlLiteral({ a: "it's" }, null)).toBe(`'{"a":"it''s"}'`);
    expect(sqlLiteral(1.5, null)).toBe("1.5");
    expect(sqlLiteral(null, "INT")).toBe("NULL");
  });

  it("falls back to a placeholder table name", () => {
    expect(formatRows("sql", { columns: [{ name: "a", sqlType: null }], rows: [[1]] })).toBe("INSERT INTO table_name (a) VALUES (1);");
  });
});

describe("names", () => {
  it("are bare only when they can be", () => {
    expect(quoteIdent("snake_case1")).toBe("snake_case1");
    expect(quoteIdent("Mixed")).toBe('"Mixed"');
    expect(quoteIdent("1st")).toBe('"1st"');
    expect(quoteIdent("select")).toBe('"select"');
    expect(quoteIdent("_user")).toBe("_user");
    expect(quoteTable("single")).toBe("single");
    expect(quoteTable("a.b.c")).toBe('a."b.c"');
  });
});

describe("copiedMessage", () => {
  it("counts the rows and names the format", () => {
    expect(copiedMessage("csv", 1, 1)).toBe("Copied 1 row as CSV");
    expect(copiedMessage("sql", 2500, 2500)).toBe("Copied 2,500 rows as SQL INSERT");
  });

  it("says when the limit cut the selection short", () => {
    expect(copiedMessage("tsv", COPY_LIMIT, 250_000)).toBe(
      "Copied the first 100,000 of 250,000 selected rows as TSV: one copy takes at most 100,000",
    );
  });
});
