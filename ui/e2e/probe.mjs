import { launch, gridRows, page } from "./app.mjs";
const app = await launch({ db: "/tmp/mdb" });
const { browser } = app;
try {
  await browser.setWindowSize(1280, 800);
  const t0 = Date.now();
  await browser.$('[data-table="big.rows"]').click();
  await browser.waitUntil(async () => (await gridRows(browser)).length > 0, { timeout: 60000, interval: 20 });
  const first = Date.now() - t0;
  const rows = await gridRows(browser);
  await browser.waitUntil(async () => (await page(browser).$(".pane").getAttribute("data-loading")) === "false", { timeout: 120000, interval: 100 });
  const all = Date.now() - t0;
  console.log(`first rows after ${first} ms (${rows[0]}), snapshot complete after ${all} ms`);
  await browser.saveScreenshot("/tmp/million.png");
} finally { await app.close(); }
