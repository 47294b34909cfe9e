// Live queries: every subscription the engine serves (system.live), the app's own
// panes included, refreshed every second while the tab is shown, each with a Kill;
// below the list, the engine setting for the re-evaluated ones.
import { useEffect, useState } from "react";

import type { IpcError } from "../../bindings/IpcError";
import { api } from "../../ipc";
import { ReevaluateSetting, ServerEngineNote, SyncWritesSetting } from "../settings/EngineSettings";
import { ageText, killSql, lagText, liveRows, LIVE_SQL, statusOf, type LiveRow } from "./liveRows";

const REFRESH_MS = 1000;

export interface LiveQueriesProps {
  /** Refreshes only while shown: a hidden tab costs nothing. */
  visible: boolean;
}

export function LiveQueries({ visible }: LiveQueriesProps) {
  const [rows, setRows] = useState<LiveRow[] | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [refreshedAt, setRefreshedAt] = useState<number | null>(null);
  const [killError, setKillError] = useState<string | null>(null);
  const [killing, setKilling] = useState<string | null>(null);
  // Bumped after a kill so the list shows its effect at once, not on the next tick.
  const [nudge, setNudge] = useState(0);

  useEffect(() => {
    if (!visible) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    // The next refresh is scheduled when this one ends, so slow answers never pile up.
    const refresh = async () => {
      try {
        const outcome = liveRows(await api.runSql(LIVE_SQL, null, { history: false }));
        if (stopped) return;
        if ("rows" in outcome) {
          setRows(outcome.rows);
          setLoadError(null);
          setRefreshedAt(Date.now());
        } else {
          setLoadError(outcome.error.message);
        }
      } catch (e) {
        if (!stopped) setLoadError((e as IpcError).message);
      }
      if (stopped) return;
      timer = setTimeout(() => void refresh(), REFRESH_MS);
    };
    void refresh();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [visible, nudge]);

  const kill = async (row: LiveRow) => {
    const ok = window.confirm(
      `Kill live query ${row.id} (${row.user})?\n\n${row.query}\n\nIts subscriber stops receiving changes; if it is one of this app's panes, that pane closes.`,
    );
    if (!ok) return;
    setKilling(row.id);
    setKillError(null);
    try {
      const run = await api.runSql(killSql(row.id), null);
      if (run.error) setKillError(`Kill ${row.id}: ${run.error.error.message}`);
    } catch (e) {
      setKillError(`Kill ${row.id}: ${(e as IpcError).message}`);
    } finally {
      setKilling(null);
      setNudge((n) => n + 1);
    }
  };

  return (
    <section className="live-queries" aria-label="Live queries">
      <div className="live-queries-toolbar">
        <strong>Live queries</strong>
        {rows !== null && <span className="live-queries-count">{rows.length}</span>}
        <span className="live-queries-hint">The app’s own panes are live queries too.</span>
        <div className="spacer" />
        <span className="live-queries-refreshed" aria-live="off">
          {refreshedAt === null ? "loading…" : `refreshed ${new Date(refreshedAt).toLocaleTimeString()}`}
        </span>
      </div>
      {loadError && <div className="inline-error">{loadError}</div>}
      {killError && (
        <div className="inline-error" role="alert">
          {killError}
          <button className="dismiss" aria-label="Dismiss error" onClick={() => setKillError(null)}>
            ×
          </button>
        </div>
      )}
      {rows !== null && rows.length === 0 ? (
        <div className="empty">No live queries: open a table or run SUBSCRIBE TO ...</div>
      ) : (
        rows !== null && (
          <div className="live-queries-scroll">
            <table className="live-queries-table">
              <thead>
                <tr>
                  <th scope="col">ID</th>
                  <th scope="col">User</th>
                  <th scope="col">Query</th>
                  <th scope="col">Age</th>
                  <th scope="col" className="num">Delivered</th>
                  <th scope="col" className="num">Last seq</th>
                  <th scope="col" className="num">Lag</th>
                  <th scope="col">Status</th>
                  <th scope="col">
                    <span className="live-queries-sr">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {rows.map((row) => {
                  const status = statusOf(row.status);
                  return (
                    <tr key={row.id} data-live-id={row.id}>
                      <td className="mono">{row.id}</td>
                      <td>{row.user}</td>
                      <td className="mono live-queries-query" title={row.query}>
                        {row.query}
                      </td>
                      <td title={`${row.created} UTC`}>{refreshedAt === null ? "" : ageText(row.created, refreshedAt)}</td>
                      <td className="num">{row.delivered.toLocaleString()}</td>
                      <td className="num">{row.lastSeq.toString()}</td>
                      <td className={`num ${row.lag > 0n ? "live-queries-behind" : ""}`}>{lagText(row.lag)}</td>
                      <td>
                        <span className={`live-queries-status ${status.tone}`} title={status.hint}>
                          {status.label}
                        </span>
                      </td>
                      <td>
                        <button
                          onClick={() => void kill(row)}
                          disabled={killing !== null}
                          aria-label={`Kill live query ${row.id}`}
                        >
                          {killing === row.id ? "Killing…" : "Kill"}
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )
      )}
      <div className="live-queries-settings">
        <ReevaluateSetting />
        <SyncWritesSetting />
        <ServerEngineNote />
      </div>
    </section>
  );
}
