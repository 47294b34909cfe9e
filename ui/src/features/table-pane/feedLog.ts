// The pane's change feed: the latest row changes, newest first, kept from the `changes`
// events the pane applies. An event covers a run of commits and says only which rows
// changed, in commit order, so an entry carries the event's seq range and the commit
// time of its oldest commit.
import type { ChangeOp } from "../../bindings/ChangeOp";
import type { PaneEvent } from "../../bindings/PaneEvent";
import { cellText, type Json } from "../../json";

/** Entries kept: older ones fall off the end. */
export const FEED_LIMIT = 500;

type ChangesEvent = Extract<PaneEvent, { type: "changes" }>;

export interface FeedEntry {
  /** Unique within the pane, for React. */
  id: number;
  /** A changed row, or "more" for the changes an event did not list (past its mark limit). */
  op: ChangeOp | "more";
  key: Json[];
  /** Indexes of the columns an update changed. */
  columns: number[];
  fromSeq: number;
  toSeq: number;
  committedAt: number;
  /** For "more": how many changes went unlisted. */
  count: number;
}

export interface Feed {
  entries: FeedEntry[];
  nextId: number;
}

export const EMPTY_FEED: Feed = { entries: [], nextId: 0 };

/** Adds an event's changes in front, newest first, keeping at most `limit` entries. */
export function appendChanges(feed: Feed, event: ChangesEvent, limit = FEED_LIMIT): Feed {
  const base = { fromSeq: event.from_seq, toSeq: event.to_seq, committedAt: event.committed_at };
  let nextId = feed.nextId;
  const added: FeedEntry[] = [];
  const unlisted = event.count - event.marks.length;
  // Marks past the limit are the newest changes: their note goes first.
  if (event.truncated && unlisted > 0) {
    added.push({ ...base, id: nextId++, op: "more", key: [], columns: [], count: unlisted });
  }
  for (let i = event.marks.length - 1; i >= 0 && added.length < limit; i--) {
    const mark = event.marks[i];
    added.push({ ...base, id: nextId++, op: mark.op, key: mark.key as Json[], columns: mark.columns, count: 1 });
  }
  return { entries: [...added, ...feed.entries.slice(0, Math.max(0, limit - added.length))], nextId };
}

/** `42`, or `40–42` for an entry from an event that covered several commits. */
export function seqLabel(entry: FeedEntry): string {
  return entry.fromSeq === entry.toSeq ? `${entry.fromSeq}` : `${entry.fromSeq}–${entry.toSeq}`;
}

/** Local wall-clock time with milliseconds: `14:03:22.517`. */
export function clockTime(ms: number): string {
  const t = new Date(ms);
  const pad = (n: number, width = 2) => String(n).padStart(width, "0");
  return `${pad(t.getHours())}:${pad(t.getMinutes())}:${pad(t.getSeconds())}.${pad(t.getMilliseconds(), 3)}`;
}

/** A row key as the grid shows its cells; a composite key in parentheses. */
export function keyLabel(key: readonly Json[]): string {
  return key.length === 1 ? cellText(key[0]) : `(${key.map(cellText).join(", ")})`;
}
