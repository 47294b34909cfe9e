// End-to-end scenarios of the SQL console's rough edges: long lines, result tabs
// named after their statements, drafts kept per database, "did you mean". The real
// debug build under Xvfb, each scenario on a fresh database folder (see app.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { eventually, gridRows, invoke, page, runSql, tempDir, withApp } from "./app.mjs";

/** The visible console's result tabs as the user sees them. */
function resultTabs(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll('.tab-page:not([hidden]) .result-tabs [role="tab"]')].map((tab) => ({
      label: tab.querySelector(".label").textContent,
      count: tab.querySelector(".count")?.textContent ?? null,
      failed: tab.classList.contains("failed"),
      title: tab.title,
    })),
  );
}

test("17. console: result tabs are named after their statements, the full text on hover; the error tab names the one that failed", async () => {
  await withApp("result-tabs", {}, async ({ browser }) => {
    const script = [
      "CREATE NAMESPACE shop;",
      "CREATE TABLE shop.orders (id INT PRIMARY KEY, status TEXT);",
      "INSERT INTO shop.orders VALUES (1, 'open'), (2, 'paid');",
      "SELECT id, status\n  FROM shop.orders\n  ORDER BY id;",
      "SELECT count(*) FROM shop.orders;",
      "SELECT * FROM shop.ordrs;",
      "SELECT 'never runs';",
    ].join("\n");
    await runSql(browser, script);
    const tabs = await resultTabs(browser);
    assert.deepEqual(
      tabs.map((t) => [t.label, t.count, t.failed]),
      [
        ["CREATE NAMESPACE shop", null, false],
        ["CREATE TABLE shop.orders", null, false],
        ["INSERT INTO shop.orders", "2", false],
        ["SELECT … FROM shop.orders", "2", false],
        ["SELECT … FROM shop.orders (2)", "1", false],
        ["SELECT … FROM shop.ordrs", null, true],
      ],
    );
    assert.equal(tabs[3].title, "SELECT id, status\n  FROM shop.orders\n  ORDER BY id");
    assert.match(tabs[5].title, /^Failed: table 'shop\.ordrs' does not exist/);
    assert.match(tabs[5].title, /SELECT \* FROM shop\.ordrs$/);
    // The run stops at the error, whose tab is shown and names the statement.
    const error = await page(browser).$(".result-error");
    assert.match(await error.$("strong").getText(), /^SELECT … FROM shop\.ordrs failed/);
  });
});

/**
 * Elements scrolled sideways, or clipping content wider than they are, outside the
 * editor's own scroller, the grid and text cut with an ellipsis.
 */
function sidewaysScrolled(browser) {
  return browser.execute(() =>
    [...document.querySelectorAll("*")]
      .filter((e) => !e.closest(".cm-scroller, .result-grid"))
      .filter((e) => {
        const style = getComputedStyle(e);
        const clipped = e.scrollWidth > e.clientWidth + 1 && style.overflowX === "hidden" && style.textOverflow !== "ellipsis";
        return e.scrollLeft > 0 || clipped;
      })
      .map((e) => `${e.tagName.toLowerCase()}.${e.className} (scrollLeft ${e.scrollLeft}, ${e.scrollWidth} > ${e.clientWidth})`),
  );
}

test("18. console: a long line scrolls inside the editor; the Run button and line numbers stay in place", async () => {
  await withApp("long-line", {}, async ({ browser }) => {
    const columns = Array.from({ length: 60 }, (_, i) => `'value number ${i}' AS column_${i}`).join(", ");
    const place = () =>
      browser.execute(() => {
        const left = (selector) => Math.round(document.querySelector(`.tab-page:not([hidden]) ${selector}`).getBoundingClientRect().left);
        const scroller = document.querySelector(".tab-page:not([hidden]) .cm-scroller");
        return { console: left(".console"), run: left(".console-toolbar button.primary"), gutters: left(".cm-gutters"), scrolled: scroller.scrollLeft };
      });
    const home = await place();
    for (const sql of [
      `SELECT ${columns};`,
      `SELECT ${columns} FROM nowhere.at_all;`,
      `CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY, s TEXT);\nSUBSCRIBE TO SELECT id, s FROM app.t WHERE s <> '${"x".repeat(2000)}';`,
    ]) {
      await runSql(browser, sql);
      if (sql.startsWith("CREATE")) await browser.$('.tab[data-tab="Console"] button[role="tab"]').click();
      // The caret at the end of the long line, then typing there.
      await page(browser).$(".cm-content").click();
      await browser.keys(["Control", "End"]);
      await browser.keys(" -- end".split(""));
      await browser.pause(200);
      const now = await place();
      assert.ok(now.scrolled > 0, `the editor did not scroll to the caret: ${JSON.stringify(now)}`);
      assert.deepEqual({ ...now, scrolled: 0 }, { ...home, scrolled: 0 }, "the console moved sideways");
      assert.deepEqual(await sidewaysScrolled(browser), []);
    }
  });
});

/** The visible console's text. */
function consoleText(browser) {
  return browser.execute(() => document.querySelector(".tab-page:not([hidden]) .cm-content")?.cmTile?.root?.view?.state.doc.toString() ?? null);
}

/** Replaces the visible console's text, as an edit in it would (nothing runs). */
async function typeInConsole(browser, text) {
  await page(browser).$(".cm-content").click();
  await browser.execute((text) => {
    const view = document.querySelector(".tab-page:not([hidden]) .cm-content").cmTile.root.view;
    view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } });
  }, text);
}

test("19. console: each database keeps its own console drafts, across switching databases and restarts", async () => {
  const a = tempDir("tidepool-e2e-db-a-");
  const b = tempDir("tidepool-e2e-db-b-");
  const data = tempDir("tidepool-e2e-data-");
  const textIs = (browser, expected, what) =>
    eventually(browser, async () => (await consoleText(browser)) === expected, `${what}: expected ${JSON.stringify(expected)}`);
  const consoles = (browser) => browser.$$('.tab[data-tab="Console"] button[role="tab"]');
  /** Opens another database and waits for its tabs (`count` consoles) to come back. */
  const switchTo = async (browser, db, count) => {
    await invoke(browser, "open_database", { path: db });
    await eventually(browser, async () => (await browser.$(".db-path").getText()) === db, `${db} did not open`);
    await eventually(browser, async () => (await consoles(browser)).length === count, `${db}'s ${count} consoles did not come back`);
    await browser.pause(300);
    await (await consoles(browser))[0].click();
  };
  await withApp("drafts-1", { db: a, data }, async ({ browser }) => {
    await browser.$('.tab[data-tab="Console"] button[role="tab"]').click();
    await textIs(browser, "SELECT * FROM system.tables;", "a new database's console");
    await typeInConsole(browser, "SELECT 1 AS from_a;");
    await textIs(browser, "SELECT 1 AS from_a;", "typed in a");
    // Saved a moment after the last keystroke.
    await browser.pause(1000);
    await switchTo(browser, b, 1);
    await textIs(browser, "SELECT * FROM system.tables;", "b's console shows a's draft");
    await typeInConsole(browser, "SELECT 2 AS from_b;");
    await browser.pause(1000);
    await switchTo(browser, a, 1);
    await textIs(browser, "SELECT 1 AS from_a;", "a's draft did not come back");
    // A second console of its own.
    await browser.$(".strip button[title^='New console']").click();
    await textIs(browser, "", "a new console is not empty");
    await typeInConsole(browser, "SELECT 3 AS second_of_a;");
    await browser.pause(1000);
  });
  await withApp("drafts-2", { db: b, data }, async ({ browser }) => {
    await browser.$('.tab[data-tab="Console"] button[role="tab"]').click();
    await textIs(browser, "SELECT 2 AS from_b;", "b's draft after a restart");
    assert.equal((await consoles(browser)).length, 1);
    await switchTo(browser, a, 2);
    await textIs(browser, "SELECT 1 AS from_a;", "a's first console after a restart");
    await (await consoles(browser))[1].click();
    await textIs(browser, "SELECT 3 AS second_of_a;", "a's second console after a restart");
  });
});

test("20. console: a misspelled table gets a \"did you mean\", marked where it is written, and one click puts the right name there", async () => {
  await withApp("did-you-mean", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE shop; CREATE TABLE shop.orders (id INT PRIMARY KEY, total DOUBLE); INSERT INTO shop.orders VALUES (1, 9.5);");
    await runSql(browser, "SELECT id,\n  total\nFROM shop.ordrs\nWHERE id > 0;");
    const error = await page(browser).$(".result-error");
    await error.waitForExist({ timeout: 5_000 });
    assert.match(await error.$("pre").getText(), /^table 'shop\.ordrs' does not exist; did you mean shop\.orders\?$/);
    // The editor marks the misspelled name itself.
    const marked = await browser.execute(() => document.querySelector(".tab-page:not([hidden]) .cm-lintRange-error")?.textContent ?? null);
    assert.equal(marked, "shop.ordrs");
    await error.$("button.fix=Use shop.orders").click();
    assert.equal(await consoleText(browser), "SELECT id,\n  total\nFROM shop.orders\nWHERE id > 0;");
    await browser.keys(["Control", "Enter"]);
    await eventually(browser, async () => JSON.stringify(await gridRows(browser)) === '[["1","9.5"]]', "the fixed statement did not run");
    // A misspelled column, qualified: the qualifier stays.
    await runSql(browser, "SELECT o.totl FROM shop.orders o;");
    assert.match(await page(browser).$(".result-error pre").getText(), /did you mean o\.total\?$/);
    await page(browser).$(".result-error button.fix").click();
    assert.equal(await consoleText(browser), "SELECT o.total FROM shop.orders o;");
  });
});
