import { describe, expect, it } from "vitest";

import type { PaneInfo } from "../../bindings/PaneInfo";
import {
  activate,
  activeTab,
  addTab,
  closeTab,
  cycle,
  emptyLayout,
  moveTab,
  moveToOtherSide,
  paneFilter,
  parseSaved,
  toSaved,
  type Layout,
  type Tab,
} from "./workspace";

const tab = (id: string, kind: Tab["kind"] = "console"): Tab => ({ id, kind, title: id });
const info = (sql: string, user: string | null = null): PaneInfo => ({
  pane: "p",
  generation: 1,
  sql,
  table: "app.t",
  user,
  columns: [],
  key: [],
  maintenance: "incremental",
  order_by: [],
});

function three(): Layout {
  return [tab("a"), tab("b"), tab("c")].reduce((l, t) => addTab(l, t), emptyLayout());
}

describe("tabs", () => {
  it("adds to the focused group and activates", () => {
    const l = three();
    expect(l.groups[0].tabs.map((t) => t.id)).toEqual(["a", "b", "c"]);
    expect(activeTab(l)?.id).toBe("c");
  });

  it("closing the active tab activates its neighbour", () => {
    let l = activate(three(), "b");
    l = closeTab(l, "b");
    expect(activeTab(l)?.id).toBe("c");
    l = closeTab(l, "c");
    expect(activeTab(l)?.id).toBe("a");
    l = closeTab(l, "a");
    expect(l.groups).toEqual([{ tabs: [], active: null }]);
  });

  it("splits, moves back, and drops an emptied side", () => {
    let l = moveToOtherSide(three(), "b");
    expect(l.groups.map((g) => g.tabs.map((t) => t.id))).toEqual([["a", "c"], ["b"]]);
    expect(l.focus).toBe(1);
    expect(activeTab(l)?.id).toBe("b");
    l = addTab(l, tab("d"));
    expect(l.groups[1].tabs.map((t) => t.id)).toEqual(["b", "d"]);
    l = moveToOtherSide(l, "b");
    expect(l.groups.map((g) => g.tabs.map((t) => t.id))).toEqual([["a", "c", "b"], ["d"]]);
    l = closeTab(l, "d");
    expect(l.groups.length).toBe(1);
    expect(l.focus).toBe(0);
  });

  it("moving the only tab of a side merges the sides instead of swapping them", () => {
    const split = moveToOtherSide(three(), "a");
    expect(split.groups.map((g) => g.tabs.map((t) => t.id))).toEqual([["b", "c"], ["a"]]);
    const merged = moveTab(moveTab(split, "b", 1), "c", 1);
    expect(merged.groups.map((g) => g.tabs.map((t) => t.id))).toEqual([["a", "b", "c"]]);
    expect(merged.focus).toBe(0);
  });

  it("never leaves an empty left side when the only tab moves right", () => {
    const one = addTab(emptyLayout(), tab("a"));
    expect(moveTab(one, "a", 1)).toBe(one);
  });

  it("does not split away the only tab", () => {
    const one = addTab(emptyLayout(), tab("a"));
    expect(moveToOtherSide(one, "a")).toBe(one);
  });

  it("cycles within the focused group, wrapping", () => {
    let l = activate(three(), "c");
    l = cycle(l, 1);
    expect(activeTab(l)?.id).toBe("a");
    l = cycle(l, -1);
    expect(activeTab(l)?.id).toBe("c");
  });
});

describe("saved workspaces", () => {
  it("reads a pane's filter back from its query", () => {
    expect(paneFilter(info('SELECT * FROM "app"."t" WHERE id > 1 AND name = \'x\''))).toBe("id > 1 AND name = 'x'");
    expect(paneFilter(info('SELECT * FROM "a""b"."t"'))).toBeNull();
    expect(paneFilter(info("SELECT id FROM app.t WHERE x"))).toBeNull();
  });

  it("keeps consoles and table panes with filter and user, not ad-hoc live results", () => {
    let l = emptyLayout();
    l = addTab(l, tab("c1"));
    l = addTab(l, { ...tab("p1", "pane"), title: "app.t", table: "app.t", info: info('SELECT * FROM "app"."t" WHERE n > 2', "alice") });
    l = addTab(l, { ...tab("l1", "live"), info: info("SELECT id FROM app.t") });
    l = moveToOtherSide(l, "p1");
    const saved = toSaved(l);
    expect(saved).toEqual({
      version: 1,
      groups: [
        { tabs: [{ kind: "console", title: "c1", draft: "" }], active: 0 },
        { tabs: [{ kind: "pane", title: "app.t", table: "app.t", filter: "n > 2", user: "alice" }], active: 0 },
      ],
      focus: 1,
    });
    expect(parseSaved(JSON.parse(JSON.stringify(saved)))).toEqual(saved);
  });

  it("keeps each console's text: what it holds now, else what it opened with", () => {
    let l = emptyLayout();
    l = addTab(l, { ...tab("c1"), draft: "SELECT 1;" });
    l = addTab(l, { ...tab("c2"), draft: "SELECT 2;" });
    l = addTab(l, tab("c3"));
    const saved = toSaved(l, new Map([["c2", "SELECT * FROM shop.orders;"]]));
    expect(saved.groups[0].tabs.map((t) => t.draft)).toEqual(["SELECT 1;", "SELECT * FROM shop.orders;", ""]);
    expect(parseSaved(JSON.parse(JSON.stringify(saved)))).toEqual(saved);
    const odd = parseSaved({ version: 1, groups: [{ tabs: [{ kind: "console", title: "c", draft: 7 }], active: 0 }], focus: 0 });
    expect(odd?.groups[0].tabs[0].draft).toBeUndefined();
  });

  it("refuses what is not a saved workspace", () => {
    for (const bad of [null, 3, [], { version: 2, groups: [] }, { version: 1, groups: [] }, { version: 1, groups: [{ tabs: [{ kind: "nope", title: "x" }] }] }]) {
      expect(parseSaved(bad)).toBeNull();
    }
    const clamped = parseSaved({ version: 1, groups: [{ tabs: [{ kind: "console", title: "c" }], active: 9 }], focus: 5 });
    expect(clamped).toEqual({ version: 1, groups: [{ tabs: [{ kind: "console", title: "c" }], active: 0 }], focus: 0 });
  });
});
