// Takes the README's screenshots from the real app: the catalog tree with a live pane
// mid-update, the console with results, the console with an error, and the Local API
// setting.
import { mkdirSync } from "node:fs";
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
