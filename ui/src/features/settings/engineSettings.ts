// The engine settings' forms, as pure functions: what the re-evaluation interval and
// statement timeout fields accept, and what the forms say about when a saved interval
// or durability mode applies.
import type { EngineSettingsStatus } from "../../bindings/EngineSettingsStatus";

/** The interval's bounds in milliseconds (those of `tidepool serve --reevaluate-ms`). */
export const REEVALUATE_MS = { min: 1, max: 60_000 };

/** The field's text as an interval, or why it is not one. */
export function parseReevaluateMs(text: string): { ms: number } | { error: string } {
  const trimmed = text.trim();
  const ms = Number(trimmed);
  if (trimmed === "" || !Number.isInteger(ms) || ms < REEVALUATE_MS.min || ms > REEVALUATE_MS.max) {
    return { error: `A whole number of milliseconds from ${REEVALUATE_MS.min} to ${REEVALUATE_MS.max.toLocaleString("en")}.` };
  }
  return { ms };
}

/** When the saved interval applies: the open database keeps the one it was opened with. */
export function appliesWhen(status: EngineSettingsStatus): string {
  const saved = status.saved.reevaluate_ms;
  const open = status.open?.reevaluate_ms;
  if (open === undefined) return "Applies to the next database opened.";
  if (open === saved) return "The open database uses it.";
  return `Applies to databases opened from now on; the open one keeps ${open} ms until the app next opens it.`;
}

/** The statement timeout's bounds in milliseconds (the app's, up to a day). */
export const STATEMENT_TIMEOUT_MS = { min: 1, max: 86_400_000 };

/** The timeout field's text (seconds; empty or "none" for no limit) as milliseconds, or why it is not one. */
export function parseTimeoutSeconds(text: string): { ms: number | null } | { error: string } {
  const trimmed = text.trim();
  if (trimmed === "" || /^(none|off)$/i.test(trimmed)) return { ms: null };
  const seconds = /^\d*\.?\d+$/.test(trimmed) ? Number(trimmed) : NaN;
  const ms = Math.round(seconds * 1000);
  if (!Number.isFinite(ms) || ms < STATEMENT_TIMEOUT_MS.min || ms > STATEMENT_TIMEOUT_MS.max) {
    return { error: `Seconds from 0.001 to ${(STATEMENT_TIMEOUT_MS.max / 1000).toLocaleString("en")}, or empty for no limit.` };
  }
  return { ms };
}

/** A saved timeout as the field shows it: seconds, empty for none. */
export function timeoutText(ms: number | null): string {
  return ms === null ? "" : String(ms / 1000);
}

/** What the durability mode (`sync_writes`) promises, and when a saved one applies: the open database keeps how it was opened. */
export function syncWritesNote(status: EngineSettingsStatus): string {
  const promise = status.saved.sync_writes
    ? "Every commit is flushed to disk before it is acknowledged: it survives a power loss or OS crash."
    : "A commit survives the app being killed; the last ones may be lost on a power loss or OS crash.";
  const open = status.open?.sync_writes;
  if (open === undefined) return `${promise} Applies to the next database opened.`;
  if (open === status.saved.sync_writes) return promise;
  return `${promise} Applies to databases opened from now on; the open one keeps fsync ${open ? "on" : "off"} until the app next opens it.`;
}
