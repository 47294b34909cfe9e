import { describe, expect, it } from "vitest";

import { changedCells } from "./changedCells";

describe("cells a new window changed", () => {
  const before = { start: 10, keys: [["a"], ["b"]], rows: [["a", 1, { x: 1 }], ["b", 2, null]] };

  it("are the values that differ, in grid positions", () => {
    const after = { start: 10, keys: [["a"], ["b"]], rows: [["a", 5, { x: 1 }], ["b", 2, "z"]] };
    expect(changedCells(before, after)).toEqual([
      [1, 10],
      [2, 11],
    ]);
  });

  it("are none when only the commit moved on", () => {
    expect(changedCells(before, { ...before, rows: [["a", 1, { x: 1 }], ["b", 2, null]] })).toEqual([]);
  });

  it("are the whole row where another key took its place", () => {
    const after = { start: 10, keys: [["a"], ["c"]], rows: [["a", 1, { x: 1 }], ["c", 2, null]] };
    expect(changedCells(before, after)).toEqual([
      [0, 11],
      [1, 11],
      [2, 11],
    ]);
  });

  it("are all, said as null, when the rows moved", () => {
    expect(changedCells(before, { ...before, start: 11 })).toBeNull();
    expect(changedCells(before, { start: 10, keys: [["a"]], rows: [["a", 1, null]] })).toBeNull();
  });
});
