import { describe, expect, it } from "vitest";

import type { ChangeMark } from "../../bindings/ChangeMark";
import type { PaneEvent } from "../../bindings/PaneEvent";
import { appendChanges, clockTime, EMPTY_FEED, keyLabel, seqLabel } from "./feedLog";

function changes(from: number, to: number, marks: ChangeMark[], count = marks.length, truncated = false): Extract<PaneEvent, { type: "changes" }> {
  return { type: "changes", pane: "p", generation: 1, from_seq: from, to_seq: to, committed_at: 1000 + from, count, total: 0, marks, truncated };
}

const insert = (id: number): ChangeMark => ({ op: "insert", key: [id], columns: [] });

describe("appendChanges", () => {
  it("puts the newest change first", () => {
    let feed = appendChanges(EMPTY_FEED, changes(1, 1, [insert(1)]));
    feed = appendChanges(feed, changes(2, 3, [{ op: "update", key: [1], columns: [2] }, { op: "delete", key: [7], columns: [] }]));
    expect(feed.entries.map((e) => [e.op, e.key, e.fromSeq, e.toSeq])).toEqual([
      ["delete", [7], 2, 3],
      ["update", [1], 2, 3],
      ["insert", [1], 1, 1],
    ]);
    expect(feed.entries[1].columns).toEqual([2]);
    expect(feed.entries[2].committedAt).toBe(1001);
    expect(new Set(feed.entries.map((e) => e.id)).size).toBe(3);
  });

  it("keeps only the latest entries", () => {
    let feed = EMPTY_FEED;
    for (let seq = 1; seq <= 10; seq++) feed = appendChanges(feed, changes(seq, seq, [insert(seq)]), 4);
    expect(feed.entries.map((e) => e.key[0])).toEqual([10, 9, 8, 7]);
    const burst = appendChanges(feed, changes(11, 11, [1, 2, 3, 4, 5, 6].map(insert)), 4);
    expect(burst.entries.map((e) => e.key[0])).toEqual([6, 5, 4, 3]);
  });

  it("notes the changes an event did not list", () => {
    const feed = appendChanges(EMPTY_FEED, changes(5, 9, [insert(1), insert(2)], 2002, true));
    expect(feed.entries.map((e) => [e.op, e.count])).toEqual([
      ["more", 2000],
      ["insert", 1],
      ["insert", 1],
    ]);
  });
});

describe("labels", () => {
  it("show the seq or seq range", () => {
    const [entry] = appendChanges(EMPTY_FEED, changes(4, 4, [insert(1)])).entries;
    expect(seqLabel(entry)).toBe("4");
    expect(seqLabel({ ...entry, toSeq: 6 })).toBe("4–6");
  });

  it("show local time with milliseconds", () => {
    expect(clockTime(new Date(2024, 1, 29, 7, 5, 3, 9).getTime())).toBe("07:05:03.009");
    expect(clockTime(new Date(2024, 1, 29, 23, 59, 59, 999).getTime())).toBe("23:59:59.999");
  });

  it("show keys as the grid shows cells", () => {
    expect(keyLabel([42])).toBe("42");
    expect(keyLabel(["alice", null])).toBe("(alice, NULL)");
  });
});
