// The README's first screenshot, from the real app: a first start on a fresh machine,
// which opens the demo shop with its orders moving (run by `npm run screenshots`).
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";

import { launch, tempDir } from "./app.mjs";

const out = resolve(import.meta.dirname, "../../docs/screenshots");
mkdirSync(out, { recursive: true });

const app = await launch({ db: null, home: tempDir("tidepool-shots-home-") });
try {
  const { browser } = app;
  await browser.setWindowSize(1280, 800);
  const pane = await browser.$(".tab-page:not([hidden]) .pane");
  await pane.waitForExist({ timeout: 20_000 });
  // A few seconds of the demo writer: the feed fills, rows come and go, cells flash.
  await browser.pause(4000);
  await browser.waitUntil(async () => Number(await pane.getAttribute("data-flashing")) > 0, { timeout: 5_000 });
  await browser.saveScreenshot(join(out, "demo.png"));
  console.log(`screenshot written to ${join(out, "demo.png")}`);
} finally {
  await app.close();
}
