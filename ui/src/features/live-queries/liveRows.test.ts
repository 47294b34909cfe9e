import { describe, expect, it } from "vitest";

import type { ConsoleRun } from "../../bindings/ConsoleRun";
import type { JsonValue } from "../../bindings/serde_json/JsonValue";
import { ageText, killSql, lagText, liveRows, LIVE_SQL, statusOf } from "./liveRows";

const columns = ["id", "user", "query", "created", "delivered", "last_seq", "lag", "status"].map((name) => ({
  name,
  sql_type: name === "created" ? "TIMESTAMP" : "TEXT",
}));

function rowsRun(rows: JsonValue[][], cols = columns): ConsoleRun {
  return {
    outputs: [
      {
        sql: LIVE_SQL,
        line: 1,
        column: 1,
        elapsed_ms: 1,
        result: { type: "rows", columns: cols, rows, row_count: rows.length, truncated: false },
      },
    ],
    error: null,
  };
}

describe("system.live rows", () => {
  it("turns a result into typed rows", () => {
    const run = rowsRun([
      ["a1", "admin", "SELECT * FROM app.t", "2024-02-29T13:45:00.123456", 12, 7, 0, "live"],
      ["b2", "alice", "SELECT id FROM app.u", "2024-02-29T13:46:00", 0, "9007199254740993", 3, "lagging"],
    ]);
    expect(liveRows(run)).toEqual({
      rows: [
        { id: "a1", user: "admin", query: "SELECT * FROM app.t", created: "2024-02-29T13:45:00.123456", delivered: 12n, lastSeq: 7n, lag: 0n, status: "live" },
        { id: "b2", user: "alice", query: "SELECT id FROM app.u", created: "2024-02-29T13:46:00", delivered: 0n, lastSeq: 9007199254740993n, lag: 3n, status: "lagging" },
      ],
    });
  });

  it("finds columns by name, whatever their order", () => {
    const reordered = [...columns].reverse();
    const run = rowsRun([["live", 1, 2, 3, "2024-01-01T00:00:00", "q", "u", "x"]], reordered);
    expect(liveRows(run)).toEqual({
      rows: [{ id: "x", user: "u", query: "q", created: "2024-01-01T00:00:00", delivered: 3n, lastSeq: 2n, lag: 1n, status: "live" }],
    });
  });

  it("reads NULLs as empty text and zero", () => {
    expect(liveRows(rowsRun([["x", null, null, null, null, null, null, null]]))).toEqual({
      rows: [{ id: "x", user: "", query: "", created: "", delivered: 0n, lastSeq: 0n, lag: 0n, status: "" }],
    });
  });

  it("passes the engine's error on", () => {
    const error = { code: "no_database", message: "no database is open", line: null, column: null, did_you_mean: null };
    expect(liveRows({ outputs: [], error: { sql: LIVE_SQL, error, elapsed_ms: 0 } })).toEqual({ error });
  });

  it("reports a result that is not rows", () => {
    const run: ConsoleRun = { outputs: [{ sql: "x", line: 1, column: 1, elapsed_ms: 0, result: { type: "done" } }], error: null };
    expect(liveRows(run)).toHaveProperty("error.message", "system.live returned no rows");
    expect(liveRows({ outputs: [], error: null })).toHaveProperty("error");
  });

  it("selects every column of system.live, quoting user", () => {
    expect(LIVE_SQL).toBe('SELECT id, "user", query, created, delivered, last_seq, lag, status FROM system.live ORDER BY created');
  });
});

describe("formatting", () => {
  it("quotes the id in KILL LIVE QUERY", () => {
    expect(killSql("live-7")).toBe("KILL LIVE QUERY 'live-7'");
    expect(killSql("it's")).toBe("KILL LIVE QUERY 'it''s'");
  });

  it("says how far behind a subscriber is", () => {
    expect(lagText(0n)).toBe("none");
    expect(lagText(1n)).toBe("1 batch");
    expect(lagText(12n)).toBe("12 batches");
  });

  it("names every engine state and keeps unknown ones", () => {
    expect(statusOf("live")).toMatchObject({ label: "live", tone: "ok" });
    expect(statusOf("snapshot")).toMatchObject({ label: "snapshot", tone: "busy" });
    expect(statusOf("lagging")).toMatchObject({ label: "lagging", tone: "warn" });
    expect(statusOf("closed")).toMatchObject({ label: "closed", tone: "off" });
    expect(statusOf("paused")).toEqual({ label: "paused", tone: "off", hint: "" });
  });

  it("tells the age of a UTC timestamp, whatever the local zone", () => {
    const now = Date.UTC(2024, 1, 29, 14, 0, 0);
    expect(ageText("2024-02-29T13:59:58.5", now)).toBe("1 s");
    expect(ageText("2024-02-29T13:57:00", now)).toBe("3 min");
    expect(ageText("2024-02-29T12:00:00", now)).toBe("2 h");
    expect(ageText("2024-02-29T11:45:00", now)).toBe("2 h 15 min");
    expect(ageText("2024-02-26T14:00:00", now)).toBe("3 d");
    expect(ageText("2024-02-29T14:00:05", now)).toBe("0 s");
    expect(ageText("2024-02-29T13:00:00Z", now)).toBe("1 h");
    expect(ageText("not a time", now)).toBe("not a time");
  });
});
