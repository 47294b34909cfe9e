// Starts the real Tidepool Studio binary under tauri-driver (which drives WebKitGTK's
// WebKitWebDriver) and hands back a WebdriverIO browser for its window. Each launch
// gets its own database and app-data folders unless given existing ones.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { remote } from "webdriverio";

export const root = resolve(import.meta.dirname, "../..");
export const binary = process.env.TIDEPOOL_STUDIO_BIN ?? join(root, "target/debug/tidepool-studio");

export function freePort() {
  return new Promise((ok, fail) => {
    const server = net.createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => ok(port));
    });
    server.on("error", fail);
  });
}

async function waitForPort(port, child, ms = 20_000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`tauri-driver exited with ${child.exitCode}`);
    const open = await new Promise((ok) => {
      const socket = net.connect(port, "127.0.0.1", () => (socket.end(), ok(true)));
      socket.on("error", () => ok(false));
    });
    if (open) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`tauri-driver did not listen on ${port}`);
}

// Every temporary folder a run makes goes when its process ends (a bulk scenario's
// database alone is ~75 MB).
const temporary = new Set();
process.on("exit", () => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temporary.add(dir);
  return dir;
}

/**
 * Launches the app; `db` and `data` default to fresh temporary folders. With
 * `db: null` the app opens its default database, under `home`.
 */
export async function launch(options = {}) {
  // WebKitGTK under Xvfb now and then starts a window that never loads its page; that
  // launch is abandoned (and reported) and the app started again, up to three times.
  for (let attempt = 1; ; attempt++) {
    try {
      return await launchOnce(options);
    } catch (error) {
      if (!String(error).includes(STARTUP_FAILED) || attempt === 3) throw error;
      console.error(`retrying a launch whose window did not load: ${error}`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }
}

const STARTUP_FAILED = "the window did not load";

async function launchOnce({ db = tempDir("tidepool-e2e-db-"), data = tempDir("tidepool-e2e-data-"), home, env = {} } = {}) {
  if (!process.env.DISPLAY) throw new Error("no DISPLAY: run the end-to-end suite under xvfb-run");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build the app first`);
  const port = await freePort();
  const nativePort = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(nativePort)], {
    env: {
      ...process.env,
      TIDEPOOL_STUDIO_DATA_DIR: data,
      ...(home ? { HOME: home, XDG_DATA_HOME: join(home, ".local/share") } : {}),
      ...env,
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let driverLog = "";
  driver.stderr.on("data", (d) => (driverLog += d));
  driver.on("error", (e) => (driverLog += String(e)));
  // tauri-driver forwards the session request to WebKitWebDriver: both must listen,
  // or the request is dropped.
  await waitForPort(port, driver);
  await waitForPort(nativePort, driver);
  let browser;
  try {
    browser = await remote({
      hostname: "127.0.0.1",
      port,
      logLevel: "error",
      connectionRetryTimeout: 60_000,
      connectionRetryCount: 0,
      capabilities: {
        browserName: "wry",
        "wdio:enforceWebDriverClassic": true,
        "tauri:options": { application: binary, args: db ? ["--db", db] : [] },
      },
    });
  } catch (error) {
    driver.kill();
    if (db) spawnSync("pkill", ["-f", `tidepool-studio --db ${db}`]);
    throw new Error(`${STARTUP_FAILED} (no WebDriver session): ${error}`);
  }
  const app = {
    browser,
    db,
    data,
    driverLog: () => driverLog,
    async close() {
      try {
        await browser.deleteSession();
      } catch {
        // The window may already be gone.
      }
      driver.kill();
      await new Promise((r) => (driver.exitCode !== null ? r() : driver.on("exit", r)));
      // A window whose session never started is not closed by the driver.
      if (db) spawnSync("pkill", ["-f", `tidepool-studio --db ${db}`]);
    },
    /** Ends the driver and the app at once, for a run that stopped answering. */
    kill() {
      driver.kill();
      if (db) spawnSync("pkill", ["-f", `tidepool-studio --db ${db}`]);
    },
  };
  try {
    await browser.$("nav.tree").waitForExist({ timeout: 30_000 });
  } catch (error) {
    await app.close();
    throw new Error(`${STARTUP_FAILED}: ${error}`);
  }
  // Keep the webview's console messages for failure reports.
  await browser.execute(() => {
    const logs = (window.__e2eLogs = []);
    for (const level of ["log", "info", "warn", "error"]) {
      const original = console[level].bind(console);
      console[level] = (...args) => {
        logs.push(`${level}: ${args.map(String).join(" ")}`);
        original(...args);
      };
    }
    window.addEventListener("error", (e) => logs.push(`uncaught: ${e.message}`));
    window.addEventListener("unhandledrejection", (e) => logs.push(`unhandled rejection: ${e.reason}`));
  });
  return app;
}

const artifacts = resolve(import.meta.dirname, "artifacts");

/**
 * Runs `body` against a freshly launched app; on failure saves a screenshot and the
 * webview's console log under ui/e2e/artifacts/ before rethrowing.
 */
export async function withApp(name, options, body) {
  const app = await launch(options);
  try {
    await body(app);
  } catch (error) {
    mkdirSync(artifacts, { recursive: true });
    const base = join(artifacts, name.replace(/[^a-z0-9]+/gi, "-"));
    try {
      await app.browser.saveScreenshot(`${base}.png`);
      const logs = await app.browser.execute(() => window.__e2eLogs ?? []);
      writeFileSync(`${base}.log`, [...logs, "--- tauri-driver ---", app.driverLog()].join("\n"));
    } catch (e) {
      writeFileSync(`${base}.log`, `could not capture the window: ${e}\n${app.driverLog()}`);
    }
    throw error;
  } finally {
    await app.close();
  }
}

/** The visible tab page. */
export function page(browser) {
  return browser.$(".tab-page:not([hidden])");
}

export async function showTab(browser, title) {
  await browser.$(`.tab[data-tab="${title}"] button[role="tab"]`).click();
}

/** Opens a table from the catalog tree (a new tab, shown) and waits for its snapshot. */
export async function openTable(browser, name) {
  const item = await browser.$(`[data-table="${name}"]`);
  await item.waitForExist({ timeout: 10_000 });
  const tabs = async () => (await browser.$$(`.tab[data-tab="${name}"]`)).length;
  const before = await tabs();
  await item.click();
  await browser.waitUntil(async () => (await tabs()) > before, { timeout: 10_000, timeoutMsg: `${name} did not open` });
  const pane = await page(browser).$(".pane");
  await browser.waitUntil(async () => (await pane.getAttribute("data-loading")) === "false", { timeout: 30_000 });
  await browser.waitUntil(async () => (await gridHeaders(browser)).length > 0, { timeout: 10_000 });
  return pane;
}

/** The rows the visible grid shows, read from its accessible table (header excluded). */
export async function gridRows(browser) {
  return browser.execute(() => {
    const table = document.querySelector('.tab-page:not([hidden]) table[role="grid"]');
    if (!table) return [];
    return [...table.querySelectorAll("tbody tr")].map((tr) => [...tr.querySelectorAll("td")].map((td) => td.textContent));
  });
}

export async function gridHeaders(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('.tab-page:not([hidden]) table[role="grid"] thead th')].map((th) => th.textContent),
  );
}

/** Waits until `check` (an async predicate) holds. */
export function eventually(browser, check, message, timeout = 15_000) {
  return browser.waitUntil(check, { timeout, interval: 100, timeoutMsg: message });
}

/** Calls an app command from inside the webview, as the UI does. */
export function invoke(browser, command, args) {
  return browser.executeAsync(
    (command, args, done) =>
      window.__TAURI_INTERNALS__.invoke(command, args).then(
        (value) => done({ ok: value }),
        (error) => done({ error }),
      ),
    command,
    args,
  );
}

/** Types into the console editor (replacing its text) and runs it with Ctrl+Enter. */
export async function runSql(browser, sql) {
  const { consoleEl, before } = await startSql(browser, sql);
  await browser.waitUntil(async () => Number(await consoleEl.getAttribute("data-runs")) > before, {
    timeout: 60_000,
    timeoutMsg: "the console run did not finish",
  });
}

/**
 * Types into the console editor and starts the run without waiting for it; gives the
 * console and its count of finished runs before this one.
 */
export async function startSql(browser, sql) {
  const consoleEl = await browser.$(".tab-page:not([hidden]) .console");
  const before = Number(await consoleEl.getAttribute("data-runs"));
  const content = await consoleEl.$(".cm-content");
  await content.click();
  await browser.execute((text) => {
    const content = document.querySelector(".tab-page:not([hidden]) .cm-content");
    // CodeMirror keeps its view on the content element (EditorView.findFromDOM).
    const view = content?.cmTile?.root?.view;
    if (!view) throw new Error("no CodeMirror view found");
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  }, sql);
  await browser.keys(["Control", "Enter"]);
  return { consoleEl, before };
}

/** Grid geometry, as TablePane.tsx fixes it. */
const GRID = { markerWidth: 48, rowHeight: 32, headerHeight: 34 };

/** The widths of the visible grid's columns (fitted to their contents, or dragged). */
export function columnWidths(browser) {
  return browser.execute(() =>
    document.querySelector(".tab-page:not([hidden]) [data-column-widths]").dataset.columnWidths.split(",").map(Number),
  );
}

/** Clicks the row marker (the checkbox column) of a visible row (0-based). */
export async function selectRow(browser, row) {
  const canvas = await page(browser).$('canvas[data-testid="data-grid-canvas"]');
  const { width, height } = await canvas.getSize();
  const x = GRID.markerWidth / 2;
  const y = GRID.headerHeight + row * GRID.rowHeight + GRID.rowHeight / 2;
  await canvas.click({ x: Math.round(x - width / 2), y: Math.round(y - height / 2) });
}

/** Clicks a cell of the visible pane's grid (col/row 0-based, data cells only, on screen). */
export async function clickCell(browser, col, row) {
  const widths = await columnWidths(browser);
  const canvas = await page(browser).$('canvas[data-testid="data-grid-canvas"]');
  const x = GRID.markerWidth + widths.slice(0, col).reduce((sum, w) => sum + w, 0) + 20;
  const y = GRID.headerHeight + row * GRID.rowHeight + GRID.rowHeight / 2;
  const { width, height } = await canvas.getSize();
  // WebDriver offsets are from the element's centre.
  await canvas.click({ x: Math.round(x - width / 2), y: Math.round(y - height / 2) });
}

/** Double-clicks a cell of the visible pane's grid (col/row 0-based, data cells only). */
export async function editCell(browser, col, row, text) {
  await clickCell(browser, col, row);
  const editor = await browser.$("#portal textarea, #portal input");
  // A click on the cell already selected opens the editor itself; otherwise Enter does.
  await browser.pause(150);
  if (!(await editor.isExisting())) await browser.keys(["Enter"]);
  await editor.waitForExist({ timeout: 5_000 });
  await browser.execute((el) => el.select(), editor);
  await editor.addValue(text);
  await browser.keys(["Enter"]);
}
