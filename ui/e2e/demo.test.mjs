// The first run: the app started with no database on a fresh machine opens the demo
// shop, whose orders pane changes with nobody typing, and the status bar's demo writer
// switch stops it.
import assert from "node:assert/strict";
import { test } from "node:test";

import { eventually, tempDir, withApp } from "./app.mjs";

const text = async (browser, selector) => (await browser.$(selector)).getText();

test("demo: a first start opens the demo, its orders pane changes on its own, and Pause in the status bar stops it", async () => {
  const home = tempDir("tidepool-e2e-home-");
  await withApp("demo", { db: null, home }, async ({ browser, data }) => {
    await eventually(
      browser,
      async () => (await text(browser, ".db-path")) === `${data}/databases/demo`,
      "the status bar does not show the demo database",
    );
    // The orders pane in front with its change feed, a console of examples beside it.
    const pane = await browser.$(".tab-page:not([hidden]) .pane");
    await pane.waitForExist({ timeout: 20_000 });
    assert.ok(await browser.$('.tab[data-tab="shop.orders"]').isExisting());
    await browser.waitUntil(async () => (await pane.getAttribute("data-loading")) === "false", { timeout: 20_000 });
    assert.ok(await pane.$(".change-feed").isExisting(), "the change feed is open");
    assert.ok(await browser.$('.tab[data-tab="Console"]').isExisting());
    const consoleText = await browser.execute(() => document.querySelector(".console .cm-content")?.textContent ?? "");
    assert.match(consoleText, /SUBSCRIBE TO SELECT status, count\(\*\) AS orders FROM shop\.orders GROUP BY status;/);
    assert.ok(await browser.$('[data-table="shop.customers"]').isExisting());
    assert.match(await text(browser, '[data-table="shop.events"]'), /STREAM/);

    // Nobody types, the orders change: the pane's seq moves and the feed fills.
    const writer = await browser.$(".demo-writer");
    assert.equal(await writer.getAttribute("data-demo-writer"), "running");
    assert.match(await writer.getText(), /demo writer/i);
    const seq = async () => Number(await pane.getAttribute("data-seq"));
    const first = await seq();
    await eventually(browser, async () => (await seq()) > first, "the orders pane did not change on its own");
    const second = await seq();
    await eventually(browser, async () => (await seq()) > second, "the orders pane changed only once");
    await eventually(
      browser,
      async () => (await pane.$$(".change-feed .change-entry")).length >= 2,
      "the change feed shows no changes",
    );

    // Pause from the status bar: nothing changes any more.
    await writer.$("button=Pause").click();
    await eventually(browser, async () => (await writer.getAttribute("data-demo-writer")) === "paused", "the writer did not pause");
    await browser.pause(800);
    const paused = { pane: await seq(), status: await text(browser, ".statusbar") };
    await browser.pause(2500);
    assert.equal(await seq(), paused.pane, "the orders pane changed while the writer was paused");
    assert.match(paused.status, /paused/);
    const statusSeq = (s) => s.match(/seq (\d+)/)?.[1];
    assert.equal(statusSeq(await text(browser, ".statusbar")), statusSeq(paused.status), "the database changed while paused");

    // Resume: it goes on.
    await writer.$("button=Resume").click();
    await eventually(browser, async () => (await seq()) > paused.pane, "the writer did not resume");
  });
});
