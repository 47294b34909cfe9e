import { describe, expect, it } from "vitest";

import { isQuery } from "./statement";

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
