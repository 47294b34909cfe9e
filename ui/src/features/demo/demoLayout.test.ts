import { describe, expect, it } from "vitest";

import { activeTab, toSaved, type Tab } from "../workspace/workspace";
import { DEMO_CONSOLE, DEMO_ORDERS, demoLayout } from "./demoLayout";

const start: Tab = { id: "start-1", kind: "start", title: "Start" };
const orders: Tab = { id: "pane-1", kind: "pane", title: DEMO_ORDERS, table: DEMO_ORDERS, feed: true };
const console_: Tab = { id: "console-1", kind: "console", title: "Console", draft: DEMO_CONSOLE };

describe("demoLayout", () => {
  it("shows the orders pane, with the start page and the example console beside it", () => {
    const layout = demoLayout(start, orders, console_);
    expect(layout.groups.map((g) => g.tabs.map((t) => t.id))).toEqual([["start-1", "console-1", "pane-1"]]);
    expect(activeTab(layout)?.id).toBe("pane-1");
    // Saved like any layout: the console keeps the examples.
    expect(toSaved(layout).groups[0].tabs[1].draft).toBe(DEMO_CONSOLE);
  });

  it("shows the console when the pane could not open", () => {
    const layout = demoLayout(start, null, console_);
    expect(layout.groups.map((g) => g.tabs.map((t) => t.id))).toEqual([["start-1", "console-1"]]);
    expect(activeTab(layout)?.id).toBe("console-1");
  });

  it("offers a live aggregate, a chartable time series and a USER table among the examples", () => {
    expect(DEMO_CONSOLE).toMatch(/SUBSCRIBE TO SELECT status, count\(\*\) AS orders FROM shop\.orders GROUP BY status;/);
    expect(DEMO_CONSOLE).toMatch(/date_bin\(INTERVAL '10 seconds', at\)/);
    expect(DEMO_CONSOLE).toMatch(/FROM shop\.customers/);
  });
});
