// A live pane's chart: bars over a text label, or a line over a date or time, drawn by
// Chart.js on a canvas and updated in place whenever the pane's rows change — at most
// once per bridge event (16 ms), from the pane's first CHART_ROWS rows: those the grid
// holds when it holds them all (then the batch costs one read, and the chart is drawn
// with the grid), else read for the chart. A Chart.js update lays out and draws the
// whole chart (3–4 ms on the 2-core bench VM), so rows whose points are the ones drawn
// already (a change to a column the chart does not show, rows read again after a
// scroll) draw nothing.
import { useCallback, useEffect, useRef, useState } from "react";
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartConfiguration,
  type ChartDataset,
} from "chart.js";

import { api } from "../../ipc";
import { chartColors, useDarkMode } from "../../theme";
import type { Json } from "../../json";
import { CHART_ROWS, chartData, sameChartData, type ChartColumn, type ChartData, type ChartPlan } from "./chartData";

Chart.register(BarController, BarElement, CategoryScale, LinearScale, LineController, LineElement, PointElement, Tooltip, Legend);

/** Redraws closer together than this skip the animation: a busy pane's chart follows
 * its numbers instead of forever easing towards them. */
const ANIMATE_GAP_MS = 250;

type Kind = "bar" | "line";

/** The pane's first rows (up to CHART_ROWS) as of commit `seq`, out of `total`. */
export interface ChartRows {
  seq: number;
  rows: readonly Json[][];
  total: number;
}

function config(plan: ChartPlan, columns: readonly ChartColumn[], dark: boolean): ChartConfiguration<Kind, (number | null)[], string> {
  const colors = chartColors(dark);
  const datasets = plan.series.map((column, n): ChartDataset<Kind, (number | null)[]> => {
    const color = colors.series[n % colors.series.length];
    const label = columns[column].name;
    return plan.kind === "bar"
      ? { type: "bar", label, data: [], backgroundColor: `${color}d0`, hoverBackgroundColor: color, borderRadius: 3, maxBarThickness: 56 }
      : { type: "line", label, data: [], borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 2.5 };
  });
  const font = { family: "ui-sans-serif, system-ui, sans-serif", size: 11 };
  return {
    type: plan.kind,
    data: { labels: [], datasets },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: { duration: 200 },
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { display: datasets.length > 1, align: "end", labels: { color: colors.text, font, boxWidth: 10, boxHeight: 10 } },
        tooltip: { titleFont: font, bodyFont: font },
      },
      scales: {
        x: { ticks: { color: colors.text, font, maxRotation: 0, autoSkip: true }, grid: { display: false }, border: { color: colors.grid } },
        y: {
          beginAtZero: true,
          grace: "8%",
          ticks: { color: colors.text, font, precision: plan.integers ? 0 : undefined },
          grid: { color: colors.grid },
          border: { display: false },
        },
      },
    },
  };
}

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
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<Kind, (number | null)[], string> | null>(null);
  const lastDraw = useRef(0);
  /** The points the chart shows (null: none yet, or a new chart). */
  const drawn = useRef<ChartData | null>(null);
  const loading = useRef<"idle" | "busy" | "again">("idle");
  const [shown, setShown] = useState({ points: 0, total: 0 });
  const onDrawnRef = useRef(onDrawn);
  onDrawnRef.current = onDrawn;
  const dark = useDarkMode();

  // Made anew for another plan or theme (then loaded again below).
  useEffect(() => {
    if (!canvas.current) return;
    const made = new Chart(canvas.current, config(plan, columns, dark));
    chart.current = made;
    drawn.current = null;
    return () => {
      made.destroy();
      chart.current = null;
    };
  }, [plan, columns, dark]);

  const draw = useCallback((data: ChartData) => {
    const current = chart.current;
    if (!current || (drawn.current !== null && sameChartData(drawn.current, data))) return;
    // The same dataset objects get new values, so bars grow and shrink in place.
    current.data.labels = data.labels;
    data.series.forEach((series, i) => {
      const dataset = current.data.datasets[i];
      if (dataset) dataset.data = series.values;
    });
    const now = performance.now();
    current.update(now - lastDraw.current < ANIMATE_GAP_MS ? "none" : undefined);
    lastDraw.current = now;
    drawn.current = data;
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
      <div className="pane-chart-canvas">
        <canvas ref={canvas} role="img" aria-label={`${plan.kind === "bar" ? "Bar" : "Line"} chart of ${plan.series.map((i) => columns[i].name).join(", ")} by ${columns[plan.label].name}`} />
      </div>
      {shown.total > shown.points && (
        <div className="pane-chart-note">
          the first {shown.points.toLocaleString()} of {shown.total.toLocaleString()} rows
        </div>
      )}
    </div>
  );
}
