// The app as its .deb installs it: scripts/check-package unpacks the package and points
// TIDEPOOL_STUDIO_BIN at the usr/bin/tidepool-studio in it. Not named *.test.mjs, so
// the end-to-end suite (which runs the build tree's binary) leaves it out.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { test } from "node:test";

import { binary, invoke, runSql, withApp } from "./app.mjs";

const TITLE = "Tidepool Studio";

function x11(command, args) {
  const run = spawnSync(command, args, { encoding: "utf8" });
  assert.equal(run.status, 0, `${command} ${args.join(" ")}: ${run.stderr}`);
  return run.stdout;
}

test("the installed binary opens its window with the embedded UI and a working engine", async () => {
  assert.ok(process.env.TIDEPOOL_STUDIO_BIN, "run through scripts/check-package, which names the installed binary");
  await withApp("installed", {}, async ({ browser }) => {
    // launch() has waited for the catalog tree: the page loaded and the engine answered.
    const where = await browser.execute(() => `${location.protocol}//${location.host}`);
    assert.equal(where, "tauri://localhost", "the UI comes from the binary, not from a dev server");
    const info = await invoke(browser, "database_info", {});
    assert.ok(info.ok, `database_info: ${JSON.stringify(info.error)}`);

    await runSql(browser, "CREATE NAMESPACE app; CREATE TABLE app.t (id INT PRIMARY KEY); INSERT INTO app.t VALUES (1)");
    await browser.$('[data-table="app.t"]').waitForExist({ timeout: 10_000 });

    // The X window: mapped, titled as tauri.conf.json says, of the class the desktop
    // entry's StartupWMClass names (so a dock groups the window with its launcher).
    assert.match(x11("xwininfo", ["-name", TITLE]), /Map State: IsViewable/);
    const wmClass = process.env.TIDEPOOL_STUDIO_WM_CLASS;
    if (wmClass) assert.match(x11("xprop", ["-name", TITLE, "WM_CLASS"]), new RegExp(`"${wmClass}"`));
  });
  console.log(`started ${binary}`);
});
