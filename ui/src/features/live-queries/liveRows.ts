// system.live as typed rows, and how its numbers and states read in the view.
import type { ConsoleRun } from "../../bindings/ConsoleRun";
import type { IpcError } from "../../bindings/IpcError";
import type { JsonValue } from "../../bindings/serde_json/JsonValue";
import { quoteLiteral } from "../designer/sql";

// `user` is quoted because the parser reads a bare USER as the current-user function.
export const LIVE_SQL =
  'SELECT id, "user", query, created, delivered, last_seq, lag, status FROM system.live ORDER BY created';

export interface LiveRow {
  id: string;
  user: string;
  query: string;
  /** ISO text in UTC without a zone, as the engine prints timestamps. */
  created: string;
  delivered: bigint;
  lastSeq: bigint;
  /** Batches queued for the subscriber and not read yet. */
  lag: bigint;
  status: string;
}

// Counts are BIGINT: past 2^53 they arrive as decimal strings.
function count(value: JsonValue | undefined): bigint {
  if (typeof value === "number" && Number.isInteger(value)) return BigInt(value);
  if (typeof value === "string" && /^-?\d+$/.test(value)) return BigInt(value);
  return 0n;
}

function text(value: JsonValue | undefined): string {
  return typeof value === "string" ? value : value === null || value === undefined ? "" : String(value);
}

/** The rows of a LIVE_SQL run, found by column name; the engine's error if it failed. */
export function liveRows(run: ConsoleRun): { rows: LiveRow[] } | { error: IpcError } {
  if (run.error) return { error: run.error.error };
  const result = run.outputs[0]?.result;
  if (result?.type !== "rows") {
    return { error: { code: "invalid_request", message: "system.live returned no rows", line: null, column: null, did_you_mean: null } };
  }
  const at = (name: string) => result.columns.findIndex((c) => c.name === name);
  const [id, user, query, created, delivered, lastSeq, lag, status] = [
    "id",
    "user",
    "query",
    "created",
    "delivered",
    "last_seq",
    "lag",
    "status",
  ].map(at);
  return {
    rows: result.rows.map((r) => ({
      id: text(r[id]),
      user: text(r[user]),
      query: text(r[query]),
      created: text(r[created]),
      delivered: count(r[delivered]),
      lastSeq: count(r[lastSeq]),
      lag: count(r[lag]),
      status: text(r[status]),
    })),
  };
}

export function killSql(id: string): string {
  return `KILL LIVE QUERY ${quoteLiteral(id)}`;
}

export function lagText(lag: bigint): string {
  if (lag === 0n) return "none";
  return lag === 1n ? "1 batch" : `${lag.toLocaleString()} batches`;
}

/** The engine's states (live/subscription.rs), as a word and a tone for the badge. */
export function statusOf(status: string): { label: string; tone: "ok" | "busy" | "warn" | "off"; hint: string } {
  switch (status) {
    case "live":
      return { label: "live", tone: "ok", hint: "Up to date, receiving changes" };
    case "snapshot":
      return { label: "snapshot", tone: "busy", hint: "Sending its first rows" };
    case "lagging":
      return { label: "lagging", tone: "warn", hint: "Its queue filled up; it resyncs once the subscriber reads what is queued" };
    case "closed":
      return { label: "closed", tone: "off", hint: "Ended; it leaves the list when the subscriber lets go" };
    default:
      return { label: status, tone: "off", hint: "" };
  }
}

/** How long ago an engine timestamp was (UTC text without a zone), e.g. "3 min". */
export function ageText(created: string, nowMs: number): string {
  const ms = Date.parse(/[Zz]|[+-]\d{2}:?\d{2}$/.test(created) ? created : `${created}Z`);
  if (Number.isNaN(ms)) return created;
  const s = Math.max(0, Math.floor((nowMs - ms) / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  return `${Math.floor(h / 24)} d`;
}
