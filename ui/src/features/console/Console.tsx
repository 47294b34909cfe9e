// The SQL console: editor, run (all or the selection), Cancel (or Esc) while a run goes
// on, the statement timeout, one result tab per statement, errors marked in the editor,
// and a history that survives restarts. Its text is handed up as it changes (the
// workspace keeps it with the database's tabs).
import { useCallback, useEffect, useRef, useState } from "react";

import type { CatalogView } from "../../bindings/CatalogView";
import type { ConsoleRun } from "../../bindings/ConsoleRun";
import type { HistoryEntry } from "../../bindings/HistoryEntry";
import type { PaneInfo } from "../../bindings/PaneInfo";
import type { StatementResultView } from "../../bindings/StatementResultView";
import { api, asIpcError } from "../../ipc";
import { StatementTimeout } from "../settings/StatementTimeout";
import css from "./Console.module.css";
import { completionSchema, createEditor, offsetOf, type ConsoleEditor } from "./editor";
import { failureHeading, failureNote, wasStopped } from "./failure";
import { ResultGrid } from "./ResultGrid";
import { findName } from "./nameInText";
import { isQuery, statementLabels } from "./statement";

/** Runs counted in this window: with the time, each run's id for its Cancel. */
let runCount = 0;
const nextRunId = () => `console-${Date.now().toString(36)}-${++runCount}`;

export function Console({
  initialText,
  onDraft,
  catalog,
  user,
  onLive,
  onExport,
}: {
  /** The text it opens with. */
  initialText: string;
  /** Told the text whenever it changes. */
  onDraft: (text: string) => void;
  catalog: CatalogView | null;
  user: string | null;
  onLive: (info: PaneInfo) => void;
  /** Export a query's rows (a result tab's statement, run again when exported, as the
   * user it ran as). */
  onExport: (sql: string, user: string | null) => void;
}) {
  const host = useRef<HTMLDivElement>(null);
  const editor = useRef<ConsoleEditor | null>(null);
  const [run, setRun] = useState<ConsoleRun | null>(null);
  /** Counts runs shown: each result is shown by a view (and grid) of its own. */
  const [shownRuns, setShownRuns] = useState(0);
  // Who the shown run acted as: its results are exported as that user.
  const [runUser, setRunUser] = useState<string | null>(null);
  const [active, setActive] = useState(0);
  const [running, setRunning] = useState(false);
  /** The id of the run going on, which Cancel stops. */
  const runId = useRef<string | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const [runs, setRuns] = useState(0);
  const [history, setHistory] = useState<HistoryEntry[]>([]);
  const [showHistory, setShowHistory] = useState(false);
  /** Where the failed statement names what does not exist, and the name to use instead. */
  const [fix, setFix] = useState<{ from: number; to: number; name: string; suggestion: string } | null>(null);
  const runRef = useRef<() => void>(() => undefined);
  // The editor is made once: it reads these when it needs them.
  const opening = useRef(initialText);
  const onDraftRef = useRef(onDraft);
  onDraftRef.current = onDraft;

  useEffect(() => {
    if (!host.current) return;
    const created = createEditor(
      host.current,
      opening.current,
      () => runRef.current(),
      (text) => onDraftRef.current(text),
    );
    editor.current = created;
    return () => created.view.destroy();
  }, []);

  useEffect(() => editor.current?.setSchema(completionSchema(catalog)), [catalog]);

  const loadHistory = useCallback(() => {
    api.history().then(setHistory).catch(() => undefined);
  }, []);
  useEffect(loadHistory, [loadHistory]);

  const execute = useCallback(async () => {
    const ed = editor.current;
    if (!ed || running) return;
    const { text, offset } = ed.runnable();
    if (!text.trim()) return;
    ed.clearMarks();
    setFix(null);
    setRunning(true);
    const id = nextRunId();
    runId.current = id;
    try {
      const result = await api.runSql(text, user, { run: id });
      setRun(result);
      setShownRuns((n) => n + 1);
      setRunUser(user);
      setActive(result.error ? result.outputs.length : 0);
      for (const output of result.outputs) if (output.result.type === "live") onLive(output.result.pane);
      const failure = result.error;
      if (failure) {
        const { line, column, did_you_mean: mean } = failure.error;
        const start = offset + Math.max(0, text.indexOf(failure.sql));
        // A name that does not exist is marked where it is written.
        const named = mean ? findName(ed.text(), mean.name, start) : null;
        if (line !== null && column !== null) ed.markError(offsetOf(text, line, column, offset), failure.error.message);
        else if (named) ed.markError(named[0], failure.error.message, named[1]);
        else ed.markError(start, failure.error.message);
        if (mean && named) setFix({ from: named[0], to: named[1], ...mean });
      }
    } catch (e) {
      setRun({ outputs: [], error: { sql: text, error: asIpcError(e), elapsed_ms: 0 } });
      setShownRuns((n) => n + 1);
    } finally {
      runId.current = null;
      setRunning(false);
      setCancelling(false);
      setRuns((n) => n + 1);
      loadHistory();
    }
  }, [running, user, onLive, loadHistory]);
  runRef.current = () => void execute();

  /** Stops the running statement; the run then ends with its `cancelled` error. */
  const cancel = useCallback(() => {
    const id = runId.current;
    if (!id) return;
    setCancelling(true);
    // A run that has just finished is left alone; its result shows as it came.
    api.cancelSql(id).catch(() => undefined);
  }, []);

  /** Puts the suggested name where the missing one is written (found again if the text changed). */
  const applyFix = useCallback(() => {
    const ed = editor.current;
    if (!ed || !fix) return;
    const text = ed.text();
    const there = findName(text, fix.name, fix.from);
    const at = there && there[0] === fix.from ? there : findName(text, fix.name);
    if (at) {
      ed.replace(at[0], at[1], fix.suggestion);
      ed.clearMarks();
    }
    setFix(null);
  }, [fix]);

  const tabs = run ? resultTabs(run) : [];
  const shown = tabs[active];
  // The shown tab in sight within its strip (the error tab is the last of many).
  const strip = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const list = strip.current;
    const tab = list?.querySelector<HTMLElement>('[aria-selected="true"]');
    if (!list || !tab) return;
    if (tab.offsetLeft < list.scrollLeft) list.scrollLeft = tab.offsetLeft - 8;
    else if (tab.offsetLeft + tab.offsetWidth > list.scrollLeft + list.clientWidth) list.scrollLeft = tab.offsetLeft + tab.offsetWidth - list.clientWidth + 8;
  }, [run, active]);
  return (
    <div
      className="console"
      data-runs={runs}
      data-running={running}
      onKeyDown={(e) => {
        // Esc the editor did not use (closing completions) cancels the run.
        if (e.key !== "Escape" || !running || e.defaultPrevented) return;
        e.preventDefault();
        cancel();
      }}
    >
      <div className="console-toolbar">
        <button className="primary" onClick={() => void execute()} disabled={running} title="Run all, or the selection (Ctrl/Cmd+Enter)">
          {running ? "Running…" : "▶ Run"}
        </button>
        {running && (
          <button className={css.cancel} onClick={cancel} disabled={cancelling} title="Stop the running statement; nothing it would write is written (Esc)">
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        )}
        <span className="hint">{running ? "Esc cancels the running statement" : "Ctrl/Cmd+Enter runs everything or the selection"}</span>
        <div className="spacer" />
        <StatementTimeout className={css.timeout} />
        <button onClick={() => setShowHistory((s) => !s)}>History ({history.length})</button>
      </div>
      <div className="console-body">
        <div className="editor" ref={host} data-testid="sql-editor" />
        {showHistory && (
          <ul className="history" aria-label="History">
            {[...history].reverse().map((h, i) => (
              <li key={i} className={h.ok ? "" : "failed"}>
                <button
                  onClick={() => {
                    editor.current?.setText(h.sql);
                    setShowHistory(false);
                  }}
                  title={new Date(h.at).toLocaleString()}
                >
                  {h.sql.length > 200 ? `${h.sql.slice(0, 200)}…` : h.sql}
                </button>
              </li>
            ))}
          </ul>
        )}
      </div>
      <div className="results">
        <div className="result-tabs" role="tablist" ref={strip}>
          {tabs.map((t) => (
            <button
              key={t.i}
              role="tab"
              aria-selected={active === t.i}
              className={`${active === t.i ? "active" : ""} ${t.ok ? "" : "failed"}`}
              onClick={() => setActive(t.i)}
              title={t.title}
            >
              {!t.ok && <span className="mark">✕</span>}
              <span className="label">{t.label}</span>
              {t.count !== null && <span className="count">{t.count}</span>}
            </button>
          ))}
        </div>
        {shown?.o && (
          <StatementView
            key={`${shownRuns}.${active}`}
            output={shown.o}
            onExport={(sql) => onExport(sql, runUser)}
            onLive={(sql) => api.openQueryPane(sql, runUser).then(onLive)}
          />
        )}
        {shown && !shown.ok && run?.error && (
          <div className={`result-error ${wasStopped(run.error.error) ? css.stopped : ""}`} role="alert" data-code={run.error.error.code}>
            <strong>{failureHeading(shown.label, run.error.error)}</strong>
            <pre>{run.error.error.message}</pre>
            {failureNote(run.error.error) && <p className={css.note}>{failureNote(run.error.error)}</p>}
            {fix && (
              <button className="fix" onClick={applyFix} title={`Replace ${fix.name} with ${fix.suggestion} in the editor`}>
                Use {fix.suggestion}
              </button>
            )}
            <code>{run.error.sql}</code>
          </div>
        )}
        {!run && <div className="empty">Run a statement to see its results here.</div>}
      </div>
    </div>
  );
}

interface ResultTab {
  i: number;
  label: string;
  /** The whole statement (and for the failed one, why), on hover. */
  title: string;
  /** Rows returned or affected. */
  count: string | null;
  ok: boolean;
  o: ConsoleRun["outputs"][number] | null;
}

/** One tab per statement that ran, named after it, then the one that failed. */
function resultTabs(run: ConsoleRun): ResultTab[] {
  const failed = run.error;
  const labels = statementLabels([...run.outputs.map((o) => o.sql), ...(failed ? [failed.sql] : [])]);
  const tabs: ResultTab[] = run.outputs.map((o, i) => ({ i, label: labels[i], title: hover(o.sql), count: countOf(o.result), ok: true, o }));
  if (failed) {
    const i = run.outputs.length;
    const why = wasStopped(failed.error) ? "Stopped" : "Failed";
    tabs.push({ i, label: labels[i], title: `${why}: ${failed.error.message}\n\n${hover(failed.sql)}`, count: null, ok: false, o: null });
  }
  return tabs;
}

const HOVER_MAX = 2000;
const hover = (sql: string) => {
  const text = sql.trim();
  return text.length > HOVER_MAX ? `${text.slice(0, HOVER_MAX)}…` : text;
};

function countOf(result: StatementResultView): string | null {
  if (result.type === "rows") return result.row_count.toLocaleString();
  if (result.type === "affected") return result.rows.toLocaleString();
  return null;
}

function StatementView({
  output,
  onExport,
  onLive,
}: {
  output: ConsoleRun["outputs"][number];
  onExport: (sql: string) => void;
  /** Opens the statement as a live pane (run again as the user it ran as). */
  onLive: (sql: string) => Promise<void>;
}) {
  const [opening, setOpening] = useState(false);
  const [liveError, setLiveError] = useState<string | null>(null);
  const r = output.result;
  const time = `${output.elapsed_ms.toFixed(1)} ms`;
  const goLive = () => {
    setOpening(true);
    setLiveError(null);
    onLive(output.sql)
      .catch((e) => setLiveError(asIpcError(e).message))
      .finally(() => setOpening(false));
  };
  switch (r.type) {
    case "rows":
      return (
        <div className="result">
          <div className="result-meta">
            {r.row_count.toLocaleString()} rows{r.truncated ? ` (first ${r.rows.length.toLocaleString()} shown)` : ""} · {time}
            <button className="result-export" onClick={() => onExport(output.sql)} title="Run the statement again and write all its rows to a file">
              Export…
            </button>
            {isQuery(output.sql) && (
              <button
                className="result-live"
                onClick={goLive}
                disabled={opening}
                title="Open the query as a live pane that follows every commit (as SUBSCRIBE TO does)"
              >
                <span className="dot">●</span> Live
              </button>
            )}
          </div>
          {liveError && (
            <div className="inline-error" role="alert">
              {liveError}
              <button className="dismiss" onClick={() => setLiveError(null)}>×</button>
            </div>
          )}
          <div className="result-grid">
            <ResultGrid columns={r.columns} rows={r.rows} />
          </div>
        </div>
      );
    case "affected":
      return <div className="result-meta">{r.rows.toLocaleString()} rows affected · {time}</div>;
    case "done":
      return <div className="result-meta">Done · {time}</div>;
    case "live":
      return <div className="result-meta">Live pane opened: {r.pane.sql} · {time}</div>;
  }
}
