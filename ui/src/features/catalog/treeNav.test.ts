import { describe, expect, it } from "vitest";

import type { CatalogView } from "../../bindings/CatalogView";
import { treeKey, visibleRows, type TreeRow } from "./treeNav";

const catalog = {
  database: { path: "/db", last_seq: 0 },
  namespaces: [
    { name: "system", tables: [{ name: "live" }, { name: "tables" }] },
    { name: "shop", tables: [{ name: "customers" }, { name: "orders" }] },
    { name: "empty", tables: [] },
  ],
} as unknown as CatalogView;

const rows = (collapsed: string[] = []): TreeRow[] => visibleRows(catalog, new Set(collapsed));
const ids = (r: TreeRow[]) => r.map((row) => row.id);

describe("visibleRows", () => {
  it("lists each namespace and, unless collapsed, its tables", () => {
    expect(ids(rows())).toEqual(["ns:system", "table:system.live", "table:system.tables", "ns:shop", "table:shop.customers", "table:shop.orders", "ns:empty"]);
    expect(ids(rows(["system", "shop"]))).toEqual(["ns:system", "ns:shop", "ns:empty"]);
    expect(rows(["shop"]).find((r) => r.id === "ns:shop")?.expanded).toBe(false);
  });
});

describe("treeKey", () => {
  const all = rows();
  const key = (current: string | null, k: string, shift = false, typed = "") => treeKey(all, current, k, shift, typed);

  it("moves up and down the rows shown, stopping at the ends", () => {
    expect(key("ns:shop", "ArrowDown")).toEqual({ focus: "table:shop.customers" });
    expect(key("table:shop.customers", "ArrowUp")).toEqual({ focus: "ns:shop" });
    expect(key("ns:empty", "ArrowDown")).toEqual({ focus: "ns:empty" });
    expect(key("ns:system", "ArrowUp")).toEqual({ focus: "ns:system" });
    expect(key("table:shop.orders", "Home")).toEqual({ focus: "ns:system" });
    expect(key("ns:system", "End")).toEqual({ focus: "ns:empty" });
    expect(treeKey(rows(["shop"]), "ns:shop", "ArrowDown", false)).toEqual({ focus: "ns:empty" });
  });

  it("expands, enters, collapses and leaves with Right and Left", () => {
    expect(treeKey(rows(["shop"]), "ns:shop", "ArrowRight", false)).toEqual({ focus: "ns:shop", expand: "shop" });
    expect(key("ns:shop", "ArrowRight")).toEqual({ focus: "table:shop.customers" });
    expect(key("ns:empty", "ArrowRight")).toEqual({ focus: "ns:empty" });
    expect(key("table:shop.orders", "ArrowRight")).toEqual({ focus: "table:shop.orders" });
    expect(key("table:shop.orders", "ArrowLeft")).toEqual({ focus: "ns:shop" });
    expect(key("ns:shop", "ArrowLeft")).toEqual({ focus: "ns:shop", collapse: "shop" });
    expect(treeKey(rows(["shop"]), "ns:shop", "ArrowLeft", false)).toEqual({ focus: "ns:shop" });
  });

  it("opens a table with Enter and toggles a namespace", () => {
    expect(key("table:shop.orders", "Enter")).toEqual({ focus: "table:shop.orders", open: "table:shop.orders" });
    expect(key("ns:shop", "Enter")).toEqual({ focus: "ns:shop", collapse: "shop" });
    expect(treeKey(rows(["shop"]), "ns:shop", "Enter", false)).toEqual({ focus: "ns:shop", expand: "shop" });
  });

  it("opens a table's menu with Shift+F10 or the menu key", () => {
    expect(key("table:shop.orders", "F10", true)).toEqual({ focus: "table:shop.orders", menu: "table:shop.orders" });
    expect(key("table:shop.orders", "F10")).toBeNull();
    expect(key("table:shop.orders", "ContextMenu")).toEqual({ focus: "table:shop.orders", menu: "table:shop.orders" });
    expect(key("ns:shop", "ContextMenu")).toBeNull();
  });

  it("jumps to the next row starting with what was typed", () => {
    expect(key("ns:system", "o", false, "o")).toEqual({ focus: "table:shop.orders" });
    expect(key("table:shop.orders", "o", false, "o")).toEqual({ focus: "table:shop.orders" });
    expect(key("ns:system", "s", false, "s")).toEqual({ focus: "ns:shop" });
    // More letters keep the row that still matches.
    expect(key("ns:shop", "h", false, "sh")).toEqual({ focus: "ns:shop" });
    expect(key("table:system.live", "t", false, "t")).toEqual({ focus: "table:system.tables" });
    expect(key("ns:shop", "z", false, "z")).toEqual({ focus: "ns:shop" });
  });

  it("starts from the first row when the focused one is gone, and ignores other keys", () => {
    expect(key("table:gone.t", "ArrowDown")).toEqual({ focus: "table:system.live" });
    expect(key("ns:shop", "Tab")).toBeNull();
    expect(treeKey([], null, "ArrowDown", false)).toBeNull();
  });
});
