import { describe, expect, it } from "vitest";

import { findName } from "./nameInText";

describe("findName", () => {
  const at = (sql: string, name: string, from?: number) => {
    const found = findName(sql, name, from);
    return found && sql.slice(found[0], found[1]);
  };

  it("finds a table as written: any case, quoted parts, spaces around the dot", () => {
    expect(at("SELECT * FROM shop.ordrs", "shop.ordrs")).toBe("shop.ordrs");
    expect(at("select * from Shop.Ordrs o", "shop.ordrs")).toBe("Shop.Ordrs");
    expect(at('SELECT * FROM "shop"."ordrs"', "shop.ordrs")).toBe('"shop"."ordrs"');
    expect(at("SELECT * FROM shop . ordrs", "shop.ordrs")).toBe("shop . ordrs");
  });

  it("finds a column, qualified or not, as a whole word in code", () => {
    const sql = "SELECT 'totl', o.totl, totl -- totl\nFROM shop.orders o WHERE c.idd = 1";
    const first = findName(sql, "totl")!;
    expect(first[0]).toBe(sql.indexOf(", totl") + 2);
    expect(at(sql, "o.totl")).toBe("o.totl");
    expect(at(sql, "c.idd")).toBe("c.idd");
    expect(findName("SELECT totals FROM t", "totl")).toBeNull();
    expect(findName("SELECT x.totl FROM t", "totl")).toBeNull();
  });

  it("starts where it is told", () => {
    const sql = "SELECT * FROM a.b; SELECT * FROM a.b";
    expect(findName(sql, "a.b", 15)).toEqual([sql.lastIndexOf("a.b"), sql.length]);
    expect(findName(sql, "")).toBeNull();
  });
});
