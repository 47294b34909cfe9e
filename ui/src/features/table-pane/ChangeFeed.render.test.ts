import { createElement } from "react";
import { renderToStaticMarkup } from "react-dom/server";
import { describe, expect, it } from "vitest";

import type { PaneColumn } from "../../bindings/PaneColumn";
import { ChangeFeed } from "./ChangeFeed";
import { appendChanges, EMPTY_FEED } from "./feedLog";

const columns: PaneColumn[] = ["id", "title"].map((name) => ({ name, sql_type: "TEXT", key: name === "id", nullable: false, editable: true }));

function render(gone: Set<number>): string {
  const feed = appendChanges(EMPTY_FEED, {
    type: "changes",
    pane: "p",
    generation: 1,
    from_seq: 7,
    to_seq: 7,
    committed_at: 0,
    count: 3,
    total: 1,
    truncated: false,
    marks: [
      { op: "insert", key: ["a"], columns: [] },
      { op: "update", key: ["a"], columns: [1] },
      { op: "delete", key: ["b"], columns: [] },
    ],
  });
  const noop = () => undefined;
  return renderToStaticMarkup(createElement(ChangeFeed, { entries: feed.entries, columns, gone, onPick: noop, onClose: noop }));
}

describe("ChangeFeed", () => {
  it("lists changes newest first, with the changed columns by name", () => {
    const html = render(new Set());
    expect(html.indexOf("op delete")).toBeLessThan(html.indexOf("op update"));
    expect(html.indexOf("op update")).toBeLessThan(html.indexOf("op insert"));
    expect(html).toContain('<span class="changed"> title</span>');
  });

  it("says a deleted row is gone and cannot be shown", () => {
    const html = render(new Set());
    expect(html).toMatch(/<button class="change-entry delete" disabled=""[^>]*>.*<em> gone<\/em>/);
  });

  it("says a row looked for and not found is no longer in the pane", () => {
    const html = render(new Set([1]));
    expect(html).toMatch(/<button class="change-entry update" disabled=""[^>]*>.*no longer in the pane/);
  });
});
