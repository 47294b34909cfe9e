// The app on a server's database: a real `tidepool serve` (the debug build of the CLI)
// started by each test on a fresh database, the real app connected to it through File →
// Connect to Server…, and the CLI writing to the same server as another user would.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import { eventually, freePort, gridRows, openTable, page, root, tempDir, withApp } from "./app.mjs";

const cli = process.env.TIDEPOOL_BIN ?? join(root, "target/debug/tidepool");

/**
 * Starts `tidepool serve` on `db` (a fresh folder by default) at `port`; resolves once it
 * serves, with its URL and, on a database's first start, the admin token it printed.
 */
async function serve({ db = tempDir("tidepool-e2e-served-"), port } = {}) {
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
function tidepool(server, token, args) {
  const run = spawnSync(cli, args, {
    env: { ...process.env, TIDEPOOL_SERVER: server.url, TIDEPOOL_TOKEN: token },
    encoding: "utf8",
  });
  assert.equal(run.status, 0, `tidepool ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

const sql = (server, token, script) => tidepool(server, token, ["sql", "-c", script]);

/** Makes a token on the server; gives its id and text. */
function createToken(server, admin, args) {
  const out = tidepool(server, admin, ["token", "create", ...args]);
  return { id: out.match(/id:\s+(\S+)/)[1], token: out.match(/token:\s+(\S+)/)[1] };
}

/** File → Connect to Server…: fills the dialog, tests, connects (without saving). */
async function connect(browser, url, token) {
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

async function paneNote(browser) {
  return page(browser).$(".pane").getAttribute("data-link");
}

test("remote 1. connect, browse, and a pane receives the changes the CLI writes", async () => {
  const server = await serve();
  try {
    sql(server, server.token, "CREATE NAMESPACE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name TEXT); INSERT INTO shop.items VALUES (1, 'pear')");
    await withApp("remote-connect", {}, async ({ browser }) => {
      await connect(browser, server.url, server.token);
      await browser.$('[data-table="shop.items"]').waitForExist({ timeout: 10_000 });
      await openTable(browser, "shop.items");
      assert.deepEqual(await gridRows(browser), [["1", "pear"]]);
      sql(server, server.token, "INSERT INTO shop.items VALUES (2, 'fig'); UPDATE shop.items SET name = 'plum' WHERE id = 1");
      await eventually(
        browser,
        async () => JSON.stringify(await gridRows(browser)) === JSON.stringify([["1", "plum"], ["2", "fig"]]),
        "the pane did not show the CLI's writes",
      );
    });
  } finally {
    await server.stop();
  }
});

test("remote 2. the server restarts under an open pane: reconnecting…, then the rows it has now", async () => {
  let server = await serve();
  try {
    sql(server, server.token, "CREATE NAMESPACE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name TEXT); INSERT INTO shop.items VALUES (1, 'pear')");
    const admin = server.token;
    await withApp("remote-restart", {}, async ({ browser }) => {
      await connect(browser, server.url, admin);
      await openTable(browser, "shop.items");
      await server.stop();
      await eventually(browser, async () => (await paneNote(browser)) === "reconnecting", "the pane does not say reconnecting");
      assert.match(await page(browser).$(".pane").getText(), /reconnecting/i);
      server = await serve({ db: server.db, port: server.port });
      sql(server, admin, "INSERT INTO shop.items VALUES (2, 'fig'); DELETE FROM shop.items WHERE id = 1");
      await eventually(
        browser,
        async () => (await paneNote(browser)) === "live" && JSON.stringify(await gridRows(browser)) === JSON.stringify([["2", "fig"]]),
        "the pane did not come back with the server's rows",
        30_000,
      );
    });
  } finally {
    await server.stop();
  }
});

test("remote 3. a revoked token: the pane says so and stops", async () => {
  const server = await serve();
  try {
    sql(server, server.token, "CREATE NAMESPACE shop; CREATE TABLE shop.items (id INT PRIMARY KEY, name TEXT); INSERT INTO shop.items VALUES (1, 'pear')");
    const mine = createToken(server, server.token, ["--label", "e2e"]);
    await withApp("remote-revoked", {}, async ({ browser }) => {
      await connect(browser, server.url, mine.token);
      await openTable(browser, "shop.items");
      tidepool(server, server.token, ["token", "revoke", mine.id]);
      await eventually(
        browser,
        async () => /refused the token/.test(await page(browser).$(".pane").getText()),
        "the pane does not say the token was refused",
      );
      // Writes after it do not show as if the pane were live.
      sql(server, server.token, "INSERT INTO shop.items VALUES (2, 'fig')");
      await browser.pause(1000);
      assert.deepEqual(await gridRows(browser), [["1", "pear"]]);
    });
  } finally {
    await server.stop();
  }
});

test("remote 4. a user token sees only its own rows of a USER table", async () => {
  const server = await serve();
  try {
    sql(server, server.token, "CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT)");
    const ann = createToken(server, server.token, ["--for-user", "ann"]);
    const bob = createToken(server, server.token, ["--for-user", "bob"]);
    sql(server, ann.token, "INSERT INTO app.notes VALUES (1, 'by ann')");
    sql(server, bob.token, "INSERT INTO app.notes VALUES (1, 'by bob')");
    await withApp("remote-user", {}, async ({ browser }) => {
      await connect(browser, server.url, ann.token);
      await openTable(browser, "app.notes");
      assert.deepEqual(await gridRows(browser), [["1", "by ann"]]);
      sql(server, bob.token, "INSERT INTO app.notes VALUES (2, 'also bob')");
      sql(server, ann.token, "INSERT INTO app.notes VALUES (3, 'ann again')");
      await eventually(
        browser,
        async () => JSON.stringify(await gridRows(browser)) === JSON.stringify([["1", "by ann"], ["3", "ann again"]]),
        "the pane did not show only ann's rows",
      );
    });
  } finally {
    await server.stop();
  }
});
