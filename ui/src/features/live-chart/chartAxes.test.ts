import { describe, expect, it } from "vitest";

import { BAR_GROUP, barSlots, fitLabel, indexLabels, indexSplits, INTEGER_INCRS, LABEL_CHARS, MAX_BAR_PX, niceStep, tickText, xRange, yRange } from "./chartAxes";

describe("xRange", () => {
  it("leaves half an index either side of the points", () => {
    expect(xRange(3)).toEqual([-0.5, 2.5]);
    expect(xRange(1)).toEqual([-0.5, 0.5]);
    expect(xRange(0)).toEqual([-0.5, 0.5]);
  });
});

describe("indexSplits", () => {
  it("labels every index when they fit, every incr-th when not", () => {
    expect(indexSplits(-0.5, 3.5, 1)).toEqual([0, 1, 2, 3]);
    expect(indexSplits(-0.5, 39.5, 10)).toEqual([0, 10, 20, 30]);
    expect(indexSplits(-0.5, 0.5, 1)).toEqual([0]);
  });

  it("never splits between indexes", () => {
    expect(indexSplits(-0.5, 4.5, 0.5)).toEqual([0, 1, 2, 3, 4]);
    expect(indexSplits(0.2, 6.5, 2)).toEqual([2, 4, 6]);
  });
});

describe("indexLabels", () => {
  const labels = ["open", "done", "a label longer than the axis shows"];

  it("names each split by its point, cut to fit", () => {
    expect(indexLabels([0, 1, 2], labels)).toEqual(["open", "done", fitLabel(labels[2])]);
  });

  it("leaves splits off the points blank", () => {
    expect(indexLabels([-1, 0.5, 3, null, undefined], labels)).toEqual(["", "", "", "", ""]);
  });
});

describe("fitLabel", () => {
  it("cuts long labels and marks the cut", () => {
    expect(fitLabel("short")).toBe("short");
    const cut = fitLabel("x".repeat(40));
    expect(cut).toHaveLength(LABEL_CHARS);
    expect(cut.endsWith("…")).toBe(true);
    expect(fitLabel("x".repeat(LABEL_CHARS))).toBe("x".repeat(LABEL_CHARS));
  });
});

describe("barSlots", () => {
  it("centres one series' bar on its index", () => {
    const { width, offsets } = barSlots(1, 60);
    expect(width).toBeCloseTo(BAR_GROUP);
    expect(offsets[0]).toBeCloseTo(-BAR_GROUP / 2);
  });

  it("puts several series side by side, centred, in series order, without overlap", () => {
    const { width, offsets } = barSlots(3, 60);
    expect(offsets).toHaveLength(3);
    const middle = (offsets[0] + offsets[2] + width) / 2;
    expect(middle).toBeCloseTo(0);
    for (let k = 1; k < 3; k++) expect(offsets[k]).toBeGreaterThan(offsets[k - 1] + width);
    expect(offsets[2] + width - offsets[0]).toBeLessThanOrEqual(BAR_GROUP);
  });

  it("keeps bars no wider than MAX_BAR_PX on a wide plot", () => {
    const unitPx = 600;
    const { width, offsets } = barSlots(2, unitPx);
    expect(width * unitPx).toBeLessThanOrEqual(MAX_BAR_PX);
    expect((offsets[0] + offsets[1] + width) / 2).toBeCloseTo(0);
  });
});

describe("yRange", () => {
  it("starts from zero and ends on a round step past the data, with headroom", () => {
    expect(yRange(3, 10, false)).toEqual([0, 12]);
    expect(yRange(3, 10, true)).toEqual([0, 12]);
    expect(yRange(0, 50_100, true)).toEqual([0, 60_000]);
    expect(yRange(0, 0.37, false)[1]).toBeCloseTo(0.4);
  });

  it("keeps its range while values creep up within a step", () => {
    const ranges = new Set([50_100, 50_900, 52_000, 54_000].map((max) => yRange(0, max, true).join()));
    expect(ranges.size).toBe(1);
  });

  it("reaches below zero for negative values, with room there too", () => {
    expect(yRange(-5, 5, false)).toEqual([-6, 6]);
    expect(yRange(-4, -2, true)).toEqual([-5, 0]);
  });

  it("has a range without data or when every value is zero", () => {
    expect(yRange(null, null, true)).toEqual([0, 1]);
    expect(yRange(0, 0, false)).toEqual([0, 1]);
    expect(yRange(Infinity, -Infinity, false)).toEqual([0, 1]);
  });
});

describe("niceStep", () => {
  it("rounds up to 1, 2, 2.5 or 5 times a power of ten", () => {
    expect([0.3, 1, 1.2, 2.2, 3, 7, 10_020].map((x) => niceStep(x, false))).toEqual([0.5, 1, 2, 2.5, 5, 10, 20_000]);
  });

  it("steps in whole numbers for integers", () => {
    expect([0.3, 1.2, 2.2, 22].map((x) => niceStep(x, true))).toEqual([1, 2, 5, 25]);
  });
});

describe("INTEGER_INCRS", () => {
  it("steps in whole numbers only, growing", () => {
    expect(INTEGER_INCRS.slice(0, 6)).toEqual([1, 2, 5, 10, 20, 50]);
    expect(INTEGER_INCRS.every((n, i) => Number.isInteger(n) && (i === 0 || n > INTEGER_INCRS[i - 1]))).toBe(true);
  });
});

describe("tickText", () => {
  it("writes ticks short, exactly", () => {
    expect([0, 5, 250, 1_000, 1_250, 12_500, 60_000, 2_500_000, 0.125, -1_500].map((v) => tickText(v, "en"))).toEqual([
      "0", "5", "250", "1K", "1.25K", "12.5K", "60K", "2.5M", "0.125", "-1.5K",
    ]);
  });
});
