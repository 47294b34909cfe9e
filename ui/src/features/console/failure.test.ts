import { describe, expect, it } from "vitest";

import type { IpcError } from "../../bindings/IpcError";
import { failureHeading, failureNote, wasStopped } from "./failure";

const error = (code: string, message: string, line: number | null = null, column: number | null = null): IpcError => ({
  code,
  message,
  line,
  column,
  did_you_mean: null,
});

describe("failureHeading", () => {
  it("says a cancelled or timed-out statement was stopped, and where others failed", () => {
    const cancelled = error("cancelled", "statement 12 was cancelled");
    const timeout = error("timeout", "statement timed out after 300 ms (nothing was written)");
    expect(failureHeading("SELECT … FROM app.big", cancelled)).toBe("SELECT … FROM app.big was cancelled");
    expect(failureHeading("INSERT INTO app.copy", timeout)).toBe("INSERT INTO app.copy timed out");
    expect(failureHeading("SELEC", error("syntax", "bad", 2, 1))).toBe("SELEC failed at line 2, column 1");
    expect(failureHeading("INSERT INTO app.t", error("not_null", "null"))).toBe("INSERT INTO app.t failed");
    expect([cancelled, timeout].every(wasStopped)).toBe(true);
    expect(wasStopped(error("resources_exhausted", "memory"))).toBe(false);
  });
});

describe("failureNote", () => {
  it("says what a stop or a full disk left behind and points at the timeout setting", () => {
    expect(failureNote(error("cancelled", "statement 3 was cancelled"))).toMatch(/^Nothing it would have written was written/);
    expect(failureNote(error("timeout", "statement timed out after 300 ms (nothing was written)"))).toMatch(/statement timeout \(Timeout, in the console's toolbar\)/);
    expect(failureNote(error("disk_full", "the disk holding the database is full"))).toMatch(/free space on that disk and run it again\.$/);
    expect(failureNote(error("syntax", "bad"))).toBeNull();
  });
});
