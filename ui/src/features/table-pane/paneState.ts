// The live state of a pane, as a reducer over the bridge's `pane` events: seq
// continuity (a gap or a resync asks for a resubscribe), flash marks for changed
// cells and new rows, the pause counter and the changes/second meter. Each event gives
// a new state object, but the flash marks are one structure updated in place
// (`flashMarks.ts`): events are applied in order and only the newest state is read.
// The rows themselves stay in the app and are fetched by window.
import type { PaneEvent } from "../../bindings/PaneEvent";
import type { ChangeMark } from "../../bindings/ChangeMark";
import { compareKeys, keyString, type Json } from "../../json";
import { FlashMarks } from "./flashMarks";

/** How long a changed cell or a new row stays marked. */
export const FLASH_MS = 1000;
/** The window the changes/second meter averages over. */
const RATE_WINDOW_MS = 1000;

export interface PaneLive {
  generation: number;
  /** The last commit applied; null until the snapshot's seq is known. */
  seq: number | null;
  total: number;
  loading: boolean;
  paused: boolean;
  waiting: number;
  flashes: FlashMarks;
  /** Recent change counts, for the meter. */
  samples: { at: number; count: number }[];
  /** Commit time of the newest batch applied (ms since epoch), for latency. */
  lastCommittedAt: number | null;
  /** Bumped whenever the rows on screen must be fetched again. */
  version: number;
  error: string | null;
  closed: string | null;
  /** The connection to the server dropped: why, and when it tries again. The rows are
   * as of `seq` and not live until it is back (null). */
  reconnecting: string | null;
}

/** What the pane must do after an event. */
export type Effect = "none" | "refetch" | "resubscribe";

export function initialLive(generation: number): PaneLive {
  return {
    generation,
    seq: null,
    total: 0,
    loading: true,
    paused: false,
    waiting: 0,
    flashes: new FlashMarks(),
    samples: [],
    lastCommittedAt: null,
    version: 0,
    error: null,
    closed: null,
    reconnecting: null,
  };
}

export function applyEvent(state: PaneLive, event: PaneEvent, now: number): [PaneLive, Effect] {
  if (event.generation < state.generation) return [state, "none"]; // from a replaced subscription
  if (event.generation > state.generation) state = initialLive(event.generation);
  switch (event.type) {
    case "snapshot":
      return [
        { ...state, seq: event.seq, total: event.total, loading: event.loading, version: state.version + 1 },
        "refetch",
      ];
    case "changes": {
      if (state.seq === null || event.from_seq !== state.seq + 1) {
        return [{ ...state, error: gapMessage(state.seq, event.from_seq) }, "resubscribe"];
      }
      const { flashes } = state;
      const until = now + FLASH_MS;
      for (const mark of event.marks) {
        const key = keyString(mark.key);
        if (mark.op === "delete") {
          flashes.delete(key);
        } else if (mark.op === "insert") {
          flashes.set(key, { columns: "row", until });
        } else {
          const previous = flashes.get(key);
          const columns =
            previous && previous.columns !== "row" && previous.until > now
              ? [...new Set([...previous.columns, ...mark.columns])]
              : previous?.columns === "row" && previous.until > now
                ? "row"
                : mark.columns;
          flashes.set(key, { columns, until });
        }
      }
      const samples = [...state.samples.filter((s) => s.at > now - RATE_WINDOW_MS), { at: now, count: event.count }];
      return [
        {
          ...state,
          seq: event.to_seq,
          total: event.total,
          samples,
          lastCommittedAt: event.committed_at,
          version: state.version + 1,
          error: null,
        },
        "refetch",
      ];
    }
    case "paused":
      return [{ ...state, waiting: Number(event.waiting) }, "none"];
    case "resync":
      return [{ ...state, error: `fell behind at seq ${event.missed_from_seq}; reloading` }, "resubscribe"];
    case "error":
      return [{ ...state, error: event.message }, "none"];
    case "closed":
      return [{ ...state, closed: event.reason, reconnecting: null }, "none"];
    case "link":
      return [{ ...state, reconnecting: event.reconnecting ? event.message : null, version: state.version + 1 }, "none"];
  }
}

function gapMessage(seq: number | null, from: number): string {
  return seq === null ? "changes arrived before the snapshot; reloading" : `missed seq ${seq + 1}..${from - 1}; reloading`;
}

/** Why the pane's rows are not live now (it closed, or its server connection is away), or null while they are. */
export function notLive(state: PaneLive): string | null {
  if (state.closed !== null) return `closed: ${state.closed}`;
  if (state.reconnecting !== null) return `reconnecting… ${state.reconnecting}`;
  return null;
}

export function setPaused(state: PaneLive, paused: boolean): PaneLive {
  return { ...state, paused, waiting: 0 };
}

/** Drops flash marks that have run out: the state (the same one when none did) and the keys of their rows. */
export function expireFlashes(state: PaneLive, now: number): [PaneLive, string[]] {
  const expired = state.flashes.expire(now);
  return [expired.length > 0 ? { ...state, version: state.version + 1 } : state, expired];
}

export function changesPerSecond(state: PaneLive, now: number): number {
  const recent = state.samples.filter((s) => s.at > now - RATE_WINDOW_MS);
  return recent.reduce((sum, s) => sum + s.count, 0) / (RATE_WINDOW_MS / 1000);
}

/** Whether a cell is flashing; `column` null asks about the whole row. */
export function flashOf(state: PaneLive, key: string, column: number | null, now: number): "row" | "cell" | null {
  const flash = state.flashes.get(key);
  if (!flash || flash.until <= now) return null;
  if (flash.columns === "row") return "row";
  return column !== null && flash.columns.includes(column) ? "cell" : null;
}

/** The rows the grid holds: keys in order, from position `start`, out of `total`. */
export interface ShownRows {
  start: number;
  keys: Json[][];
  total: number;
}

/**
 * Whether a batch changes what the grid holds, so its rows must be fetched again:
 * a change inside the held key range, an insert or delete before it (which shifts
 * positions), or an insert after it when the held rows reach the end. A batch whose
 * marks were truncated always does. Changes elsewhere only move the row count.
 */
export function touchesShown(marks: readonly ChangeMark[], truncated: boolean, shown: ShownRows): boolean {
  if (truncated || shown.keys.length === 0) return true;
  const first = shown.keys[0];
  const last = shown.keys[shown.keys.length - 1];
  const atEnd = shown.start + shown.keys.length >= shown.total;
  return marks.some((mark) => {
    const key = mark.key as Json[];
    if (compareKeys(key, first) < 0) return mark.op !== "update";
    if (compareKeys(key, last) <= 0) return true;
    return atEnd && mark.op === "insert";
  });
}
