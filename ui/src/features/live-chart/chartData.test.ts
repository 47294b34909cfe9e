import { describe, expect, it } from "vitest";

import { CHART_SERIES, chartData, chartPlan, pointText, pointValue, sameChartData, sameList, type ChartColumn } from "./chartData";

const col = (name: string, sql_type: string, key = false): ChartColumn => ({ name, sql_type, key });

describe("chartPlan", () => {
  it("bars a grouped count by its GROUP BY column", () => {
    const columns = [col("status", "TEXT", true), col("n", "BIGINT"), col("total", "DECIMAL(10,2)")];
    expect(chartPlan(columns)).toEqual({ kind: "bar", label: 0, series: [1, 2], integers: false });
    expect(chartPlan(columns.slice(0, 2))?.integers).toBe(true);
  });

  it("draws a line over a date or time bucket", () => {
    expect(chartPlan([col("n", "BIGINT"), col("hour", "TIMESTAMP", true)])).toEqual({ kind: "line", label: 1, series: [0], integers: true });
    expect(chartPlan([col("day", "DATE", true), col("avg", "DOUBLE")])?.kind).toBe("line");
  });

  it("labels by a key column before another text column", () => {
    const columns = [col("note", "TEXT"), col("region", "TEXT", true), col("n", "INT")];
    expect(chartPlan(columns)).toEqual({ kind: "bar", label: 1, series: [2], integers: true });
  });

  it("leaves numeric key columns out of the series unless every column is the key", () => {
    const table = [col("id", "BIGINT", true), col("name", "TEXT"), col("qty", "INT")];
    expect(chartPlan(table)).toEqual({ kind: "bar", label: 1, series: [2], integers: true });
    const distinct = [col("name", "TEXT", true), col("qty", "INT", true)];
    expect(chartPlan(distinct)).toEqual({ kind: "bar", label: 0, series: [1], integers: true });
  });

  it("has no chart without a label or without a number", () => {
    expect(chartPlan([col("id", "BIGINT", true), col("qty", "INT")])).toBeNull();
    expect(chartPlan([col("a", "TEXT", true), col("b", "TEXT"), col("ok", "BOOLEAN")])).toBeNull();
    expect(chartPlan([col("a", "TEXT", true), col("id", "BIGINT", true), col("doc", "JSON")])).toBeNull();
    expect(chartPlan([])).toBeNull();
  });

  it("takes at most a handful of series", () => {
    const columns = [col("g", "TEXT", true), ...Array.from({ length: 10 }, (_, i) => col(`v${i}`, "DOUBLE"))];
    expect(chartPlan(columns)?.series).toHaveLength(CHART_SERIES);
  });
});

describe("chartData", () => {
  it("keeps the pane's order for bars and reads numbers given as text", () => {
    const columns = [col("status", "TEXT", true), col("n", "BIGINT"), col("s", "DECIMAL(20,2)")];
    const plan = chartPlan(columns)!;
    const rows = [
      ["open", 3, "9007199254740993"],
      ["done", 10, 12.5],
      [null, 1, null],
    ];
    expect(chartData(plan, columns, rows)).toEqual({
      labels: ["open", "done", "NULL"],
      series: [
        { name: "n", values: [3, 10, 1] },
        { name: "s", values: [Number("9007199254740993"), 12.5, null] },
      ],
    });
  });

  it("puts a line's points in time order, a missing time last", () => {
    const columns = [col("day", "DATE", true), col("n", "BIGINT")];
    const rows = [
      ["2026-03-02", 5],
      [null, 1],
      ["2026-02-28", 7],
      ["2026-03-01", 6],
    ];
    const data = chartData(chartPlan(columns)!, columns, rows);
    expect(data.labels).toEqual(["2026-02-28", "2026-03-01", "2026-03-02", "NULL"]);
    expect(data.series[0].values).toEqual([7, 6, 5, 1]);
    expect(rows[0][0]).toBe("2026-03-02");
  });
});

describe("sameChartData", () => {
  const columns = [col("status", "TEXT", true), col("n", "BIGINT")];
  const plan = chartPlan(columns)!;
  const data = (rows: [string, number | null][]) => chartData(plan, columns, rows);

  it("is true for the same points read again, false when a label, a value or a gap moves", () => {
    const rows: [string, number | null][] = [
      ["open", 3],
      ["done", null],
    ];
    expect(sameChartData(data(rows), data(rows.map((r) => [...r])))).toBe(true);
    expect(sameChartData(data(rows), data([["open", 4], ["done", null]]))).toBe(false);
    expect(sameChartData(data(rows), data([["open", 3], ["done", 0]]))).toBe(false);
    expect(sameChartData(data(rows), data([["open", 3], ["closed", null]]))).toBe(false);
    expect(sameChartData(data(rows), data([["open", 3]]))).toBe(false);
  });
});

describe("pointValue", () => {
  it("makes gaps of what is not a number", () => {
    expect([1.5, "42", " ", "abc", null, true, [1], "Infinity"].map((v) => pointValue(v))).toEqual([1.5, 42, null, null, null, null, null, null]);
  });
});

describe("pointText", () => {
  it("shows a gap as NULL and keeps a value short", () => {
    expect(pointText(null)).toBe("NULL");
    expect(pointText(undefined)).toBe("NULL");
    expect(pointText(3)).toBe("3");
    expect(pointText(0.1 + 0.2).replace(/\D/g, "")).toBe("03");
  });
});

describe("sameList", () => {
  it("compares items in order", () => {
    expect(sameList(["a", "b"], ["a", "b"])).toBe(true);
    expect(sameList(["a", "b"], ["b", "a"])).toBe(false);
    expect(sameList([1], [1, 2])).toBe(false);
  });
});
