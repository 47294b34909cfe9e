// Takes the README's screenshots of a server's database from the real app: the Connect
// to Server dialog after Test, and a pane whose server went away saying reconnecting….
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { eventually, launch, openTable, page } from "./app.mjs";
import { serve, sql } from "./served.mjs";

const out = resolve(import.meta.dirname, "../../docs/screenshots");
mkdirSync(out, { recursive: true });

const server = await serve();
sql(
  server,
  server.token,
  `CREATE NAMESPACE shop; CREATE TABLE shop.orders (id BIGINT PRIMARY KEY, customer TEXT NOT NULL, status TEXT, total DOUBLE);
   INSERT INTO shop.orders VALUES (1, 'ada', 'paid', 120.5), (2, 'bob', 'open', 33), (3, 'cy', 'shipped', 410.25), (4, 'dee', 'open', 18.75)`,
);
const app = await launch();
const { browser } = app;
try {
  await browser.setWindowSize(1280, 800);
  await browser.execute(() => window.dispatchEvent(new CustomEvent("tidepool:connect-server")));
  const dialog = await browser.$('[data-dialog="connect-server"]');
  await dialog.waitForExist({ timeout: 10_000 });
  await dialog.$('input[name="url"]').setValue(server.url);
  await dialog.$('input[name="token"]').setValue(server.token);
  await dialog.$('button[data-action="test"]').click();
  await dialog.$(".connect-ok").waitForExist({ timeout: 10_000 });
  await browser.pause(300);
  await browser.saveScreenshot(join(out, "connect.png"));
  await dialog.$('button[data-action="connect"]').click();
  await eventually(browser, async () => (await browser.$(".db-path").getText()).includes(server.url), "not connected");
  await openTable(browser, "shop.orders");
  await server.stop();
  await eventually(browser, async () => (await page(browser).$(".pane").getAttribute("data-link")) === "reconnecting", "no reconnecting");
  await browser.pause(300);
  await browser.saveScreenshot(join(out, "remote-reconnecting.png"));
  console.log(`screenshots written to ${out}`);
} finally {
  await app.close();
  await server.stop();
}
