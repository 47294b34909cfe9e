// Live-pane throughput: while the app's paced writer (the `bench-writer` feature)
// inserts and updates a table shown in a visible pane at 1,000, 10,000 and 50,000
// changes/s, measure inside the webview the frame rate, commit-to-paint latency and
// delivered/expected changes — with the bridge's batching on and off.
// Run by scripts/bench-ui; prints a Markdown table.
import { readFileSync } from "node:fs";
import { join } from "node:path";

import { launch, openTable, runSql, tempDir } from "./app.mjs";

const rates = (process.env.RATES ?? "1000,10000,50000").split(",").map(Number);
const seconds = Number(process.env.SECONDS_PER_RUN ?? 5);

/** The app of the run in progress, so a run that hangs can be ended. */
let running = null;

async function measure(rate, batching) {
  const report = join(tempDir("tidepool-bench-"), "writer.json");
  const env = {
    TIDEPOOL_STUDIO_BENCH_WRITER: `table=bench.items rate=${rate} seconds=${seconds} report=${report}`,
    TIDEPOOL_STUDIO_EVENT_BATCHING: batching ? "on" : "off",
  };
  const app = await launch({ env });
  running = app;
  const { browser } = app;
  try {
    await browser.setWindowSize(1280, 800);
    await runSql(browser, "CREATE NAMESPACE bench; CREATE TABLE bench.items (id BIGINT PRIMARY KEY, v BIGINT);");
    await browser.execute(() => window.__tidepoolPerf.start());
    await openTable(browser, "bench.items");
    // The writer starts a second after the pane opens and runs `seconds`.
    let writer = null;
    const deadline = Date.now() + (seconds + 60) * 1000;
    while (!writer && Date.now() < deadline) {
      await browser.pause(250);
      try {
        writer = JSON.parse(readFileSync(report, "utf8"));
      } catch {
        writer = null;
      }
    }
    if (!writer) throw new Error("the writer did not report");
    // Until the pane has painted every change (or 20 s more have passed).
    const settle = Date.now() + 20_000;
    while (Date.now() < settle) {
      const so_far = await browser.execute(() => window.__tidepoolPerf.peek());
      if (so_far.delivered >= writer.changes) break;
      await browser.pause(100);
    }
    const result = await browser.execute(() => window.__tidepoolPerf.stop());
    return { rate, batching, writer, result };
  } finally {
    running = null;
    await app.close();
  }
}

const rows = [];
for (const rate of rates) {
  for (const batching of [true, false]) {
    // A run that hangs (a stuck driver) fails the measurement instead of waiting forever;
    // a run that fails (a flooded webview stops answering WebDriver) is a row saying so,
    // and the others are still measured.
    let measured;
    try {
      measured = await Promise.race([
        measure(rate, batching),
        new Promise((_, fail) => setTimeout(() => fail(new Error(`the ${rate}/s run timed out`)), (seconds + 120) * 1000)),
      ]);
    } catch (error) {
      running?.kill();
      running = null;
      process.exitCode = 1;
      const reason = String(error?.message ?? error).split("\n")[0];
      const row = { target: rate, batching: batching ? "on (16 ms)" : "off", failed: reason };
      rows.push(row);
      console.error(JSON.stringify(row));
      continue;
    }
    const { writer, result } = measured;
    const row = {
      target: rate,
      batching: batching ? "on (16 ms)" : "off",
      achieved: Math.round(writer.rate),
      fps: result.fps.toFixed(0),
      events: result.events,
      p50: result.p50 === null ? null : Math.round(result.p50),
      p99: result.p99 === null ? null : Math.round(result.p99),
      delivered: `${result.delivered}/${writer.changes}`,
    };
    rows.push(row);
    console.error(JSON.stringify(row));
  }
}
console.log("| target changes/s | batching | writer achieved/s | fps | events | commit-to-paint p50 (ms) | p99 (ms) | delivered/expected |");
console.log("|---:|---|---:|---:|---:|---:|---:|---|");
for (const r of rows) {
  if (r.failed) {
    console.log(`| ${r.target.toLocaleString("en")} | ${r.batching} | – | – | – | – | – | did not finish: ${r.failed} |`);
    continue;
  }
  console.log(`| ${r.target.toLocaleString("en")} | ${r.batching} | ${r.achieved.toLocaleString("en")} | ${r.fps} | ${r.events.toLocaleString("en")} | ${r.p50 ?? "–"} | ${r.p99 ?? "–"} | ${r.delivered} |`);
}
