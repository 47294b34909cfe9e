// Frame rate and commit-to-paint latency of live panes, measured inside the webview
// for the throughput benchmark (scripts/bench-ui drives `window.__tidepoolPerf`).
// A batch counts as painted at the first animation frame after every surface that
// shows it has it: the grid a row window at or past the batch's last commit (or, for a
// batch that changed no row the grid holds, its live state), and an open chart points
// read at or past it. Its latency runs from its oldest commit, so it is never
// understated. Frames are counted as a 60 Hz display shows them: animation frames,
// at most one per refresh interval (without GPU compositing WebKitGTK runs animation
// frames whenever the page changes, more often than any display refreshes). It also
// keeps how long each chart draw took. Idle unless started.

/** What a pane paints: its grid's rows, its live state (count, status), its chart. */
export type Surface = "rows" | "live" | "chart";

interface Pending {
  toSeq: number;
  committedAt: number;
  count: number;
  /** The batch changed rows the grid holds: painted when they have been fetched. */
  needsRows: boolean;
  /** A chart was open: painted when it has drawn the batch too. */
  needsChart: boolean;
}

/** A display refresh: frames in the same one count once. */
const REFRESH_MS = 1000 / 60;

export interface PerfResult {
  seconds: number;
  fps: number;
  /** Animation-frame callbacks per second, however close together. */
  callbacks: number;
  events: number;
  delivered: number;
  p50: number | null;
  p99: number | null;
  /** p99 of the batches painted in the second half of the run (warmed up). */
  p99Late: number | null;
  max: number | null;
  /** Chart draws (setData and the redraw), their mean, p50 and p99 in ms. The page's
   * clock ticks in whole milliseconds here: the mean of many draws is the finer number. */
  chartDraws: number;
  chartDrawMean: number | null;
  chartDrawP50: number | null;
  chartDrawP99: number | null;
}

let running = false;
let startedAt = 0;
let frames = 0;
let callbacks = 0;
/** The refresh interval of the last frame counted. */
let lastRefresh = -1;
/** Bumped by every start, so a loop of an earlier measurement counts nothing. */
let run = 0;
let events = 0;
let delivered = 0;
let latencies: number[] = [];
/** When each latency was taken (performance.now()). */
let paintedAt: number[] = [];
let pending: Pending[] = [];
/** The newest commit each surface has shown. */
let shown: Record<Surface, number> = { rows: -1, live: -1, chart: -1 };
/** Charts open now (counted whether or not measuring). */
let charts = 0;
/** How long each chart draw took, in ms. */
let chartDraws: number[] = [];

function countFrames(mine: number) {
  const frame = (time: number) => {
    if (!running || mine !== run) return;
    callbacks += 1;
    const refresh = Math.floor((time - startedAt) / REFRESH_MS);
    if (refresh > lastRefresh) {
      frames += 1;
      lastRefresh = refresh;
    }
    requestAnimationFrame(frame);
  };
  requestAnimationFrame(frame);
}

export function noteBatch(toSeq: number, committedAt: number, count: number, needsRows: boolean): void {
  if (!running) return;
  events += 1;
  pending.push({ toSeq, committedAt, count, needsRows, needsChart: charts > 0 });
}

/** A chart opened (or closed): batches from now on wait for it too. */
export function noteChart(open: boolean): void {
  charts += open ? 1 : -1;
}

/** A chart drew new points, taking `ms`. */
export function noteChartDraw(ms: number): void {
  if (running) chartDraws.push(ms);
}

/**
 * A surface rendered state up to `seq`: the grid fetched rows (`rows`), the pane its
 * live state — row count and status — which is all a batch that changed no held row
 * shows (`live`), or a chart its points (`chart`).
 */
export function notePainted(seq: number, from: Surface): void {
  if (!running) return;
  shown[from] = Math.max(shown[from], seq);
  if (pending.length === 0) return;
  requestAnimationFrame(() => {
    const now = Date.now();
    pending = pending.filter((batch) => {
      const grid = shown.rows >= batch.toSeq || (!batch.needsRows && shown.live >= batch.toSeq);
      const chart = !batch.needsChart || shown.chart >= batch.toSeq;
      if (!grid || !chart) return true;
      latencies.push(now - batch.committedAt);
      paintedAt.push(performance.now());
      delivered += batch.count;
      return false;
    });
  });
}

function quantile(sorted: number[], q: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export const perf = {
  start(): void {
    running = true;
    startedAt = performance.now();
    frames = callbacks = events = delivered = 0;
    lastRefresh = -1;
    latencies = [];
    paintedAt = [];
    pending = [];
    chartDraws = [];
    shown = { rows: -1, live: -1, chart: -1 };
    countFrames(++run);
  },
  /** The numbers so far; measuring goes on. */
  peek(): PerfResult {
    const seconds = (performance.now() - startedAt) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    const half = startedAt + (performance.now() - startedAt) / 2;
    const late = latencies.filter((_, i) => paintedAt[i] >= half).sort((a, b) => a - b);
    const draws = [...chartDraws].sort((a, b) => a - b);
    return {
      seconds,
      fps: frames / seconds,
      callbacks: callbacks / seconds,
      events,
      delivered,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      p99Late: quantile(late, 0.99),
      max: sorted.length ? sorted[sorted.length - 1] : null,
      chartDraws: draws.length,
      chartDrawMean: draws.length ? draws.reduce((a, b) => a + b, 0) / draws.length : null,
      chartDrawP50: quantile(draws, 0.5),
      chartDrawP99: quantile(draws, 0.99),
    };
  },
  stop(): PerfResult {
    const result = perf.peek();
    running = false;
    return result;
  },
};

declare global {
  interface Window {
    __tidepoolPerf?: typeof perf;
  }
}
window.__tidepoolPerf = perf;
