// Takes the README's screenshots from the real app: the catalog tree with a live pane
// mid-update, the console with results, the console with an error, a split with a
// change feed in the dark theme, the import dialog, and the Local API setting.
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

import { launch, runSql } from "./app.mjs";

const out = resolve(import.meta.dirname, "../../docs/screenshots");
mkdirSync(out, { recursive: true });

const customers = ["ada", "bob", "cy", "dee", "eve", "fox", "gus", "hal"];
const statuses = ["open", "paid", "shipped"];
const values = Array.from({ length: 5000 }, (_, i) => {
  const id = i + 1;
  return `(${id}, '${customers[id % customers.length]}', '${statuses[id % statuses.length]}', ${((id * 37) % 500) + 0.5})`;
}).join(", ");

const app = await launch();
const { browser } = app;
try {
  await browser.setWindowSize(1280, 800);
  await runSql(
    browser,
    `CREATE NAMESPACE shop;
CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL, status TEXT, total DOUBLE);
CREATE USER TABLE shop.carts (id INT PRIMARY KEY, item TEXT);
CREATE STREAM TABLE shop.clicks (id BIGINT PRIMARY KEY DEFAULT SNOWFLAKE_ID(), path TEXT) WITH (TTL_SECONDS = 3600);
INSERT INTO shop.orders VALUES ${values};`,
  );
  await runSql(
    browser,
    `SELECT customer, COUNT(*) AS orders, ROUND(SUM(total), 2) AS revenue
FROM shop.orders
GROUP BY customer
ORDER BY revenue DESC;`,
  );
  await browser.pause(500);
  await browser.saveScreenshot(join(out, "console-results.png"));

  await runSql(browser, `SELECT customer, total\nFROM shop.orders\nWHERE total > 100 AND\nORDER BY total;`);
  await browser.$(".result-error").waitForExist({ timeout: 10_000 });
  await browser.pause(300);
  await browser.saveScreenshot(join(out, "console-error.png"));

  await browser.$('[data-table="shop.orders"]').click();
  await browser.$(".pane").waitForExist({ timeout: 10_000 });
  await browser.waitUntil(async () => (await browser.$(".pane").getAttribute("data-rows")) === "5000", { timeout: 20_000 });
  // Another writer: updates and inserts through the app's own IPC while the pane is shown.
  await browser.execute(() => {
    const invoke = window.__TAURI_INTERNALS__.invoke;
    let n = 0;
    const timer = setInterval(() => {
      n += 1;
      const id = 1 + ((n * 7) % 25);
      void invoke("run_sql", {
        sql: `UPDATE shop.orders SET status = 'paid', total = total + 1 WHERE id = ${id}; INSERT INTO shop.orders VALUES (${6000 + n}, 'new', 'open', ${n});`,
        user: null,
      });
      if (n >= 60) clearInterval(timer);
    }, 40);
  });
  await browser.pause(1200);
  await browser.saveScreenshot(join(out, "live-pane.png"));

  // The same table again on the right, filtered, with its change feed, in the dark theme.
  await browser.$('[data-table="shop.orders"]').click();
  await browser.waitUntil(async () => (await browser.$$('.tab[data-tab="shop.orders"]')).length === 2, { timeout: 10_000 });
  const splitButtons = await browser.$$('.tab[data-tab="shop.orders"] button[aria-label="Split shop.orders to the right"]');
  await splitButtons[1].click();
  const right = await browser.$('.tab-page[data-side="1"]:not([hidden])');
  await right.$('input[aria-label="Filter"]').setValue("status = 'open' AND total > 300");
  await browser.keys(["Enter"]);
  await right.$(".pane-toolbar").$("button=Changes").click();
  await browser.$('select[aria-label="Theme"]').selectByAttribute("value", "dark");
  await browser.execute(() => {
    const invoke = window.__TAURI_INTERNALS__.invoke;
    let n = 0;
    const timer = setInterval(() => {
      n += 1;
      void invoke("run_sql", {
        sql: `UPDATE shop.orders SET status = 'open', total = total + 200 WHERE id = ${(n * 13) % 400 + 1}; INSERT INTO shop.orders VALUES (${7000 + n}, 'eve', 'open', ${300 + n});`,
        user: null,
        history: false,
      });
      if (n >= 40) clearInterval(timer);
    }, 50);
  });
  await browser.pause(1500);
  await browser.saveScreenshot(join(out, "split-dark.png"));
  // The theme choice is the user's, kept in the webview's storage: leave it as found.
  await browser.$('select[aria-label="Theme"]').selectByAttribute("value", "system");

  // The import dialog with a file's preview.
  const csv = join(mkdtempSync(join(tmpdir(), "tidepool-shots-")), "customers.csv");
  writeFileSync(csv, "id,name,joined,vip\n1,Ada,2024-01-05,true\n2,Bob,2024-02-11,false\n3,Cy,2024-03-20,true\n4,Dee,2024-04-02,false\n");
  await browser.$('.sidebar-actions button[aria-label="Import a file"]').click();
  const dialog = await browser.$('[role="dialog"]');
  await dialog.$('input[aria-label="File to import"]').setValue(csv);
  await dialog.$('input[aria-label="New table namespace"]').waitForExist({ timeout: 10_000 });
  await dialog.$('input[aria-label="New table namespace"]').setValue("shop");
  await browser.pause(500);
  await browser.saveScreenshot(join(out, "import.png"));
  await browser.keys(["Escape"]);

  await browser.$(".api-button").click();
  await browser.$('.local-api input[aria-label="Port"]').setValue("0");
  await browser.$('.local-api input[aria-label="Serve this database"]').click();
  await browser.$(".local-api input[data-url]").waitForExist({ timeout: 10_000 });
  await browser.pause(300);
  await browser.saveScreenshot(join(out, "local-api.png"));
  console.log(`screenshots written to ${out}`);
} finally {
  await app.close();
}
