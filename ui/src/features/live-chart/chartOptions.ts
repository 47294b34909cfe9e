// A live chart's uPlot options: made once per plan, columns and theme; the points
// change through setData, and the axis and the tooltip read the labels from `view`,
// which the chart updates with them. The x values are the points' indexes on a linear
// scale (not uPlot's ordinal one, which lays the axes out again on every setData):
// while the count and the y range stay, a batch only rebuilds the series and redraws.
import uPlot from "./uplot";

import { chartColors } from "../../theme";
import { barSlots, indexLabels, indexSplits, INTEGER_INCRS, tickText, xRange, yRange } from "./chartAxes";
import type { ChartColumn, ChartPlan } from "./chartData";
import { tooltip } from "./chartTooltip";

/** What the options read of the points shown (mutated in place as they change). */
export interface ChartView {
  labels: readonly string[];
  /** The widest label as the x axis shows it, in CSS pixels: labels are spaced by it. */
  widest: number;
}

export const CHART_FONT_PX = 11;
const FONT = `${CHART_FONT_PX}px ui-sans-serif, system-ui, sans-serif`;
/** Space between two x labels, and between an axis and its labels, in CSS pixels. */
const LABEL_GAP = 14;
const AXIS_GAP = 6;
/** The y axis's width at least, in CSS pixels: short ticks (tickText) fit, so it keeps
 * its width — a wider one lays the chart out and sizes its canvas again. */
const Y_AXIS_PX = 44;

let measuring: CanvasRenderingContext2D | null = null;

/** The widest of `texts` in the axes' font, in CSS pixels. */
export function textWidth(texts: readonly string[]): number {
  measuring ??= document.createElement("canvas").getContext("2d");
  if (!measuring) return 0;
  measuring.font = FONT;
  let widest = 0;
  for (const text of texts) widest = Math.max(widest, measuring.measureText(text).width);
  return Math.ceil(widest);
}

/** Bars of several series side by side: series `k` of `count`, placed by barSlots. */
function groupedBars(k: number, count: number): uPlot.Series.PathBuilder {
  const slots = (u: uPlot) => barSlots(count, u.valToPos(1, "x") - u.valToPos(0, "x"));
  return uPlot.paths.bars!({
    radius: [0.06, 0],
    disp: {
      x0: {
        unit: 1,
        values: (u) => {
          const offset = slots(u).offsets[k];
          return (u.data[0] as number[]).map((x) => x + offset);
        },
      },
      size: { unit: 1, values: (u) => [slots(u).width] },
    },
  });
}

export function chartOptions(
  plan: ChartPlan,
  columns: readonly ChartColumn[],
  dark: boolean,
  view: ChartView,
  size: { width: number; height: number },
  legend: HTMLElement,
): uPlot.Options {
  const colors = chartColors(dark);
  const names = plan.series.map((i) => columns[i].name);
  const seriesColors = names.map((_, n) => colors.series[n % colors.series.length]);
  const bars = plan.kind === "bar";
  const series: uPlot.Series[] = names.map((label, k) =>
    bars
      ? { label, fill: `${seriesColors[k]}d0`, stroke: seriesColors[k], width: 0, paths: groupedBars(k, names.length), points: { show: false } }
      : { label, stroke: seriesColors[k], width: 2, points: { size: 5, width: 1, fill: seriesColors[k] } },
  );
  return {
    ...size,
    series: [{ label: columns[plan.label].name }, ...series],
    scales: {
      x: { time: false, range: (u) => xRange(u.data[0].length) },
      y: { range: (_u, min, max) => yRange(min, max, plan.integers) },
    },
    axes: [
      {
        stroke: colors.text,
        font: FONT,
        gap: AXIS_GAP,
        size: CHART_FONT_PX + 2 * AXIS_GAP + 4,
        ticks: { show: false },
        grid: { show: false },
        border: { show: true, stroke: colors.grid, width: 1 },
        space: () => view.widest + LABEL_GAP,
        incrs: INTEGER_INCRS,
        splits: (_u, _axis, min, max, incr) => indexSplits(min, max, incr),
        values: (_u, splits) => indexLabels(splits, view.labels),
      },
      {
        stroke: colors.text,
        font: FONT,
        gap: AXIS_GAP,
        size: (_u, values) => Math.max(Y_AXIS_PX, textWidth(values ?? []) + 2 * AXIS_GAP),
        values: (_u, splits) => splits.map((v) => tickText(v)),
        ticks: { show: false },
        grid: { stroke: colors.grid, width: 1 },
        border: { show: false },
        incrs: plan.integers ? INTEGER_INCRS : undefined,
      },
    ],
    padding: [8, 8, 0, 0],
    legend: { show: names.length > 1, live: false, markers: { width: 0, fill: (_u, i) => seriesColors[i - 1] }, mount: (_u, table) => legend.append(table) },
    cursor: {
      x: !bars,
      y: false,
      points: { show: !bars, size: 7 },
      drag: { x: false, y: false, setScale: false },
    },
    select: { show: false, left: 0, top: 0, width: 0, height: 0 },
    plugins: [tooltip(() => view.labels, names, seriesColors)],
  };
}
