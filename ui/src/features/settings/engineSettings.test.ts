import { describe, expect, it } from "vitest";

import { appliesWhen, parseReevaluateMs, parseTimeoutSeconds, syncWritesNote, timeoutText } from "./engineSettings";

describe("parseReevaluateMs", () => {
  it("takes a whole number of milliseconds from 1 to 60,000", () => {
    expect(parseReevaluateMs(" 250 ")).toEqual({ ms: 250 });
    expect(parseReevaluateMs("1")).toEqual({ ms: 1 });
    expect(parseReevaluateMs("60000")).toEqual({ ms: 60_000 });
    for (const wrong of ["", "0", "60001", "2.5", "-5", "fast", "1e3x"]) {
      expect(parseReevaluateMs(wrong)).toHaveProperty("error");
    }
  });
});

describe("appliesWhen", () => {
  it("says the open database keeps the interval it was opened with", () => {
    const at = (saved: number, open: number | null) => ({
      saved: { reevaluate_ms: saved, statement_timeout_ms: null, sync_writes: false },
      open: open === null ? null : { reevaluate_ms: open, statement_timeout_ms: null, sync_writes: false },
    });
    expect(appliesWhen(at(100, 100))).toBe("The open database uses it.");
    expect(appliesWhen(at(250, 100))).toMatch(/opened from now on; the open one keeps 100 ms until the app next opens it/);
    expect(appliesWhen(at(250, null))).toBe("Applies to the next database opened.");
  });
});

describe("parseTimeoutSeconds", () => {
  it("takes seconds (fractions too) up to a day, and empty or none for no limit", () => {
    expect(parseTimeoutSeconds("30")).toEqual({ ms: 30_000 });
    expect(parseTimeoutSeconds(" 1.5 ")).toEqual({ ms: 1_500 });
    expect(parseTimeoutSeconds(".25")).toEqual({ ms: 250 });
    expect(parseTimeoutSeconds("0.001")).toEqual({ ms: 1 });
    expect(parseTimeoutSeconds("86400")).toEqual({ ms: 86_400_000 });
    for (const none of ["", "  ", "none", "Off"]) expect(parseTimeoutSeconds(none)).toEqual({ ms: null });
    for (const wrong of ["0", "0.0001", "86401", "-5", "1e3", "5s", "fast", "1.2.3", "Infinity"]) {
      expect(parseTimeoutSeconds(wrong)).toHaveProperty("error");
    }
  });

  it("reads back what timeoutText shows", () => {
    for (const ms of [1, 250, 1_500, 30_000, 86_400_000]) {
      expect(parseTimeoutSeconds(timeoutText(ms))).toEqual({ ms });
    }
    expect(timeoutText(null)).toBe("");
    expect(timeoutText(300)).toBe("0.3");
  });
});

describe("syncWritesNote", () => {
  const at = (saved: boolean, open: boolean | null) => ({
    saved: { reevaluate_ms: 100, statement_timeout_ms: null, sync_writes: saved },
    open: open === null ? null : { reevaluate_ms: 100, statement_timeout_ms: null, sync_writes: open },
  });
  it("says what each mode survives", () => {
    expect(syncWritesNote(at(true, true))).toMatch(/^Every commit is flushed to disk .* power loss or OS crash\.$/);
    expect(syncWritesNote(at(false, false))).toMatch(/^A commit survives the app being killed; .* power loss/);
  });
  it("says the open database keeps how it was opened", () => {
    expect(syncWritesNote(at(true, false))).toMatch(/the open one keeps fsync off until the app next opens it\.$/);
    expect(syncWritesNote(at(false, true))).toMatch(/the open one keeps fsync on until/);
    expect(syncWritesNote(at(true, null))).toMatch(/Applies to the next database opened\.$/);
  });
});
