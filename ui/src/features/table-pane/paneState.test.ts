import { describe, expect, it } from "vitest";

import type { ChangeMark } from "../../bindings/ChangeMark";
import type { PaneEvent } from "../../bindings/PaneEvent";
import { keyString } from "../../json";
import { applyEvent, changesPerSecond, expireFlashes, flashOf, initialLive, notLive, setPaused, touchesShown, FLASH_MS } from "./paneState";

const pane = "pane-1";

function snapshot(seq: number, total: number, loading = false, generation = 1): PaneEvent {
  return { type: "snapshot", pane, generation, seq, total, loading };
}

function changes(from_seq: number, to_seq: number, marks: ChangeMark[], total = 1, generation = 1): PaneEvent {
  return { type: "changes", pane, generation, from_seq, to_seq, committed_at: 1000, count: marks.length, total, marks, truncated: false };
}

describe("applying batches", () => {
  it("marks the rows not live while the server connection is away, and live again when it is back", () => {
    let [state] = applyEvent(initialLive(1), snapshot(10, 2), 0);
    let effect;
    [state, effect] = applyEvent(
      state,
      { type: "link", pane, generation: 1, reconnecting: true, seq: 10, message: "the server closed the connection; trying again in 0.5 s" },
      0,
    );
    expect(effect).toBe("none");
    expect(state.reconnecting).toMatch(/trying again/);
    expect(notLive(state)).toBe("reconnecting… the server closed the connection; trying again in 0.5 s");
    expect(state.seq).toBe(10);
    // Caught up: the changes follow on from the seq it had.
    [state] = applyEvent(state, { type: "link", pane, generation: 1, reconnecting: false, seq: 10, message: "connected again" }, 0);
    expect(state.reconnecting).toBeNull();
    expect(notLive(state)).toBeNull();
    [state, effect] = applyEvent(state, changes(11, 11, [{ op: "insert", key: [3], columns: [] }], 3), 0);
    expect(effect).toBe("refetch");
    expect(state.seq).toBe(11);
  });

  it("is not live once closed, whether or not it was reconnecting", () => {
    let [state] = applyEvent(initialLive(1), snapshot(10, 2), 0);
    [state] = applyEvent(state, { type: "link", pane, generation: 1, reconnecting: true, seq: 10, message: "trying again" }, 0);
    [state] = applyEvent(state, { type: "closed", pane, generation: 1, reason: "the server refused the token" }, 0);
    expect(notLive(state)).toBe("closed: the server refused the token");
  });

  it("applies a snapshot and then batches that follow on", () => {
    let [state, effect] = applyEvent(initialLive(1), snapshot(10, 2), 0);
    expect(effect).toBe("refetch");
    expect(state.seq).toBe(10);
    expect(state.total).toBe(2);
    [state, effect] = applyEvent(state, changes(11, 12, [{ op: "insert", key: [3], columns: [] }], 3), 0);
    expect(effect).toBe("refetch");
    expect(state.seq).toBe(12);
    expect(state.total).toBe(3);
    expect(state.lastCommittedAt).toBe(1000);
    expect(state.version).toBe(2);
  });

  it("ignores events of a replaced subscription and starts over on a newer one", () => {
    let [state] = applyEvent(initialLive(2), snapshot(5, 1, false, 2), 0);
    const [same, effect] = applyEvent(state, changes(3, 3, [], 1, 1), 0);
    expect(same).toBe(state);
    expect(effect).toBe("none");
    [state] = applyEvent(state, snapshot(20, 7, true, 3), 0);
    expect(state.generation).toBe(3);
    expect(state.seq).toBe(20);
    expect(state.loading).toBe(true);
  });
});

describe("gaps and resync", () => {
  it("asks to resubscribe when a batch does not follow the last seq", () => {
    const [state] = applyEvent(initialLive(1), snapshot(10, 0), 0);
    const [after, effect] = applyEvent(state, changes(13, 14, []), 0);
    expect(effect).toBe("resubscribe");
    expect(after.error).toContain("missed seq 11..12");
    expect(after.seq).toBe(10);
  });

  it("asks to resubscribe when changes come before any snapshot", () => {
    const [, effect] = applyEvent(initialLive(1), changes(1, 1, []), 0);
    expect(effect).toBe("resubscribe");
  });

  it("asks to resubscribe on resync", () => {
    const [state] = applyEvent(initialLive(1), snapshot(10, 0), 0);
    const [, effect] = applyEvent(state, { type: "resync", pane, generation: 1, missed_from_seq: 11 }, 0);
    expect(effect).toBe("resubscribe");
  });
});

describe("flash marks", () => {
  it("marks changed cells and new rows for about a second", () => {
    let [state] = applyEvent(initialLive(1), snapshot(1, 1), 0);
    [state] = applyEvent(
      state,
      changes(2, 2, [
        { op: "update", key: [1], columns: [2] },
        { op: "insert", key: [2], columns: [] },
      ]),
      100,
    );
    expect(flashOf(state, keyString([1]), 2, 200)).toBe("cell");
    expect(flashOf(state, keyString([1]), 1, 200)).toBeNull();
    expect(flashOf(state, keyString([2]), null, 200)).toBe("row");
    // A second update of another column of the same row adds to the mark.
    [state] = applyEvent(state, changes(3, 3, [{ op: "update", key: [1], columns: [1] }]), 300);
    expect(flashOf(state, keyString([1]), 1, 400)).toBe("cell");
    expect(flashOf(state, keyString([1]), 2, 400)).toBe("cell");
    // Expiry drops marks and bumps the version so the grid redraws.
    const [expired, keys] = expireFlashes(state, 300 + FLASH_MS + 1);
    expect(keys.sort()).toEqual([keyString([1]), keyString([2])]);
    expect(expired.flashes.size).toBe(0);
    expect(expired.version).toBe(state.version + 1);
    expect(expireFlashes(expired, 99_999)).toEqual([expired, []]);
    expect(expireFlashes(expired, 99_999)[0]).toBe(expired);
  });

  it("drops the mark of a deleted row", () => {
    let [state] = applyEvent(initialLive(1), snapshot(1, 0), 0);
    [state] = applyEvent(state, changes(2, 2, [{ op: "insert", key: ["a"], columns: [] }]), 0);
    [state] = applyEvent(state, changes(3, 3, [{ op: "delete", key: ["a"], columns: [] }], 0), 0);
    expect(state.flashes.size).toBe(0);
    expect(state.total).toBe(0);
  });
});

describe("pause", () => {
  it("counts the changes waiting while paused and clears them on resume", () => {
    let [state] = applyEvent(initialLive(1), snapshot(1, 0), 0);
    state = setPaused(state, true);
    [state] = applyEvent(state, { type: "paused", pane, generation: 1, waiting: 42 }, 0);
    expect(state.paused).toBe(true);
    expect(state.waiting).toBe(42);
    state = setPaused(state, false);
    expect(state.waiting).toBe(0);
    // The held batches arrive after resume and follow on.
    const [after, effect] = applyEvent(state, changes(2, 5, [{ op: "insert", key: [1], columns: [] }]), 0);
    expect(effect).toBe("refetch");
    expect(after.seq).toBe(5);
  });
});

describe("rate meter", () => {
  it("reports changes per second over the last second", () => {
    let [state] = applyEvent(initialLive(1), snapshot(0, 0), 0);
    const marks = (n: number) => Array.from({ length: n }, (_, i) => ({ op: "insert" as const, key: [i], columns: [] }));
    [state] = applyEvent(state, changes(1, 1, marks(30)), 100);
    [state] = applyEvent(state, changes(2, 2, marks(20)), 600);
    expect(changesPerSecond(state, 700)).toBe(50);
    expect(changesPerSecond(state, 1500)).toBe(20);
    expect(changesPerSecond(state, 5000)).toBe(0);
  });
});

describe("which batches need the rows again", () => {
  const shown = { start: 10, keys: [[10], [11], [12]], total: 100 };
  const mark = (op: ChangeMark["op"], key: number | string): ChangeMark => ({ op, key: [key], columns: [] });

  it("needs them for changes among the held rows", () => {
    expect(touchesShown([mark("update", 11)], false, shown)).toBe(true);
    expect(touchesShown([mark("delete", 12)], false, shown)).toBe(true);
  });

  it("needs them for inserts and deletes above, which shift positions, but not for updates there", () => {
    expect(touchesShown([mark("insert", 3)], false, shown)).toBe(true);
    expect(touchesShown([mark("delete", 3)], false, shown)).toBe(true);
    expect(touchesShown([mark("update", 3)], false, shown)).toBe(false);
  });

  it("does not need them for changes below, unless the held rows reach the end", () => {
    expect(touchesShown([mark("insert", 50), mark("update", 60)], false, shown)).toBe(false);
    expect(touchesShown([mark("insert", 50)], false, { ...shown, total: 13 })).toBe(true);
    expect(touchesShown([mark("update", 50)], false, { ...shown, total: 13 })).toBe(false);
  });

  it("always needs them when marks were truncated or nothing is held", () => {
    expect(touchesShown([], true, shown)).toBe(true);
    expect(touchesShown([mark("update", 50)], false, { start: 0, keys: [], total: 0 })).toBe(true);
  });

  it("orders keys like the engine, big integers included", () => {
    expect(touchesShown([mark("update", "9007199254740993")], false, { start: 0, keys: [["9007199254740992"], ["9007199254740995"]], total: 9 })).toBe(true);
    expect(touchesShown([mark("update", "10000000000000000000")], false, { start: 0, keys: [["9007199254740992"], ["9007199254740995"]], total: 9 })).toBe(false);
  });
});
