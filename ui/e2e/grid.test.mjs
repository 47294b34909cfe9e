// End-to-end scenarios of the grids and the catalog tree from the keyboard: columns
// sized to their contents (a dragged width stays), Ctrl+Home / Ctrl+End, and the tree
// walked with the arrows. The real debug build under Xvfb (see app.mjs).
import assert from "node:assert/strict";
import { test } from "node:test";

import { clickCell, columnWidths, eventually, gridRows, invoke, openTable, page, runSql, showTab, withApp } from "./app.mjs";

const LONG = "a note long enough to need a wide column, longer than 90 px";

/** `[column, row]` of the visible grid's selected cell (its accessible table's cell id). */
function selectedCell(browser) {
  return browser.execute(() => {
    const cell = document.querySelector('.tab-page:not([hidden]) table[role="grid"] td[aria-selected="true"]');
    const [, col, row] = /^glide-cell-(\d+)-(\d+)$/.exec(cell?.id ?? "") ?? [];
    return cell ? [Number(col), Number(row)] : null;
  });
}

test("21. grid: columns fit their header and contents within limits, in panes and console results; a dragged width stays", async () => {
  await withApp("column-widths", {}, async ({ browser }) => {
    await runSql(
      browser,
      "CREATE NAMESPACE shop; CREATE TABLE shop.notes (id INT PRIMARY KEY, customer_reference TEXT, body TEXT, essay TEXT);\n" +
        `INSERT INTO shop.notes VALUES (1, 'c1', '${LONG}', '${"x".repeat(400)}'), (2, 'c2', 'short', NULL);`,
    );
    await openTable(browser, "shop.notes");
    const [id, reference, body, essay] = await columnWidths(browser);
    assert.ok(id >= 64 && id < 110, `id: ${id}`);
    // The header decides a column of short values; the content a column of long ones.
    assert.ok(reference > 150 && reference < 260, `customer_reference: ${reference}`);
    assert.ok(body > 330 && body < 420, `body: ${body}`);
    assert.equal(essay, 420, "a very long value is capped");

    // Drag the body column's right edge 120 px to the left: that width stays while rows change.
    const canvas = await page(browser).$('canvas[data-testid="data-grid-canvas"]');
    const { width, height } = await canvas.getSize();
    const edge = 48 + id + reference + body - 1;
    const at = (x) => ({ origin: canvas, x: Math.round(x - width / 2), y: Math.round(17 - height / 2) });
    await browser.action("pointer").move(at(edge)).down().move(at(edge - 60)).move(at(edge - 120)).up().perform();
    await eventually(browser, async () => Math.abs((await columnWidths(browser))[2] - (body - 120)) <= 2, "the drag did not resize the column");
    await invoke(browser, "run_sql", { sql: `INSERT INTO shop.notes VALUES (3, 'c3', '${LONG} and then some more', NULL)`, user: null });
    await eventually(browser, async () => (await gridRows(browser)).length === 3, "the new row did not arrive");
    assert.ok(Math.abs((await columnWidths(browser))[2] - (body - 120)) <= 2, "the dragged width did not stay");

    // A console result is fitted the same way.
    await showTab(browser, "Console");
    await runSql(browser, "SELECT id, body FROM shop.notes ORDER BY id;");
    const [resultId, resultBody] = await columnWidths(browser);
    assert.ok(resultId >= 64 && resultId < 110, `result id: ${resultId}`);
    assert.ok(resultBody > 360 && resultBody <= 420, `result body: ${resultBody}`);
  });
});

test("22. grid: Ctrl+End and Ctrl+Home go to the last and first row and keep the column, in a pane and a console result", async () => {
  await withApp("grid-home-end", {}, async ({ browser }) => {
    const values = Array.from({ length: 500 }, (_, i) => `(${i}, 'name ${i}', ${i * 2})`).join(", ");
    await runSql(browser, `CREATE NAMESPACE app; CREATE TABLE app.items (id INT PRIMARY KEY, name TEXT, qty INT); INSERT INTO app.items VALUES ${values};`);
    await openTable(browser, "app.items");
    await clickCell(browser, 1, 2);
    await eventually(browser, async () => (await selectedCell(browser))?.[1] === 2, "the click did not select the cell");
    const start = await selectedCell(browser);
    await browser.keys(["Control", "End"]);
    await eventually(browser, async () => JSON.stringify(await selectedCell(browser)) === JSON.stringify([start[0], 499]), "Ctrl+End did not go to the last row");
    await eventually(browser, async () => (await gridRows(browser)).some((r) => r[0] === "499"), "the last row is not on screen");
    await browser.keys(["Control", "Home"]);
    await eventually(browser, async () => JSON.stringify(await selectedCell(browser)) === JSON.stringify([start[0], 0]), "Ctrl+Home did not go to the first row");
    await eventually(browser, async () => (await gridRows(browser))[0]?.[0] === "0", "the first row is not on screen");

    await showTab(browser, "Console");
    await runSql(browser, "SELECT id, name, qty FROM app.items ORDER BY id;");
    // The result grid numbers its rows (a narrower marker) and keeps Glide's row height.
    const canvas = await page(browser).$('canvas[data-testid="data-grid-canvas"]');
    const { width, height } = await canvas.getSize();
    await canvas.click({ x: Math.round(60 - width / 2), y: Math.round(36 + 34 + 17 - height / 2) });
    await browser.keys(["ArrowRight"]);
    await eventually(browser, async () => (await selectedCell(browser))?.[1] === 1, "the click did not select the cell");
    const picked = await selectedCell(browser);
    await browser.keys(["Control", "End"]);
    await eventually(browser, async () => JSON.stringify(await selectedCell(browser)) === JSON.stringify([picked[0], 499]), "Ctrl+End in a result");
    await browser.keys(["Control", "Home"]);
    await eventually(browser, async () => JSON.stringify(await selectedCell(browser)) === JSON.stringify([picked[0], 0]), "Ctrl+Home in a result");
  });
});

test("23. catalog tree from the keyboard: arrows move, Right/Left expand and collapse, Enter opens a table, typing jumps, the menu key opens the menu", async () => {
  await withApp("tree-keys", {}, async ({ browser }) => {
    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.accounts (id INT PRIMARY KEY); CREATE TABLE app.orders (id INT PRIMARY KEY); CREATE TABLE app.zones (id INT PRIMARY KEY);");
    await browser.$('[data-table="app.zones"]').waitForExist({ timeout: 5_000 });
    const focused = () => browser.execute(() => document.activeElement?.getAttribute("data-tree-id") ?? null);
    const press = async (keys, expected) => {
      await browser.keys(keys);
      await eventually(browser, async () => (await focused()) === expected, `after ${keys.join("+")}: expected ${expected}, focus on ${await focused()}`);
    };
    // Ctrl+Shift+E goes to the tree.
    await press(["Control", "Shift", "e"], "ns:system");
    await press(["ArrowLeft"], "ns:system");
    assert.equal(await browser.$('[data-table="system.tables"]').isExisting(), false, "Left did not collapse system");
    assert.equal(await browser.$('[data-namespace="system"]').getAttribute("aria-expanded"), "false");
    await press(["ArrowDown"], "ns:app");
    await press(["ArrowRight"], "table:app.accounts");
    await press(["ArrowDown"], "table:app.orders");
    await browser.keys(["Enter"]);
    await browser.$('.tab[data-tab="app.orders"]').waitForExist({ timeout: 10_000 });
    // The tree keeps the focus for the next table.
    assert.equal(await focused(), "table:app.orders");
    await press(["ArrowLeft"], "ns:app");
    await press(["ArrowLeft"], "ns:app");
    assert.equal(await browser.$('[data-table="app.orders"]').isExisting(), false, "Left did not collapse app");
    await press(["ArrowRight"], "ns:app");
    await browser.$('[data-table="app.orders"]').waitForExist({ timeout: 5_000 });
    await press(["z"], "table:app.zones");
    await press(["Home"], "ns:system");
    await press(["ArrowRight"], "ns:system");
    await browser.$('[data-table="system.tables"]').waitForExist({ timeout: 5_000 });
    await press(["End"], "table:app.zones");
    // The menu of the focused table, from the keyboard's menu key (WebDriver has no
    // such key, and WebKitWebDriver sends Shift+F10 as F10, which GTK gives the menu
    // bar): the key event the webview would get.
    await browser.execute(() =>
      document.activeElement.dispatchEvent(new KeyboardEvent("keydown", { key: "ContextMenu", bubbles: true, cancelable: true })),
    );
    const menu = await browser.$(".tree .context-menu");
    await menu.waitForExist({ timeout: 5_000 });
    await eventually(browser, async () => (await browser.execute(() => document.activeElement?.textContent)) === "Open on the right", "the menu did not take the focus");
    await browser.keys(["ArrowDown"]);
    assert.equal(await browser.execute(() => document.activeElement?.textContent), "Export…");
    await press(["Escape"], "table:app.zones");
    assert.equal(await menu.isExisting(), false);
  });
});
