import { describe, expect, it } from "vitest";

import { findMatches, indexOfMatch, matchesInRows, stepMatch, type Match } from "./find";

describe("findMatches", () => {
  it("finds cells by their grid text, ignoring case, in reading order", () => {
    const rows = [
      ["Apple", 12, null],
      ["pineapple", true, { fruit: "APPLE" }],
    ];
    expect(findMatches(rows, 40, "apple")).toEqual([
      [0, 40],
      [0, 41],
      [2, 41],
    ]);
    expect(findMatches(rows, 0, "null")).toEqual([[2, 0]]);
    expect(findMatches(rows, 0, "12")).toEqual([[1, 0]]);
  });

  it("finds nothing for an empty query", () => {
    expect(findMatches([["a"]], 0, "")).toEqual([]);
  });
});

describe("stepMatch", () => {
  const matches: Match[] = [
    [1, 2],
    [0, 5],
    [3, 5],
  ];

  it("moves to the next match after the cursor, wrapping", () => {
    expect(stepMatch(matches, null, 1)).toBe(0);
    expect(stepMatch(matches, [1, 2], 1)).toBe(1);
    expect(stepMatch(matches, [1, 5], 1)).toBe(2);
    expect(stepMatch(matches, [3, 5], 1)).toBe(0);
  });

  it("moves back, wrapping", () => {
    expect(stepMatch(matches, null, -1)).toBe(2);
    expect(stepMatch(matches, [3, 5], -1)).toBe(1);
    expect(stepMatch(matches, [0, 0], -1)).toBe(2);
  });

  it("works from a cursor that is not a match (the rows changed)", () => {
    expect(stepMatch(matches, [9, 3], 1)).toBe(1);
    expect(stepMatch(matches, [9, 3], -1)).toBe(0);
  });

  it("is -1 without matches", () => {
    expect(stepMatch([], [0, 0], 1)).toBe(-1);
  });

  it("finds a match and the matches among some rows", () => {
    expect(indexOfMatch(matches, [3, 5])).toBe(2);
    expect(indexOfMatch(matches, [3, 6])).toBe(-1);
    expect(matchesInRows(matches, 3, 6)).toEqual([
      [0, 5],
      [3, 5],
    ]);
    expect(matchesInRows(matches, 0, 2)).toEqual([]);
  });
});
