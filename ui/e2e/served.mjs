// A real `tidepool serve` (the debug build of the CLI) for the end-to-end scenarios and
// screenshots that need a server: started on a fresh database, written to with the CLI
// as another user would, and the app connected to it through its dialog.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";

import { eventually, freePort, root, tempDir } from "./app.mjs";

const cli = process.env.TIDEPOOL_BIN ?? join(root, "target/debug/tidepool");

/**
 * Starts `tidepool serve` on `db` (a fresh folder by default) at `port`; resolves once it
 * serves, with its URL and, on a database's first start, the admin token it printed.
 */
export async function serve({ db = tempDir("tidepool-e2e-served-"), port } = {}) {
  if (!existsSync(cli)) throw new Error(`${cli} is missing: build the workspace first`);
  port ??= await freePort();
  const child = spawn(cli, ["serve", "--db", db, "--listen", `127.0.0.1:${port}`], { stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (err += d));
  const deadline = Date.now() + 30_000;
  while (!out.includes("serving")) {
    if (child.exitCode !== null) throw new Error(`tidepool serve exited with ${child.exitCode}: ${err}`);
    if (Date.now() > deadline) throw new Error(`tidepool serve did not start: ${out} ${err}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const token = out.match(/admin token: (\S+)/)?.[1] ?? null;
  return {
    db,
    port,
    url: `http://127.0.0.1:${port}`,
    token,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill("SIGINT");
      await new Promise((r) => (child.exitCode !== null ? r() : child.on("exit", r)));
    },
  };
}

/** Runs the CLI against the server as `token`; gives its stdout. */
export function tidepool(server, token, args) {
  const run = spawnSync(cli, args, {
    env: { ...process.env, TIDEPOOL_SERVER: server.url, TIDEPOOL_TOKEN: token },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, `tidepool ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

export const sql = (server, token, script) => tidepool(server, token, ["sql", "-c", script]);

/** Makes a token on the server; gives its id and text. */
export function createToken(server, admin, args) {
  const out = tidepool(server, admin, ["token", "create", ...args]);
  return { id: out.match(/id:\s+(\S+)/)[1], token: out.match(/token:\s+(\S+)/)[1] };
}

/** File → Connect to Server…: fills the dialog, tests, connects (without saving). */
export async function connect(browser, url, token) {
  await browser.execute(() => window.dispatchEvent(new CustomEvent("tidepool:connect-server")));
  const dialog = await browser.$('[data-dialog="connect-server"]');
  await dialog.waitForExist({ timeout: 10_000 });
  await (await dialog.$('input[name="url"]')).setValue(url);
  await (await dialog.$('input[name="token"]')).setValue(token);
  await (await dialog.$('button[data-action="connect"]')).click();
  await eventually(
    browser,
    async () => (await browser.$(".db-path").getText()).includes(url),
    `the status bar does not show ${url}`,
    20_000,
  );
}

