// Starts the real Tidepool Studio binary under tauri-driver (which drives WebKitGTK's
// WebKitWebDriver) and hands back a WebdriverIO browser for its window. Each launch
// gets its own database and app-data folders unless given existing ones.
import { spawn } from "node:child_process";
import { mkdtempSync, existsSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import net from "node:net";
import { remote } from "webdriverio";

const root = resolve(import.meta.dirname, "../..");
export const binary = process.env.TIDEPOOL_STUDIO_BIN ?? join(root, "target/debug/tidepool-studio");

function freePort() {
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

export function tempDir(prefix) {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Launches the app; `db` and `data` default to fresh temporary folders. */
export async function launch({ db = tempDir("tidepool-e2e-db-"), data = tempDir("tidepool-e2e-data-") } = {}) {
  if (!process.env.DISPLAY) throw new Error("no DISPLAY: run the end-to-end suite under xvfb-run");
  if (!existsSync(binary)) throw new Error(`${binary} is missing: build the app first`);
  const port = await freePort();
  const driver = spawn("tauri-driver", ["--port", String(port), "--native-port", String(await freePort())], {
    env: { ...process.env, TIDEPOOL_STUDIO_DATA_DIR: data },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let driverLog = "";
  driver.stderr.on("data", (d) => (driverLog += d));
  driver.on("error", (e) => (driverLog += String(e)));
  await waitForPort(port, driver);
  const browser = await remote({
    hostname: "127.0.0.1",
    port,
    logLevel: "error",
    capabilities: {
      browserName: "wry",
      "wdio:enforceWebDriverClassic": true,
      "tauri:options": { application: binary, args: ["--db", db] },
    },
  });
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
    },
  };
  await browser.$("nav.tree").waitForExist({ timeout: 30_000 });
  return app;
}

/** Types into the console editor (replacing its text) and runs it with Ctrl+Enter. */
export async function runSql(browser, sql) {
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
  await browser.waitUntil(async () => Number(await consoleEl.getAttribute("data-runs")) > before, {
    timeout: 60_000,
    timeoutMsg: "the console run did not finish",
  });
}
