// Live-pane throughput: while the app's paced writer (the `bench-writer` feature)
// inserts and updates a table at 1,000, 10,000 and 50,000 changes/s, measure inside the
// webview the frame rate, commit-to-paint latency and delivered/expected changes of
// three panes, one per run: the table's own pane, a GROUP BY pane over it (a console
// query made live) and that pane with its chart shown — with the bridge's batching on
// (and, with BATCHING=on,off, off; PANES=table,aggregate,chart picks panes). Each pane
// is measured twice, SOURCES=local,remote picking: on the app's own database (a local
// folder, the writer inside the app) and on a server's reached over loopback (the
// app's remote source: statements over HTTP, the pane's feed over a WebSocket; the
// same paced writer runs inside the server's process, started from the `bench_server`
// example of tidepool-cli, TIDEPOOL_BENCH_SERVER_BIN). First it
// measures the frame rate of the same webview on an empty page and on a page that
// changes one line of text every frame: the ceiling under this display, and what any
// change costs its renderer. Run by scripts/bench-ui; prints a Markdown table, and on
// stderr each run as JSON (with the p99 of the run's second half, p99Late, and for a
// chart pane its draws with their mean, p50 and p99 in ms, chartDraw).
import { spawn } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join } from "node:path";

import { launch, openTable, page, root, runSql, tempDir } from "./app.mjs";

const rates = (process.env.RATES ?? "1000,10000,50000").split(",").map(Number);
const seconds = Number(process.env.SECONDS_PER_RUN ?? 5);
const panes = (process.env.PANES ?? "table,aggregate,chart").split(",");
const batchings = (process.env.BATCHING ?? "on").split(",").map((b) => b === "on");
const sources = (process.env.SOURCES ?? "local,remote").split(",");
const serverBinary = process.env.TIDEPOOL_BENCH_SERVER_BIN ?? join(root, "target/release/examples/bench_server");

const TABLE = "bench.items";
/** The writer's rows fall into 40 groups: one group changes per commit. */
const AGGREGATE = `SELECT grp, count(*) AS n, sum(v) AS total FROM ${TABLE} GROUP BY grp`;

/** The app and the server of the run in progress, so a run that hangs can be ended. */
let running = null;
let runningServer = null;

/**
 * Starts the bench server with the writer's `spec` and waits for the line naming its
 * URL and admin token: the value of the app's TIDEPOOL_STUDIO_BENCH_SERVER. It serves
 * until its standard input is closed (`stop`).
 */
async function startServer(spec) {
  const child = spawn(serverBinary, [spec], { stdio: ["pipe", "pipe", "inherit"] });
  const line = await new Promise((ok, fail) => {
    let out = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("\n")) ok(out.split("\n")[0]);
    });
    child.on("error", fail);
    child.on("exit", (code) => fail(new Error(`${serverBinary} exited with ${code} before serving`)));
  });
  return {
    line,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.on("exit", r));
      child.stdin.end();
      const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
      await exited;
      clearTimeout(killer);
    },
    kill: () => child.kill("SIGKILL"),
  };
}

/**
 * The frame rate of the app's webview without the app: an empty page, and a page that
 * changes one line of text every frame (what any change costs the renderer), with the
 * CPU the run's processes used meanwhile, in cores. Frames are counted as perf.ts
 * counts them.
 */
async function ceiling() {
  const app = await launch();
  try {
    const { browser } = app;
    await browser.setWindowSize(1280, 800);
    await browser.execute(() => void document.body.replaceChildren());
    const frameRate = async (changing) => {
      const load = cpuLoad();
      await browser.execute((changing) => {
        window.__tidepoolPerf.start();
        if (!changing) return;
        const line = document.body.appendChild(document.createElement("div"));
        let n = 0;
        const frame = () => {
          line.textContent = `frame ${++n}`;
          if (line.isConnected) requestAnimationFrame(frame);
        };
        requestAnimationFrame(frame);
      }, changing);
      await browser.pause(3000);
      const { fps } = await browser.execute(() => {
        document.body.replaceChildren();
        return window.__tidepoolPerf.stop();
      });
      return { fps, cores: load().ours };
    };
    return { empty: await frameRate(false), changing: await frameRate(true) };
  } finally {
    await app.close();
  }
}

/** CPU ticks of every process: [ticks, parent] by pid. */
function processTicks() {
  const all = new Map();
  for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      all.set(Number(pid), { parent: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) });
    } catch {
      // The process ended meanwhile.
    }
  }
  return all;
}

const cores = availableParallelism();

/** Busy and total CPU ticks of the machine. */
function machineTicks() {
  const ticks = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - ticks[3] - ticks[4], total };
}

/**
 * Measures the machine's CPU from now until the returned function is called: the cores
 * this run's processes used (the display, the driver, the app and its web processes all
 * descend from xvfb-run, this script's parent), and the share of all cores busy with
 * other processes.
 */
function cpuLoad() {
  const before = { machine: machineTicks(), processes: processTicks() };
  return () => {
    const machine = machineTicks();
    const processes = processTicks();
    const ours = new Set([process.ppid]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const [pid, { parent }] of processes) {
        if (!ours.has(pid) && ours.has(parent)) {
          ours.add(pid);
          grew = true;
        }
      }
    }
    let mine = 0;
    for (const pid of ours) mine += (processes.get(pid)?.ticks ?? 0) - (before.processes.get(pid)?.ticks ?? 0);
    const busy = machine.busy - before.machine.busy;
    const total = machine.total - before.machine.total;
    return { ours: (mine / total) * cores, other: Math.max(0, (busy - mine) / total) };
  };
}

/** Opens the pane a run measures and waits until it has loaded. */
async function openMeasuredPane(browser, kind) {
  if (kind === "table") {
    await openTable(browser, TABLE);
    return;
  }
  await runSql(browser, `${AGGREGATE};`);
  await page(browser).$("button.result-live").click();
  await browser.$(`.tab[data-tab="live: ${AGGREGATE}"]`).waitForExist({ timeout: 10_000 });
  const pane = await page(browser).$(".pane");
  await browser.waitUntil(async () => (await pane.getAttribute("data-loading")) === "false", { timeout: 30_000 });
  if (kind === "chart") {
    await page(browser).$("button=Chart").click();
    await page(browser).$(".pane-chart canvas").waitForExist({ timeout: 10_000 });
  }
}

async function measure(rate, kind, batching, source) {
  const dir = tempDir("tidepool-bench-");
  const start = join(dir, "start");
  const report = join(dir, "writer.json");
  const spec = `table=${TABLE} rate=${rate} seconds=${seconds} start=${start} report=${report}`;
  const env = { TIDEPOOL_STUDIO_EVENT_BATCHING: batching ? "on" : "off" };
  // A remote run's writer is the server's; the server made the table.
  const server = source === "remote" ? await startServer(spec) : null;
  runningServer = server;
  if (server) env.TIDEPOOL_STUDIO_BENCH_SERVER = server.line;
  else env.TIDEPOOL_STUDIO_BENCH_WRITER = spec;
  let app;
  try {
    app = await launch({ env });
  } catch (error) {
    await server?.stop();
    throw error;
  }
  running = app;
  const { browser } = app;
  try {
    await browser.setWindowSize(1280, 800);
    if (!server) {
      await runSql(browser, `CREATE NAMESPACE bench; CREATE TABLE ${TABLE} (id BIGINT PRIMARY KEY, grp TEXT, v BIGINT);`);
    }
    await openMeasuredPane(browser, kind);
    await browser.pause(500);
    // From the writer's start until the pane has painted its last change.
    await browser.execute(() => window.__tidepoolPerf.start());
    const load = cpuLoad();
    writeFileSync(start, "");
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
    return { writer, result, other: load().other };
  } finally {
    running = null;
    runningServer = null;
    await app.close();
    await server?.stop();
  }
}

const PANE_NAMES = { table: "table", aggregate: "GROUP BY", chart: "GROUP BY + chart" };
const SOURCE_NAMES = { local: "local folder", remote: "server (loopback)" };

/** One run, as a row of the table (one saying why, for a run that did not finish). */
async function run(rate, batching, kind, source) {
  const base = {
    target: rate,
    pane: PANE_NAMES[kind],
    database: SOURCE_NAMES[source],
    batching: batching ? "on (16 ms)" : "off",
  };
  // A run that hangs (a stuck driver) fails the measurement instead of waiting
  // forever; a run that fails (a flooded webview stops answering WebDriver) is a
  // row saying so, and the others are still measured.
  let measured;
  let timer;
  try {
    measured = await Promise.race([
      measure(rate, kind, batching, source),
      new Promise((_, fail) => {
        timer = setTimeout(() => fail(new Error(`the ${rate}/s run timed out`)), (seconds + 120) * 1000);
      }),
    ]);
  } catch (error) {
    running?.kill();
    runningServer?.kill();
    running = null;
    runningServer = null;
    process.exitCode = 1;
    return { ...base, failed: String(error?.message ?? error).split("\n")[0] };
  } finally {
    // A pending timer would keep the process alive for minutes after the last run.
    clearTimeout(timer);
  }
  const { writer, result, other } = measured;
  return {
    ...base,
    achieved: Math.round(writer.rate),
    fps: result.fps.toFixed(0),
    events: result.events,
    p50: result.p50 === null ? null : Math.round(result.p50),
    p99: result.p99 === null ? null : Math.round(result.p99),
    p99Late: result.p99Late === null ? null : Math.round(result.p99Late),
    delivered: `${result.delivered}/${writer.changes}`,
    other: `${Math.round(other * 100)}%`,
    ...(kind === "chart" && {
      chartDraw: `${result.chartDraws} draws, mean ${result.chartDrawMean?.toFixed(2)} ms, p50 ${result.chartDrawP50?.toFixed(1)} ms, p99 ${result.chartDrawP99?.toFixed(1)} ms`,
    }),
  };
}

const limit = await ceiling();
const ceilingLine =
  `An empty page in the same webview: ${limit.empty.fps.toFixed(0)} fps; a page changing one line of text every frame: ` +
  `${limit.changing.fps.toFixed(0)} fps, using ${limit.changing.cores.toFixed(2)} cores (${limit.empty.cores.toFixed(2)} for the empty page).`;
console.error(ceilingLine);
// The local and remote runs of one pane follow each other, so the machine's drift
// affects both alike.
const rows = [];
for (const rate of rates) {
  for (const batching of batchings) {
    for (const kind of panes) {
      for (const source of sources) {
        const row = await run(rate, batching, kind, source);
        rows.push(row);
        console.error(JSON.stringify(row));
      }
    }
  }
}
console.log(`${ceilingLine}\n`);
console.log("| target changes/s | pane | database | batching | writer achieved/s | fps | events | commit-to-paint p50 (ms) | p99 (ms) | delivered/expected | CPU busy outside the app |");
console.log("|---:|---|---|---|---:|---:|---:|---:|---:|---|---:|");
for (const r of rows) {
  const lead = `| ${r.target.toLocaleString("en")} | ${r.pane} | ${r.database} | ${r.batching}`;
  if (r.failed) {
    console.log(`${lead} | – | – | – | – | – | did not finish: ${r.failed} | – |`);
    continue;
  }
  console.log(`${lead} | ${r.achieved.toLocaleString("en")} | ${r.fps} | ${r.events.toLocaleString("en")} | ${r.p50 ?? "–"} | ${r.p99 ?? "–"} | ${r.delivered} | ${r.other} |`);
}
