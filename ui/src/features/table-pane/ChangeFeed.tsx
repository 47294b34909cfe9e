// The pane's change feed drawer: the latest changes, newest first; a click on one
// shows its row in the grid.
import { memo } from "react";

import type { PaneColumn } from "../../bindings/PaneColumn";
import { clockTime, FEED_LIMIT, keyLabel, seqLabel, type FeedEntry } from "./feedLog";

export interface ChangeFeedProps {
  entries: readonly FeedEntry[];
  columns: readonly PaneColumn[];
  /** Entries whose row turned out to be no longer in the pane. */
  gone: ReadonlySet<number>;
  onPick: (entry: FeedEntry) => void;
  onClose: () => void;
}

export function ChangeFeed({ entries, columns, gone, onPick, onClose }: ChangeFeedProps) {
  return (
    <aside className="change-feed" aria-label="Change feed">
      <header>
        <strong>Changes</strong>
        <span className="change-feed-count">{entries.length >= FEED_LIMIT ? `latest ${FEED_LIMIT}` : entries.length}</span>
        <button className="dismiss" aria-label="Close change feed" onClick={onClose}>
          ×
        </button>
      </header>
      {entries.length === 0 ? (
        <p className="change-feed-empty">Changes appear here as they are committed.</p>
      ) : (
        <ol>
          {entries.map((entry) => (
            <li key={entry.id}>
              <Entry entry={entry} columns={columns} gone={gone.has(entry.id)} onPick={onPick} />
            </li>
          ))}
        </ol>
      )}
    </aside>
  );
}

interface EntryProps {
  entry: FeedEntry;
  columns: readonly PaneColumn[];
  gone: boolean;
  onPick: (entry: FeedEntry) => void;
}

// Memoised: the drawer re-renders with every batch while open, and only the new
// entries need to.
const Entry = memo(function Entry({ entry, columns, gone, onPick }: EntryProps) {
  const time = (
    <time dateTime={new Date(entry.committedAt).toISOString()} title={entry.fromSeq === entry.toSeq ? "commit time" : "commit time of the first commit in the range"}>
      {clockTime(entry.committedAt)}
    </time>
  );
  if (entry.op === "more") {
    return (
      <div className="change-entry more">
        <span className="seq">{seqLabel(entry)}</span>
        <span className="what">+{entry.count.toLocaleString()} more changes, not listed</span>
        {time}
      </div>
    );
  }
  // A deleted row has no place in the grid to go to.
  const reachable = entry.op !== "delete" && !gone;
  const changed = entry.columns.map((c) => columns[c]?.name ?? `#${c}`).join(", ");
  return (
    <button
      className={`change-entry ${entry.op}`}
      disabled={!reachable}
      title={reachable ? "Show this row in the grid" : "This row is no longer in the pane"}
      onClick={() => onPick(entry)}
    >
      <span className="seq">{seqLabel(entry)}</span>
      <span className={`op ${entry.op}`}>{entry.op}</span>
      <span className="what">
        <code>{keyLabel(entry.key)}</code>
        {changed && <span className="changed"> {changed}</span>}
        {entry.op === "delete" ? <em> gone</em> : gone ? <em> no longer in the pane</em> : null}
      </span>
      {time}
    </button>
  );
});
