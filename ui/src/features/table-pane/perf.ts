// Frame rate and commit-to-paint latency of live panes, measured inside the webview
// for the throughput benchmark (scripts/bench-ui drives `window.__tidepoolPerf`).
// A batch counts as painted at the first animation frame after the grid received a
// row window at or past the batch's last commit; its latency runs from its oldest
// commit, so it is never understated. Idle unless started.

interface Pending {
  toSeq: number;
  committedAt: number;
  count: number;
  /** The batch changed rows the grid holds: painted when they have been fetched. */
  needsRows: boolean;
}

export interface PerfResult {
  seconds: number;
  fps: number;
  events: number;
  delivered: number;
  p50: number | null;
  p99: number | null;
  max: number | null;
}

let running = false;
let startedAt = 0;
let frames = 0;
let events = 0;
let delivered = 0;
let latencies: number[] = [];
let pending: Pending[] = [];

function countFrame() {
  if (!running) return;
  frames += 1;
  requestAnimationFrame(countFrame);
}

export function noteBatch(toSeq: number, committedAt: number, count: number, needsRows: boolean): void {
  if (!running) return;
  events += 1;
  pending.push({ toSeq, committedAt, count, needsRows });
}

/**
 * The pane rendered state up to `seq`: from fetched rows (`rows`), or only its live
 * state — row count and status — which is all a batch that changed no held row shows.
 */
export function notePainted(seq: number, from: "rows" | "live"): void {
  if (!running || pending.length === 0) return;
  requestAnimationFrame(() => {
    const now = Date.now();
    pending = pending.filter((batch) => {
      if (batch.toSeq > seq || (from === "live" && batch.needsRows)) return true;
      latencies.push(now - batch.committedAt);
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
    frames = events = delivered = 0;
    latencies = [];
    pending = [];
    requestAnimationFrame(countFrame);
  },
  /** The numbers so far; measuring goes on. */
  peek(): PerfResult {
    const seconds = (performance.now() - startedAt) / 1000;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      seconds,
      fps: frames / seconds,
      events,
      delivered,
      p50: quantile(sorted, 0.5),
      p99: quantile(sorted, 0.99),
      max: sorted.length ? sorted[sorted.length - 1] : null,
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
