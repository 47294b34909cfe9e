import { describe, expect, it } from "vitest";

import { copyTarget, fetchSpans, type SelectionShape } from "./selection";

const none = { length: 0, [Symbol.iterator]: [][Symbol.iterator].bind([]) };
const indexes = (list: number[]) => ({ length: list.length, [Symbol.iterator]: () => list[Symbol.iterator]() });

function selection(parts: Partial<SelectionShape>): SelectionShape {
  return { rows: none, columns: none, ...parts };
}

describe("copyTarget", () => {
  it("takes whole selected rows first", () => {
    const target = copyTarget(selection({ rows: indexes([2, 5]), current: { range: { x: 1, y: 0, width: 1, height: 1 } } }), 10, 3, 100);
    expect(target).toEqual({ rows: [2, 5], columns: [0, 1, 2], selected: 2 });
  });

  it("takes a cell range", () => {
    const target = copyTarget(selection({ current: { range: { x: 1, y: 3, width: 2, height: 2 } } }), 10, 4, 100);
    expect(target).toEqual({ rows: [3, 4], columns: [1, 2], selected: 2 });
  });

  it("takes whole selected columns", () => {
    expect(copyTarget(selection({ columns: indexes([2]) }), 3, 4, 100)).toEqual({ rows: [0, 1, 2], columns: [2], selected: 3 });
  });

  it("stops at the limit and says how many were selected", () => {
    const target = copyTarget(selection({ current: { range: { x: 0, y: 0, width: 1, height: 5_000_000 } } }), 5_000_000, 1, 3);
    expect(target).toEqual({ rows: [0, 1, 2], columns: [0], selected: 5_000_000 });
  });

  it("drops rows past the end (the pane shrank since)", () => {
    expect(copyTarget(selection({ rows: indexes([1, 8]) }), 5, 1, 100)?.rows).toEqual([1]);
  });

  it("is null without a selection", () => {
    expect(copyTarget(selection({}), 10, 3, 100)).toBeNull();
  });
});

describe("fetchSpans", () => {
  it("shares a request between rows close together", () => {
    expect(fetchSpans([1, 2, 3, 7], 10)).toEqual([{ start: 1, count: 7 }]);
  });

  it("splits long runs and far-apart rows", () => {
    expect(fetchSpans([0, 1, 2, 3, 4, 100], 3)).toEqual([
      { start: 0, count: 3 },
      { start: 3, count: 2 },
      { start: 100, count: 1 },
    ]);
  });

  it("is empty for no rows", () => {
    expect(fetchSpans([], 10)).toEqual([]);
  });
});
