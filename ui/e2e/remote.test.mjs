// The app on a server's database: a real `tidepool serve` (the debug build of the CLI)
// started by each test on a fresh database, the real app connected to it through File →
// Connect to Server…, and the CLI writing to the same server as another user would.
import assert from "node:assert/strict";
import { test } from "node:test";

import { eventually, gridRows, openTable, page, withApp } from "./app.mjs";
import { connect, createToken, serve, sql, tidepool } from "./served.mjs";

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
