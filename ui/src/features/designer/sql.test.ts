import { describe, expect, it } from "vitest";

import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";
import {
  addColumnsSql,
  columnSql,
  createTableSql,
  literalSql,
  move,
  namespaceExists,
  newColumn,
  quoteIdent,
  quoteLiteral,
  validateAlter,
  validateCreate,
  type ColumnDraft,
  type TableDraft,
} from "./sql";

const id = newColumn({ name: "id", type: "BIGINT", primaryKey: true, nullable: false, default: "snowflake" });

function draft(overrides: Partial<TableDraft> = {}): TableDraft {
  return { namespace: "app", name: "messages", kind: "SHARED", columns: [id], ttlSeconds: "", maxRows: "", ...overrides };
}

function table(overrides: Partial<CatalogTable> = {}): CatalogTable {
  return {
    namespace: "app",
    name: "users",
    kind: "SHARED",
    rows: 0,
    ttl_seconds: null,
    unique: [],
    columns: [{ name: "id", sql_type: "BIGINT", nullable: false, primary_key: true, default: null }],
    ...overrides,
  };
}

const catalog: CatalogView = {
  database: { path: "/tmp/db", last_seq: 3 },
  namespaces: [
    { name: "system", tables: [] },
    { name: "app", tables: [table()] },
  ],
};

const messages = (issues: { message: string }[]) => issues.map((i) => i.message);

describe("quoting", () => {
  it("leaves plain lower-case identifiers bare", () => {
    expect(quoteIdent("messages")).toBe("messages");
    expect(quoteIdent("_id2")).toBe("_id2");
  });

  it("quotes anything else, doubling embedded double quotes", () => {
    expect(quoteIdent("Users")).toBe('"Users"');
    expect(quoteIdent("first name")).toBe('"first name"');
    expect(quoteIdent("2fa")).toBe('"2fa"');
    expect(quoteIdent("é")).toBe('"é"');
    expect(quoteIdent('say "hi"')).toBe('"say ""hi"""');
    expect(quoteIdent("")).toBe('""');
  });

  it("quotes lower-case keywords the parser would misread", () => {
    expect(quoteIdent("user")).toBe('"user"');
    expect(quoteIdent("key")).toBe('"key"');
    expect(quoteIdent("primary")).toBe('"primary"');
    expect(quoteIdent("order")).toBe('"order"');
  });

  it("quotes string literals by doubling single quotes only", () => {
    expect(quoteLiteral("hi")).toBe("'hi'");
    expect(quoteLiteral("it's")).toBe("'it''s'");
    expect(quoteLiteral("a\\b")).toBe("'a\\b'");
    expect(quoteLiteral("")).toBe("''");
  });
});

describe("default literals", () => {
  const col = (type: ColumnDraft["type"], extra: Partial<ColumnDraft> = {}) => newColumn({ name: "c", type, ...extra });
  const sql = (c: ColumnDraft, text: string) => literalSql(c, text);

  it("quotes text as typed, spaces and quotes included", () => {
    expect(sql(col("TEXT"), " it's ")).toEqual({ sql: "' it''s '" });
    expect(sql(col("TEXT"), "")).toEqual({ sql: "''" });
  });

  it("normalises integers and checks their range", () => {
    expect(sql(col("INT"), " +007 ")).toEqual({ sql: "7" });
    expect(sql(col("INT"), "-2147483648")).toEqual({ sql: "-2147483648" });
    expect(sql(col("INT"), "2147483648")).toHaveProperty("error");
    expect(sql(col("BIGINT"), "9223372036854775807")).toEqual({ sql: "9223372036854775807" });
    expect(sql(col("BIGINT"), "9223372036854775808")).toHaveProperty("error");
    expect(sql(col("INT"), "1.5")).toHaveProperty("error");
    expect(sql(col("INT"), "")).toHaveProperty("error");
  });

  it("writes doubles as JSON numbers", () => {
    expect(sql(col("DOUBLE"), "1.")).toEqual({ sql: "1" });
    expect(sql(col("DOUBLE"), ".5")).toEqual({ sql: "0.5" });
    expect(sql(col("DOUBLE"), "-2.5e3")).toEqual({ sql: "-2500" });
    expect(sql(col("DOUBLE"), "NaN")).toHaveProperty("error");
    expect(sql(col("DOUBLE"), "Infinity")).toHaveProperty("error");
  });

  it("quotes decimals so they stay exact, within the precision", () => {
    expect(sql(col("DECIMAL"), "12345678901234567890.5")).toEqual({ sql: "'12345678901234567890.5'" });
    expect(sql(col("DECIMAL", { precision: "5", scale: "2" }), "+123.45")).toEqual({ sql: "'123.45'" });
    expect(sql(col("DECIMAL", { precision: "5", scale: "2" }), "1234.5")).toHaveProperty("error");
    expect(sql(col("DECIMAL", { precision: "5" }), "12345")).toEqual({ sql: "'12345'" });
    expect(sql(col("DECIMAL"), "1e5")).toHaveProperty("error");
  });

  it("takes booleans in any case", () => {
    expect(sql(col("BOOLEAN"), "True")).toEqual({ sql: "TRUE" });
    expect(sql(col("BOOLEAN"), "false")).toEqual({ sql: "FALSE" });
    expect(sql(col("BOOLEAN"), "yes")).toHaveProperty("error");
  });

  it("checks dates, timestamps, JSON and hex bytes", () => {
    expect(sql(col("DATE"), "2024-02-29")).toEqual({ sql: "'2024-02-29'" });
    expect(sql(col("DATE"), "2023-02-29")).toHaveProperty("error");
    expect(sql(col("TIMESTAMP"), "2024-01-31 13:45:00")).toEqual({ sql: "'2024-01-31 13:45:00'" });
    expect(sql(col("TIMESTAMP"), "2024-01-31T13:45:00.123456Z")).toEqual({ sql: "'2024-01-31T13:45:00.123456Z'" });
    expect(sql(col("TIMESTAMP"), "2024-01-31")).toEqual({ sql: "'2024-01-31'" });
    expect(sql(col("TIMESTAMP"), "yesterday")).toHaveProperty("error");
    expect(sql(col("JSON"), '{"a": [1, "it\'s"]}')).toEqual({ sql: `'{"a": [1, "it''s"]}'` });
    expect(sql(col("JSON"), "{oops")).toHaveProperty("error");
    expect(sql(col("BYTES"), "0x0A1b")).toEqual({ sql: "'0x0A1b'" });
    expect(sql(col("BYTES"), "abc")).toHaveProperty("error");
  });
});

describe("column definitions", () => {
  it("writes name, type, NOT NULL, key and default in the engine's order", () => {
    expect(columnSql(id, true)).toBe("id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID()");
    expect(columnSql(newColumn({ name: "room", nullable: false }), false)).toBe("room TEXT NOT NULL");
    expect(columnSql(newColumn({ name: "at", type: "TIMESTAMP", default: "now" }), false)).toBe("at TIMESTAMP DEFAULT NOW()");
    expect(columnSql(newColumn({ name: "Body", default: "literal", literal: "it's" }), false)).toBe(`"Body" TEXT DEFAULT 'it''s'`);
  });

  it("writes DECIMAL with its precision and scale when given", () => {
    expect(columnSql(newColumn({ name: "p", type: "DECIMAL" }), false)).toBe("p DECIMAL");
    expect(columnSql(newColumn({ name: "p", type: "DECIMAL", precision: "10", scale: "2" }), false)).toBe("p DECIMAL(10,2)");
    expect(columnSql(newColumn({ name: "p", type: "DECIMAL", precision: "10" }), false)).toBe("p DECIMAL(10)");
  });

  it("leaves NOT NULL off key columns, which are NOT NULL anyway", () => {
    expect(columnSql(newColumn({ name: "k", nullable: false, primaryKey: true }), false)).toBe("k TEXT");
  });
});

describe("CREATE TABLE", () => {
  it("creates a SHARED table in an existing namespace", () => {
    const columns = [id, newColumn({ name: "room", nullable: false }), newColumn({ name: "body" })];
    expect(createTableSql(draft({ columns }), false)).toBe(
      "CREATE SHARED TABLE app.messages (\n" +
        "  id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(),\n" +
        "  room TEXT NOT NULL,\n" +
        "  body TEXT\n" +
        ");",
    );
  });

  it("creates the namespace first when it is new", () => {
    expect(createTableSql(draft({ namespace: "Shop", kind: "USER" }), true)).toBe(
      'CREATE NAMESPACE IF NOT EXISTS "Shop";\n' +
        'CREATE USER TABLE "Shop".messages (\n' +
        "  id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID()\n" +
        ");",
    );
  });

  it("declares a composite key as a constraint, in column order", () => {
    const columns = [newColumn({ name: "b", type: "INT", primaryKey: true }), newColumn({ name: "Order", primaryKey: true }), newColumn({ name: "v", type: "DOUBLE" })];
    expect(createTableSql(draft({ name: "pairs", columns }), false)).toBe(
      "CREATE SHARED TABLE app.pairs (\n" +
        "  b INT,\n" +
        '  "Order" TEXT,\n' +
        "  v DOUBLE,\n" +
        '  PRIMARY KEY (b, "Order")\n' +
        ");",
    );
  });

  it("writes no key when none is marked (the engine generates _id)", () => {
    expect(createTableSql(draft({ name: "log", columns: [newColumn({ name: "msg" })] }), false)).toBe(
      "CREATE SHARED TABLE app.log (\n  msg TEXT\n);",
    );
  });

  it("adds STREAM options, MAX_ROWS only when given", () => {
    const stream = draft({ name: "events", kind: "STREAM", ttlSeconds: " 60 " });
    expect(createTableSql(stream, false)).toBe(
      "CREATE STREAM TABLE app.events (\n  id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID()\n) WITH (TTL_SECONDS = 60);",
    );
    expect(createTableSql({ ...stream, maxRows: "1000" }, false)).toBe(
      "CREATE STREAM TABLE app.events (\n  id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID()\n) WITH (TTL_SECONDS = 60, MAX_ROWS = 1000);",
    );
  });

  it("ignores STREAM options for other kinds", () => {
    expect(createTableSql(draft({ ttlSeconds: "60", maxRows: "5" }), false)).not.toContain("WITH");
  });
});

describe("ALTER TABLE", () => {
  it("adds one statement per new column", () => {
    const columns = [newColumn({ name: "age", type: "INT", default: "literal", literal: "30" }), newColumn({ name: "user" })];
    expect(addColumnsSql({ namespace: "app", name: "Users" }, columns)).toBe(
      'ALTER TABLE app."Users" ADD COLUMN age INT DEFAULT 30;\n' + 'ALTER TABLE app."Users" ADD COLUMN "user" TEXT;',
    );
  });

  it("accepts plain additions", () => {
    expect(validateAlter(table({ rows: 10 }), [newColumn({ name: "nick" })])).toEqual([]);
  });

  it("refuses duplicates, keys and reserved names", () => {
    const issues = validateAlter(table({ kind: "USER" }), [
      newColumn({ name: "id" }),
      newColumn({ name: "x", primaryKey: true }),
      newColumn({ name: "x" }),
      newColumn({ name: "_user" }),
    ]);
    expect(messages(issues)).toEqual([
      "Column id: the name is used twice",
      "Column x: the name is used twice",
      "Column _user: _user is reserved for the owner of USER table rows",
      "Column x: ADD COLUMN cannot add a primary key column",
    ]);
    expect(issues.map((i) => i.column)).toEqual([0, 2, 3, 1]);
  });

  it("needs a default for NOT NULL and an empty table for SNOWFLAKE_ID() once there are rows", () => {
    const columns = [
      newColumn({ name: "a", nullable: false }),
      newColumn({ name: "b", nullable: false, default: "literal", literal: "x" }),
      newColumn({ name: "c", type: "BIGINT", default: "snowflake" }),
    ];
    expect(validateAlter(table({ rows: 0 }), columns)).toEqual([]);
    expect(messages(validateAlter(table({ rows: 2 }), columns))).toEqual([
      "Column a: the table has rows, so a NOT NULL column needs a default for them",
      "Column c: DEFAULT SNOWFLAKE_ID() needs an empty table (existing rows would share one id)",
    ]);
  });

  it("refuses SYSTEM tables and an empty list", () => {
    expect(messages(validateAlter(table({ kind: "SYSTEM", namespace: "system", name: "live" }), [newColumn({ name: "x" })]))).toEqual([
      "system.live is a read-only SYSTEM table",
    ]);
    expect(messages(validateAlter(table(), []))).toEqual(["Add at least one column"]);
  });
});

describe("validating CREATE", () => {
  it("accepts a good draft", () => {
    expect(validateCreate(draft(), catalog)).toEqual([]);
    expect(validateCreate(draft({ kind: "STREAM", ttlSeconds: "60", maxRows: "100" }), catalog)).toEqual([]);
  });

  it("checks namespace and table names", () => {
    expect(validateCreate(draft({ namespace: "", name: "a.b" }), catalog)).toEqual([
      { message: "The namespace name is empty", field: "namespace" },
      { message: "The table name cannot contain '.'", field: "name" },
    ]);
    expect(messages(validateCreate(draft({ namespace: "system" }), catalog))).toEqual([
      "The namespace 'system' is reserved for SYSTEM views",
    ]);
    expect(messages(validateCreate(draft({ name: "users" }), catalog))).toEqual(["Table app.users already exists"]);
    expect(messages(validateCreate(draft({ name: "users ", namespace: "a\tb" }), catalog))).toEqual([
      "The namespace name has a control character",
      "The table name starts or ends with a space",
    ]);
  });

  it("needs columns with distinct, non-empty names", () => {
    expect(messages(validateCreate(draft({ columns: [] }), catalog))).toEqual(["Add at least one column"]);
    const issues = validateCreate(draft({ columns: [id, newColumn(), newColumn({ name: "id" })] }), catalog);
    expect(messages(issues)).toEqual(["Column 2: the name is empty", "Column id: the name is used twice"]);
    expect(issues.map((i) => i.column)).toEqual([1, 2]);
  });

  it("treats names as case-sensitive, as the quoted SQL does", () => {
    expect(validateCreate(draft({ columns: [id, newColumn({ name: "ID" })] }), catalog)).toEqual([]);
  });

  it("checks keys and defaults against the column type", () => {
    const columns = [
      newColumn({ name: "doc", type: "JSON", primaryKey: true }),
      newColumn({ name: "at", type: "DATE", default: "now" }),
      newColumn({ name: "n", type: "INT", default: "snowflake" }),
      newColumn({ name: "m", type: "INT", default: "literal", literal: "abc" }),
      newColumn({ name: "d", type: "DECIMAL", precision: "40" }),
      newColumn({ name: "e", type: "DECIMAL", precision: "4", scale: "5" }),
      newColumn({ name: "f", type: "DECIMAL", scale: "2" }),
    ];
    expect(messages(validateCreate(draft({ columns }), catalog))).toEqual([
      "Column doc: a JSON column cannot be in the primary key",
      "Column at: DEFAULT NOW() needs a TIMESTAMP column",
      "Column n: DEFAULT SNOWFLAKE_ID() needs a BIGINT column",
      "Column m: the default of m must be a whole number",
      "Column d: DECIMAL precision must be 1 to 38",
      "Column e: DECIMAL scale must be 0 to the precision",
      "Column f: give DECIMAL a precision with the scale",
    ]);
  });

  it("reserves _id without a key and _user in USER tables", () => {
    expect(messages(validateCreate(draft({ columns: [newColumn({ name: "_id", type: "BIGINT" })] }), catalog))).toEqual([
      "Column _id: without a primary key the engine adds its own _id key; mark a key or rename it",
    ]);
    expect(validateCreate(draft({ columns: [newColumn({ name: "_id", type: "BIGINT", primaryKey: true })] }), catalog)).toEqual([]);
    expect(messages(validateCreate(draft({ kind: "USER", columns: [id, newColumn({ name: "_user" })] }), catalog))).toEqual([
      "Column _user: _user is reserved for the owner of USER table rows",
    ]);
    expect(validateCreate(draft({ kind: "SHARED", columns: [id, newColumn({ name: "_user" })] }), catalog)).toEqual([]);
  });

  it("needs a TTL for STREAM tables, and sane numbers", () => {
    expect(validateCreate(draft({ kind: "STREAM" }), catalog)).toEqual([
      { message: "TTL seconds must be a whole number from 1 to 9223372036854", field: "ttlSeconds" },
    ]);
    expect(messages(validateCreate(draft({ kind: "STREAM", ttlSeconds: "0", maxRows: "1.5" }), catalog))).toEqual([
      "TTL seconds must be a whole number from 1 to 9223372036854",
      "Max rows must be a whole number from 1 to 9223372036854",
    ]);
    expect(validateCreate(draft({ kind: "STREAM", ttlSeconds: "9223372036854" }), catalog)).toEqual([]);
    expect(validateCreate(draft({ kind: "STREAM", ttlSeconds: "9223372036855" }), catalog)).toHaveLength(1);
  });

  it("knows which namespaces exist", () => {
    expect(namespaceExists(catalog, "app")).toBe(true);
    expect(namespaceExists(catalog, "shop")).toBe(false);
    expect(namespaceExists(null, "app")).toBe(false);
  });
});

describe("reordering", () => {
  it("moves an item up or down and stays put at the ends", () => {
    expect(move(["a", "b", "c"], 2, -1)).toEqual(["a", "c", "b"]);
    expect(move(["a", "b", "c"], 0, 1)).toEqual(["b", "a", "c"]);
    expect(move(["a", "b", "c"], 0, -1)).toEqual(["a", "b", "c"]);
    expect(move(["a", "b", "c"], 2, 1)).toEqual(["a", "b", "c"]);
  });
});
