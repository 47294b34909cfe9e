// The end-to-end scenarios: the real debug build of Tidepool Studio under Xvfb,
// driven through tauri-driver + WebKitWebDriver, each on a fresh database folder.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { test } from "node:test";

import {
  editCell,
  eventually,
  gridHeaders,
  gridRows,
  invoke,
  openTable,
  page,
  root,
  runSql,
  selectRow,
  showTab,
  startSql,
  tempDir,
  withApp,
} from "./app.mjs";

const text = async (browser, selector) => (await browser.$(selector)).getText();

async function lastResult(browser) {
  return text(browser, ".tab-page:not([hidden]) .results");
}

test("1. start: the window opens on the default database and the tree shows system", async () => {
  const home = tempDir("tidepool-e2e-home-");
  // A default database already there (a first start opens the demo: demo.test.mjs).
  mkdirSync(join(home, ".local/share/dev.tidepool.studio/databases/default"), { recursive: true });
  await withApp("start", { db: null, home }, async ({ browser }) => {
    await eventually(
      browser,
      async () => (await text(browser, ".db-path")).endsWith("dev.tidepool.studio/databases/default"),
      "the status bar does not show the default database",
    );
    assert.ok((await text(browser, ".db-path")).startsWith(home));
    await browser.$('[data-namespace="system"]').waitForExist({ timeout: 5_000 });
    assert.ok(await browser.$('[data-table="system.tables"]').isExisting());
  });
});

test("2. console: DDL shows in the tree without refresh and SELECT shows the rows", async () => {
  await withApp("console", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app;\nCREATE TABLE app.notes (id INT PRIMARY KEY, body TEXT);");
    await browser.$('[data-table="app.notes"]').waitForExist({ timeout: 5_000 });
    assert.match(await text(browser, '[data-table="app.notes"]'), /SHARED/);
    await runSql(browser, "INSERT INTO app.notes VALUES (1, 'first'), (2, 'second');\nSELECT * FROM app.notes ORDER BY id;");
    await browser.$(".tab-page:not([hidden]) .result-tabs button:nth-child(2)").click();
    await eventually(browser, async () => (await gridRows(browser)).length === 2, "the result grid has no rows");
    assert.deepEqual(await gridRows(browser), [
      ["1", "first"],
      ["2", "second"],
    ]);
    assert.match(await lastResult(browser), /2 rows/);
    await eventually(
      browser,
      async () => (await text(browser, '[data-table="app.notes"] .count')) === "2",
      "the tree's row count did not follow",
    );
  });
});

test("3. live insert, update and delete reach an open pane", async () => {
  await withApp("live", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, name TEXT);");
    const pane = await openTable(browser, "app.t");
    await showTab(browser, "Console");
    await runSql(browser, "INSERT INTO app.t VALUES (1, 'born');");
    await showTab(browser, "app.t");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","born"]]', "the insert did not appear");
    await showTab(browser, "Console");
    await runSql(browser, "UPDATE app.t SET name = 'changed' WHERE id = 1;");
    await showTab(browser, "app.t");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","changed"]]', "the update did not appear");
    await eventually(browser, async () => Number(await pane.getAttribute("data-flashing")) > 0, "the changed cell did not flash");
    await eventually(browser, async () => Number(await pane.getAttribute("data-flashing")) === 0, "the flash did not end");
    await showTab(browser, "Console");
    await runSql(browser, "DELETE FROM app.t WHERE id = 1;");
    await showTab(browser, "app.t");
    await eventually(browser, async () => (await pane.getAttribute("data-rows")) === "0", "the delete did not remove the row");
    assert.deepEqual(await gridRows(browser), []);
  });
});

test("4. a filtered pane gains and loses rows while the unfiltered pane keeps them", async () => {
  await withApp("filtered", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, qty INT); INSERT INTO app.t VALUES (1, 0), (2, 5);");
    const all = await openTable(browser, "app.t");
    await openTable(browser, "app.t");
    const tabs = await browser.$$('.tab[data-tab="app.t"] button[role="tab"]');
    assert.equal(tabs.length, 2);
    const filtered = await page(browser).$(".pane");
    await page(browser).$('input[aria-label="Filter"]').setValue("qty > 0");
    await browser.keys(["Enter"]);
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["2","5"]]', "the filter was not applied");
    await invoke(browser, "run_sql", { sql: "UPDATE app.t SET qty = 3 WHERE id = 1", user: null });
    await eventually(browser, async () => (await filtered.getAttribute("data-rows")) === "2", "the row did not enter the filter");
    await invoke(browser, "run_sql", { sql: "UPDATE app.t SET qty = 0 WHERE id = 2", user: null });
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","3"]]', "the row did not leave the filter");
    await tabs[0].click();
    await eventually(browser, async () => (await all.getAttribute("data-rows")) === "2", "the unfiltered pane lost a row");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","3"],["2","0"]]', "the unfiltered pane shows other rows");
  });
});

test("5. bulk: one INSERT of 10,000 rows reaches the pane with every id", async () => {
  await withApp("bulk", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.bulk (id INT PRIMARY KEY, v TEXT);");
    const pane = await openTable(browser, "app.bulk");
    const values = Array.from({ length: 10_000 }, (_, i) => `(${i}, 'v${i}')`).join(",");
    const result = await invoke(browser, "run_sql", { sql: `INSERT INTO app.bulk VALUES ${values}`, user: null });
    assert.equal(result.error, undefined);
    await eventually(browser, async () => (await pane.getAttribute("data-rows")) === "10000", "the pane did not reach 10,000 rows");
    // Every id, read through the window API the grid reads from.
    const paneId = await pane.getAttribute("data-pane");
    const ids = [];
    for (let start = 0; start < 10_000; start += 5_000) {
      const window = await invoke(browser, "pane_rows", { pane: paneId, start, count: 5_000, anchor: null });
      ids.push(...window.ok.rows.map((r) => r[0]));
    }
    assert.deepEqual(ids, Array.from({ length: 10_000 }, (_, i) => i));
    await eventually(browser, async () => JSON.stringify((await gridRows(browser))[0]) === '["0","v0"]', "the grid does not show the first rows");
  });
});

test("6. editing: a cell edit, an added row and a deleted row go through the app; a NOT NULL violation shows inline and changes nothing", async () => {
  await withApp("editing", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, name TEXT NOT NULL); INSERT INTO app.t VALUES (1, 'old');");
    await openTable(browser, "app.t");
    assert.deepEqual(await gridHeaders(browser), ["id", "name"]);
    await editCell(browser, 1, 0, "new");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","new"]]', "the edit did not show");
    await editCell(browser, 1, 0, "NULL");
    const error = await page(browser).$(".inline-error");
    await error.waitForExist({ timeout: 5_000 });
    assert.match(await error.getText(), /name/);
    await page(browser).$(".inline-error .dismiss").click();
    // + Row, then select it and Delete.
    await page(browser).$("button=+ Row").click();
    await page(browser).$('.add-row input[name="id"]').setValue("2");
    await page(browser).$('.add-row input[name="name"]').setValue("two");
    await page(browser).$("button=Insert").click();
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","new"],["2","two"]]', "the added row did not show");
    await selectRow(browser, 1);
    const remove = await page(browser).$("button*=Delete");
    await eventually(browser, async () => (await remove.getText()) === "Delete 1", "the row was not selected");
    await remove.click();
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","new"]]', "the selected row was not deleted");
    await showTab(browser, "Console");
    await runSql(browser, "SELECT name FROM app.t;");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["new"]]', "the console does not show the edited value");
  });
});

test("7. a syntax error shows line and column and changes nothing", async () => {
  await withApp("errors", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY);");
    // textContent: WebKitWebDriver's element text fails on the status bar's <datalist>.
    const seq = await browser.execute(() => document.querySelector(".statusbar").textContent);
    await runSql(browser, "INSERT INTO app.t VALUES (1);\nSELEC * FROM app.t;");
    const error = await page(browser).$(".result-error");
    await error.waitForExist({ timeout: 5_000 });
    assert.match(await error.getText(), /line 2, column 1/);
    assert.ok(await page(browser).$(".cm-lint-marker-error").isExisting(), "the editor does not mark the error");
    // The first statement ran (earlier statements stay), the failing one changed nothing.
    await runSql(browser, "SELECT COUNT(*) AS n FROM app.t;");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1"]]', "unexpected row count");
    await runSql(browser, "SELEC oops;");
    await runSql(browser, "SELECT COUNT(*) AS n FROM app.t;");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1"]]', "the failed statement changed data");
    assert.notEqual(seq, "");
  });
});

test("8. restart: data and console history survive closing and reopening the app", async () => {
  const db = tempDir("tidepool-e2e-db-");
  const data = tempDir("tidepool-e2e-data-");
  await withApp("restart-1", { db, data }, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.kept (id INT PRIMARY KEY); INSERT INTO app.kept VALUES (7);");
  });
  await withApp("restart-2", { db, data }, async ({ browser }) => {
    await browser.$('[data-table="app.kept"]').waitForExist({ timeout: 10_000 });
    await page(browser).$("button=History (1)").waitForExist({ timeout: 5_000 });
    await page(browser).$("button=History (1)").click();
    assert.match(await text(browser, ".history"), /INSERT INTO app\.kept VALUES \(7\)/);
    await runSql(browser, "SELECT id FROM app.kept;");
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["7"]]', "the data is gone");
  });
});

test("9. USER table: the acting user sees their rows, admin sees both with _user", async () => {
  await withApp("user-table", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE USER TABLE app.notes (id INT PRIMARY KEY, body TEXT);");
    const acting = await browser.$('input[aria-label="Acting user"]');
    // Select the field's text and type over it, as a person would (WebDriver's clear
    // does not reach React's state through the field's suggestion list).
    const actAs = async (user) => {
      await acting.click();
      await browser.keys(["Control", "a"]);
      await browser.keys(["Backspace"]);
      await eventually(browser, async () => (await acting.getValue()) === "", "the acting user was not cleared");
      if (user) await acting.addValue(user);
    };
    await actAs("alice");
    await runSql(browser, "INSERT INTO app.notes VALUES (1, 'from alice');");
    await actAs("bob");
    await runSql(browser, "INSERT INTO app.notes VALUES (1, 'from bob');");
    const rowsAre = (expected) =>
      eventually(browser, async () => JSON.stringify(await gridRows(browser)) === JSON.stringify(expected), `expected ${JSON.stringify(expected)}`);
    await openTable(browser, "app.notes");
    await rowsAre([["1", "from bob"]]);
    await actAs("alice");
    await openTable(browser, "app.notes");
    await rowsAre([["1", "from alice"]]);
    await actAs(null);
    await openTable(browser, "app.notes");
    assert.deepEqual(await gridHeaders(browser), ["_user", "id", "body"]);
    await rowsAre([
      ["alice", "1", "from alice"],
      ["bob", "1", "from bob"],
    ]);
  });
});

test("10. Local API: with it on, a write from the tidepool CLI appears in an open pane", async () => {
  await withApp("local-api", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.jobs (id INT PRIMARY KEY, state TEXT);");
    await openTable(browser, "app.jobs");
    assert.equal(await text(browser, ".api-button"), "API off");
    await browser.$(".api-button").click();
    const port = await browser.$('.local-api input[aria-label="Port"]');
    await port.setValue("0");
    await browser.$('.local-api input[aria-label="Serve this database"]').click();
    const urlField = await browser.$(".local-api input[data-url]");
    await urlField.waitForExist({ timeout: 10_000 });
    const url = await urlField.getAttribute("data-url");
    const token = await browser.$(".local-api input[data-token]").getAttribute("data-token");
    assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/);
    await browser.keys(["Escape"]);
    assert.match(await text(browser, ".api-button"), /^API 127\.0\.0\.1:\d+$/);

    const cli = process.env.TIDEPOOL_BIN ?? join(root, "target/debug/tidepool");
    const out = execFileSync(cli, ["sql", "--server", url, "--token", token, "-c", "INSERT INTO app.jobs VALUES (1, 'queued'), (2, 'running')"], {
      encoding: "utf8",
    });
    assert.match(out, /2 rows affected/);
    await eventually(
      browser,
      async () => JSON.stringify(await gridRows(browser)) === JSON.stringify([["1", "queued"], ["2", "running"]]),
      "the CLI's rows did not reach the pane",
    );
    execFileSync(cli, ["sql", "--server", url, "--token", token, "-c", "UPDATE app.jobs SET state = 'done' WHERE id = 2"]);
    await eventually(
      browser,
      async () => JSON.stringify(await gridRows(browser)) === JSON.stringify([["1", "queued"], ["2", "done"]]),
      "the CLI's update did not reach the pane",
    );
  });
});

test("11. live views of any query: a grouped console result made live counts up, flashes its groups and charts them; SUBSCRIBE TO ... ORDER BY ... LIMIT keeps its order", async () => {
  await withApp("live-query", {}, async ({ browser }) => {
    await runSql(
      browser,
      "CREATE NAMESPACE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, status TEXT, total DOUBLE);\n" +
        "INSERT INTO shop.orders VALUES (1, 'open', 10), (2, 'open', 25.5), (3, 'done', 7);",
    );
    await runSql(browser, "SELECT status, count(*) AS n FROM shop.orders GROUP BY status;");
    const live = await page(browser).$("button.result-live");
    await live.waitForExist({ timeout: 5_000 });
    await live.click();
    const title = "live: SELECT status, count(*) AS n FROM shop.orders GROUP BY status";
    await browser.$(`.tab[data-tab="${title}"]`).waitForExist({ timeout: 10_000 });
    const pane = await page(browser).$(".pane");
    await eventually(browser, async () => (await pane.getAttribute("data-loading")) === "false", "the live pane did not load");
    const rowsAre = (expected, message) =>
      eventually(browser, async () => JSON.stringify(await gridRows(browser)) === JSON.stringify(expected), message);
    await rowsAre([["done", "1"], ["open", "2"]], "the grouped pane does not show the counts");
    // Derived: shown, not edited; its maintenance is named.
    assert.equal(await page(browser).$("button=+ Row").isExisting(), false);
    assert.match(await text(browser, ".tab-page:not([hidden]) .maintenance"), /^live · (incremental|re-evaluated)$/);

    await showTab(browser, "Console");
    await runSql(browser, "INSERT INTO shop.orders VALUES (4, 'open', 3), (5, 'shipped', 40);");
    await showTab(browser, title);
    await rowsAre([["done", "1"], ["open", "3"], ["shipped", "1"]], "the counts did not follow the insert");
    await eventually(browser, async () => Number(await pane.getAttribute("data-flashing")) > 0, "the changed groups did not flash");
    // The change feed names groups by their key; picking one finds its row.
    await page(browser).$("button=Changes").click();
    const entry = await page(browser).$(".change-entry.update");
    await entry.waitForExist({ timeout: 5_000 });
    assert.match(await entry.getText(), /open/);
    await entry.click();
    await browser.pause(500);
    assert.doesNotMatch(await entry.getText(), /no longer in the pane/);
    await page(browser).$("button=Changes").click();

    await page(browser).$("button=Chart").click();
    const chart = await page(browser).$(".pane-chart");
    await chart.$("canvas").waitForExist({ timeout: 5_000 });
    assert.equal(await chart.getAttribute("data-kind"), "bar");
    await eventually(browser, async () => (await chart.getAttribute("data-points")) === "3", "the chart does not show the three groups");
    await invoke(browser, "run_sql", { sql: "INSERT INTO shop.orders VALUES (6, 'returned', 9)", user: null });
    await eventually(browser, async () => (await chart.getAttribute("data-points")) === "4", "the chart did not gain the new group");

    await showTab(browser, "Console");
    await runSql(browser, "SUBSCRIBE TO SELECT id, total FROM shop.orders ORDER BY total DESC LIMIT 3;");
    await browser.$('.tab[data-tab^="live: SUBSCRIBE TO"]').waitForExist({ timeout: 10_000 });
    await rowsAre([["5", "40"], ["2", "25.5"], ["1", "10"]], "the top 3 are not in the query's order");
    await invoke(browser, "run_sql", { sql: "UPDATE shop.orders SET total = 30 WHERE id = 3", user: null });
    await rowsAre([["5", "40"], ["3", "30"], ["2", "25.5"]], "the top 3 did not follow the update");
  });
});

test("24. cancel and timeout: a long statement shows Cancel (and Esc) that stops it with the cancelled error, earlier results kept and Run back; the timeout setting stops it too", async () => {
  await withApp("cancel", {}, async ({ browser }) => {
    const values = Array.from({ length: 4000 }, (_, i) => `(${i}, ${i % 97})`).join(", ");
    await runSql(browser, `CREATE NAMESPACE app; CREATE TABLE app.big (id BIGINT PRIMARY KEY, n BIGINT); INSERT INTO app.big VALUES ${values};`);
    // 4,000 rows cross joined with themselves and ten more: many seconds of work.
    const slow = "SELECT count(*) FROM app.big a CROSS JOIN app.big b CROSS JOIN app.big c WHERE c.id < 10 AND a.n + b.n + c.n = -1";
    const running = async () => {
      const { ok } = await invoke(browser, "run_sql", { sql: "SELECT query FROM system.queries", user: null, history: false });
      return JSON.stringify(ok?.outputs[0]?.result.rows ?? []).includes("CROSS JOIN");
    };
    const consoleEl = await page(browser).$(".console");
    const stopped = async (code) => {
      await eventually(browser, async () => (await consoleEl.getAttribute("data-running")) === "false", "the run did not end");
      const error = await page(browser).$(".result-error");
      await error.waitForExist({ timeout: 5_000 });
      assert.equal(await error.getAttribute("data-code"), code);
      assert.equal(await page(browser).$("button=▶ Run").isEnabled(), true);
      assert.equal(await page(browser).$("button=Cancel").isExisting(), false);
      return error.getText();
    };

    await startSql(browser, `SELECT 1 AS one;\n${slow};\nSELECT 2 AS two;`);
    const cancel = await page(browser).$("button=Cancel");
    await cancel.waitForExist({ timeout: 5_000 });
    assert.equal(await page(browser).$("button=Running…").isEnabled(), false);
    await eventually(browser, running, "the cross join never showed in system.queries");
    await cancel.click();
    const cancelled = await stopped("cancelled");
    assert.match(cancelled, /FROM app\.big was cancelled/);
    assert.match(cancelled, /statement \d+ was cancelled/);
    // The statement before it keeps its result; the one after did not run.
    const tabs = await page(browser).$$(".result-tabs button");
    assert.equal(tabs.length, 2);
    await tabs[0].click();
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1"]]', "the first result is gone");
    await eventually(browser, async () => !(await running()), "the cross join still runs");

    // Esc in the editor cancels too.
    await startSql(browser, `${slow};`);
    await page(browser).$("button=Cancel").waitForExist({ timeout: 5_000 });
    await eventually(browser, running, "the cross join never showed in system.queries");
    await browser.keys(["Escape"]);
    assert.match(await stopped("cancelled"), /was cancelled/);

    // The statement timeout, set in the toolbar, stops the next run.
    const timeout = await page(browser).$('input[aria-label="Statement timeout in seconds"]');
    await timeout.setValue("0.5");
    await page(browser).$("button=Save").click();
    await eventually(browser, async () => !(await page(browser).$("button=Save").isExisting()), "the timeout was not saved");
    await runSql(browser, `${slow};`);
    const timedOut = await stopped("timeout");
    assert.match(timedOut, /timed out/);
    assert.match(timedOut, /statement timed out after 500 ms \(nothing was written\)/);
    const { ok } = await invoke(browser, "engine_settings", {});
    assert.equal(ok.saved.statement_timeout_ms, 500);

    // The interval saved in the live-queries view keeps the timeout.
    await browser.keys(["Control", "k"]);
    await browser.keys([..."Live queries", "Enter"]);
    const interval = await page(browser).$('input[aria-label="Re-evaluation interval in milliseconds"]');
    await interval.waitForExist({ timeout: 5_000 });
    await browser.execute((el) => el.select(), interval);
    await interval.addValue("250");
    await page(browser).$("button=Save").click();
    await eventually(browser, async () => (await invoke(browser, "engine_settings", {})).ok.saved.reevaluate_ms === 250, "the interval was not saved");
    assert.equal((await invoke(browser, "engine_settings", {})).ok.saved.statement_timeout_ms, 500);
  });
});
