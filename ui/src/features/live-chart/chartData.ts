// What a live pane's chart draws, as pure functions over the pane's columns and rows:
// which column labels the points (text, or a date/time for a line), which numeric
// columns are the series, and the points themselves.
import { cellText, type Json } from "../../json";

/** The columns a chart is planned from (a PaneColumn has these). */
export interface ChartColumn {
  name: string;
  sql_type: string;
  key: boolean;
}

export type ChartKind = "bar" | "line";

/** Which columns make the chart: indexes into the pane's columns. */
export interface ChartPlan {
  kind: ChartKind;
  label: number;
  series: number[];
  /** Every series is of an integer type (counts): the axis has no fractions. */
  integers: boolean;
}

export interface ChartData {
  labels: string[];
  series: { name: string; values: (number | null)[] }[];
}

/** Rows a chart shows at most: past this it is no longer read as bars or a line. */
export const CHART_ROWS = 500;
/** Series a chart shows at most. */
export const CHART_SERIES = 6;

const NUMERIC = /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT|DOUBLE|FLOAT|REAL|DECIMAL|NUMERIC)\b/i;
const INTEGER = /^(TINYINT|SMALLINT|INT|INTEGER|BIGINT)$/i;
const TIME = /^(DATE|TIMESTAMP)/i;
const TEXT = /^(TEXT|VARCHAR|STRING|UTF8)/i;

const isNumeric = (sqlType: string) => NUMERIC.test(sqlType);
const isTime = (sqlType: string) => TIME.test(sqlType);
const isLabel = (sqlType: string) => isTime(sqlType) || TEXT.test(sqlType);

/**
 * The chart of a result, or null when it has none: a label column (a key column
 * first, e.g. the GROUP BY; a date or time makes a line, text makes bars) and at
 * least one numeric column that is not part of the key (all numeric columns when
 * the key names every column, as for DISTINCT or a re-evaluated result).
 */
export function chartPlan(columns: readonly ChartColumn[]): ChartPlan | null {
  const labels = columns.map((c, i) => ({ c, i })).filter(({ c }) => isLabel(c.sql_type));
  const label = (labels.find(({ c }) => c.key) ?? labels[0])?.i;
  if (label === undefined) return null;
  const allKey = columns.every((c) => c.key);
  const series = columns
    .map((c, i) => ({ c, i }))
    .filter(({ c, i }) => i !== label && isNumeric(c.sql_type) && (allKey || !c.key))
    .map(({ i }) => i)
    .slice(0, CHART_SERIES);
  if (series.length === 0) return null;
  return {
    kind: isTime(columns[label].sql_type) ? "line" : "bar",
    label,
    series,
    integers: series.every((i) => INTEGER.test(columns[i].sql_type)),
  };
}

/** A cell as a point's value: numbers as they are, big integers and decimals given as
 * text parsed, anything else a gap. */
export function pointValue(value: Json): number | null {
  if (typeof value === "number") return Number.isFinite(value) ? value : null;
  if (typeof value === "string" && value.trim() !== "") {
    const n = Number(value);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** A point's value as the chart's tooltip reads it: a gap is NULL. */
export function pointText(value: number | null | undefined): string {
  return value === null || value === undefined ? "NULL" : value.toLocaleString(undefined, { maximumFractionDigits: 6 });
}

/** The points of `rows`: in the pane's order for bars, in time order for a line. */
export function chartData(plan: ChartPlan, columns: readonly ChartColumn[], rows: readonly Json[][]): ChartData {
  let shown = rows;
  if (plan.kind === "line") {
    // ISO dates and timestamps sort as text; NULL (no time) goes last.
    const at = (row: readonly Json[]) => {
      const v = row[plan.label];
      return typeof v === "string" ? v : null;
    };
    shown = [...rows].sort((a, b) => {
      const x = at(a);
      const y = at(b);
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return x < y ? -1 : 1;
    });
  }
  return {
    labels: shown.map((row) => cellText(row[plan.label])),
    series: plan.series.map((i) => ({ name: columns[i].name, values: shown.map((row) => pointValue(row[i])) })),
  };
}

/** Whether two charts' points are the same: then drawing the second changes nothing. */
export function sameChartData(a: ChartData, b: ChartData): boolean {
  return (
    sameList(a.labels, b.labels) &&
    a.series.length === b.series.length &&
    a.series.every((s, i) => s.name === b.series[i].name && sameList(s.values, b.series[i].values))
  );
}

/** Whether two lists hold the same items in the same order. */
export function sameList<T>(x: readonly T[], y: readonly T[]): boolean {
  return x.length === y.length && x.every((v, i) => v === y[i]);
}
