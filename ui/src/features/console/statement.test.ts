import { describe, expect, it } from "vitest";

import { isQuery, LABEL_MAX, statementLabel, statementLabels } from "./statement";

describe("isQuery", () => {
  it("knows a SELECT behind comments and parentheses", () => {
    for (const sql of [
      "SELECT 1",
      "select status, count(*) from s.o group by status",
      "  -- counts\n  SELECT * FROM t",
      "/* top */ (SELECT a FROM t) UNION ALL (SELECT a FROM u)",
      "WITH x AS (SELECT 1) SELECT * FROM x",
    ]) {
      expect(isQuery(sql), sql).toBe(true);
    }
  });

  it("leaves out every other statement", () => {
    for (const sql of ["INSERT INTO t VALUES (1)", "SHOW TABLES", "DESCRIBE t", "EXPLAIN SELECT 1", "SUBSCRIBE TO SELECT 1", "-- SELECT", "", "SELECTED"]) {
      expect(isQuery(sql), sql).toBe(false);
    }
  });
});

describe("statementLabel", () => {
  it("names a statement by its verb and table", () => {
    const cases: [string, string][] = [
      ["SELECT * FROM shop.orders", "SELECT … FROM shop.orders"],
      ["select status, count(*) from shop.orders o join shop.customers c on o.c = c.id group by status", "SELECT … FROM shop.orders"],
      ["  -- recent\n  SELECT id FROM \"Shop\".\"Orders\" WHERE id IN (SELECT id FROM x.y)", 'SELECT … FROM "Shop"."Orders"'],
      ["SELECT * FROM (SELECT 1 AS a) t", "SELECT … FROM (…)"],
      ["WITH big AS (SELECT * FROM shop.orders WHERE total > 100) SELECT count(*) FROM big", "WITH … SELECT … FROM big"],
      ["INSERT INTO shop.orders VALUES (1, 'a')", "INSERT INTO shop.orders"],
      ["insert into shop.orders (id) select id from x.y", "INSERT INTO shop.orders"],
      ["UPDATE shop.orders SET status = 'paid' WHERE id = 7", "UPDATE shop.orders"],
      ["DELETE FROM shop.orders WHERE id = 7", "DELETE FROM shop.orders"],
      ["CREATE STREAM TABLE IF NOT EXISTS shop.events (id BIGINT PRIMARY KEY) WITH (TTL_SECONDS = 60)", "CREATE STREAM TABLE IF NOT EXISTS shop.events"],
      ["create namespace shop", "CREATE NAMESPACE shop"],
      ["DROP TABLE IF EXISTS shop.orders", "DROP TABLE IF EXISTS shop.orders"],
      ["ALTER TABLE shop.orders ADD COLUMN note TEXT", "ALTER TABLE shop.orders"],
      ["DESCRIBE TABLE shop.orders", "DESCRIBE TABLE shop.orders"],
      ["EXPLAIN SELECT * FROM shop.orders", "EXPLAIN SELECT … FROM shop.orders"],
      ["SUBSCRIBE TO SELECT id FROM shop.orders WHERE status = 'open'", "SUBSCRIBE TO SELECT … FROM shop.orders"],
      ["EXECUTE AS USER 'o''brien' (INSERT INTO app.notes VALUES (1, 'x'))", "as o'brien: INSERT INTO app.notes"],
    ];
    for (const [sql, label] of cases) expect(statementLabel(sql), sql).toBe(label);
  });

  it("keeps the text of statements without a table, without comments or extra spaces", () => {
    expect(statementLabel("SHOW TABLES IN shop")).toBe("SHOW TABLES IN shop");
    expect(statementLabel("/* sum */ SELECT 1 +\n\n  1")).toBe("SELECT 1 + 1");
    expect(statementLabel("KILL LIVE QUERY '00a1'")).toBe("KILL LIVE QUERY '00a1'");
    expect(statementLabel("SELEC * FROM shop.orders")).toBe("SELEC * FROM shop.orders");
  });

  it("cuts a long label with an ellipsis", () => {
    const label = statementLabel(`SELECT ${"a_rather_long_column_name, ".repeat(10)}1`);
    expect(label.length).toBe(LABEL_MAX);
    expect(label.endsWith("…")).toBe(true);
    expect(statementLabel(`INSERT INTO shop.${"t".repeat(80)} VALUES (1)`)).toHaveLength(LABEL_MAX);
  });
});

describe("statementLabels", () => {
  it("counts repeats so that every tab can be told apart", () => {
    expect(statementLabels(["SELECT * FROM a.b", "SELECT id FROM a.b WHERE id > 1", "INSERT INTO a.b VALUES (1)", "select 1 from a.b"])).toEqual([
      "SELECT … FROM a.b",
      "SELECT … FROM a.b (2)",
      "INSERT INTO a.b",
      "SELECT … FROM a.b (3)",
    ]);
  });
});
