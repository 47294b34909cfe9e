// A live pane's chart: bars over a text label, or a line over a date or time, drawn by
// uPlot on a canvas and updated in place (setData) whenever the pane's rows change — at
// most once per bridge event (16 ms), from the pane's first CHART_ROWS rows: those the
// grid holds when it holds them all (then the batch costs one read, and the chart is
// drawn with the grid), else read for the chart. uPlot redraws a few hundred points
// well under a millisecond, drawn at once (its batch) so the commit counts as painted
// in the frame that shows it; rows whose points are the ones drawn already (a change
// to a column the chart does not show, rows read again after a scroll) draw nothing.
// The chart is made anew only for another plan, other columns or another theme.
import { useCallback, useEffect, useRef, useState } from "react";
import uPlot from "./uplot";
import "uplot/dist/uPlot.min.css";

import { api } from "../../ipc";
import { useDarkMode } from "../../theme";
import type { Json } from "../../json";
import { noteChartDraw } from "../table-pane/perf";
import { fitLabel } from "./chartAxes";
import { CHART_ROWS, chartData, sameChartData, sameList, type ChartColumn, type ChartData, type ChartPlan } from "./chartData";
import { chartOptions, textWidth, type ChartView } from "./chartOptions";

/** The pane's first rows (up to CHART_ROWS) as of commit `seq`, out of `total`. */
export interface ChartRows {
  seq: number;
  rows: readonly Json[][];
  total: number;
}

const sizeOf = (box: HTMLElement) => ({ width: box.clientWidth, height: box.clientHeight });

export function LiveChart({
  pane,
  columns,
  plan,
  seq,
  total,
  held,
  onDrawn,
}: {
  pane: string;
  columns: readonly ChartColumn[];
  plan: ChartPlan;
  /** The pane's commit and row count: when either moves, the chart reads the rows again. */
  seq: number | null;
  total: number;
  /** The rows to draw when the pane has them at hand; null: the chart reads them. */
  held: ChartRows | null;
  /** Told the commit the chart has just drawn. */
  onDrawn?: (seq: number) => void;
}) {
  const box = useRef<HTMLDivElement>(null);
  const legend = useRef<HTMLDivElement>(null);
  const chart = useRef<uPlot | null>(null);
  const view = useRef<ChartView>({ labels: [], widest: 0 });
  /** The points the chart shows (null: none yet, or a new chart). */
  const drawn = useRef<ChartData | null>(null);
  const loading = useRef<"idle" | "busy" | "again">("idle");
  const [shown, setShown] = useState({ points: 0, total: 0 });
  const onDrawnRef = useRef(onDrawn);
  onDrawnRef.current = onDrawn;
  const dark = useDarkMode();

  // Made anew for another plan or theme (then loaded again below); sized with the pane.
  useEffect(() => {
    const into = box.current;
    const legendInto = legend.current;
    if (!into || !legendInto) return;
    const made = new uPlot(chartOptions(plan, columns, dark, view.current, sizeOf(into), legendInto), undefined, into);
    chart.current = made;
    drawn.current = null;
    const resized = new ResizeObserver(() => {
      const { width, height } = sizeOf(into);
      if (width !== made.width || height !== made.height) made.setSize({ width, height });
    });
    resized.observe(into);
    return () => {
      resized.disconnect();
      made.destroy();
      chart.current = null;
    };
  }, [plan, columns, dark]);

  const draw = useCallback((data: ChartData) => {
    const current = chart.current;
    if (!current || (drawn.current !== null && sameChartData(drawn.current, data))) return;
    const start = performance.now();
    const relabel = !sameList(view.current.labels, data.labels);
    if (relabel) {
      view.current.labels = data.labels;
      view.current.widest = textWidth(data.labels.map((label) => fitLabel(label)));
    }
    const indexes = data.labels.map((_, i) => i);
    current.batch(() => {
      current.setData([indexes, ...data.series.map((s) => s.values)]);
      // New labels on the same indexes: the x axis is laid out again only when asked.
      if (relabel) current.redraw(false, true);
    });
    drawn.current = data;
    noteChartDraw(performance.now() - start);
  }, []);

  const show = useCallback(
    ({ seq, rows, total }: ChartRows) => {
      draw(chartData(plan, columns, rows));
      onDrawnRef.current?.(seq);
      setShown((s) => (s.points === rows.length && s.total === total ? s : { points: rows.length, total }));
    },
    [plan, columns, draw],
  );

  const load = useCallback(async () => {
    if (loading.current !== "idle") {
      loading.current = "again";
      return;
    }
    // Asked again while reading (set by a call meanwhile): read once more.
    const again = () => loading.current === "again";
    try {
      do {
        loading.current = "busy";
        const { seq, rows, total } = await api.paneRows(pane, 0, CHART_ROWS, null);
        show({ seq, rows, total });
      } while (again());
    } catch {
      // The pane is closing or was replaced; its next event will tell.
    } finally {
      loading.current = "idle";
    }
  }, [pane, show]);

  useEffect(() => {
    if (held) show(held);
  }, [held, show, dark]);
  useEffect(() => {
    if (!held) void load();
  }, [held, load, seq, total, dark]);

  return (
    <div className="pane-chart" data-kind={plan.kind} data-points={shown.points}>
      <div className="pane-chart-legend" ref={legend} />
      <div
        className="pane-chart-canvas"
        ref={box}
        role="img"
        aria-label={`${plan.kind === "bar" ? "Bar" : "Line"} chart of ${plan.series.map((i) => columns[i].name).join(", ")} by ${columns[plan.label].name}`}
      />
      {shown.total > shown.points && (
        <div className="pane-chart-note">
          the first {shown.points.toLocaleString()} of {shown.total.toLocaleString()} rows
        </div>
      )}
    </div>
  );
}
