import { describe, expect, it } from "vitest";

import { COLUMN_MAX, COLUMN_MIN, fitWidth, fitWidths, SAMPLE_ROWS, type Measure } from "./columnWidths";

/** 7 px a character, 8 in a (bold) header. */
const measure: Measure = (text, header) => text.length * (header ? 8 : 7);

describe("fitWidth", () => {
  it("fits the header with its icon when the cells are narrower", () => {
    expect(fitWidth("customer_id", ["1", "22"], measure)).toBe(11 * 8 + 44);
  });

  it("fits the widest cell", () => {
    expect(fitWidth("note", ["short", "n".repeat(30), ""], measure)).toBe(30 * 7 + 20);
  });

  it("stays between the minimum and the maximum", () => {
    expect(fitWidth("", [], measure)).toBe(COLUMN_MIN);
    expect(fitWidth("id", ["1"], measure)).toBe(COLUMN_MIN);
    expect(fitWidth("body", ["x".repeat(5000)], measure)).toBe(COLUMN_MAX);
  });

  it("measures a cell's first line only", () => {
    expect(fitWidth("t", ["abc\n" + "x".repeat(200)], measure)).toBe(COLUMN_MIN);
  });
});

describe("fitWidths", () => {
  it("fits each column to its cells as text, NULL and JSON included", () => {
    const rows = [
      [1, null, { a: 1 }],
      [2, "a longer piece of text", [1, 2, 3]],
    ];
    expect(fitWidths(["id", "body", "meta"], rows, measure)).toEqual([COLUMN_MIN, 22 * 7 + 20, Math.max(COLUMN_MIN, 4 * 8 + 44)]);
  });

  it("samples the first rows only", () => {
    const rows = [...Array.from({ length: SAMPLE_ROWS }, () => ["a"]), ["x".repeat(40)]];
    expect(fitWidths(["v"], rows, measure)).toEqual([COLUMN_MIN]);
  });
});
