// A live table pane: a Glide data grid over the pane's rows, fetched by window from
// the app, with the bridge's events driving refetches and cues.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  CompactSelection,
  DataEditor,
  GridCellKind,
  GridColumnIcon,
  type DataEditorRef,
  type EditableGridCell,
  type GridCell,
  type GridColumn,
  type GridSelection,
  type Item,
  type Rectangle,
} from "@glideapps/glide-data-grid";

import type { PaneInfo } from "../../bindings/PaneInfo";
import { api } from "../../ipc";
import { cellText, keyString, type Json } from "../../json";
import { flashColors, gridTheme, useDarkMode } from "../../theme";
import { registerPane } from "./paneEvents";
import { applyEvent, changesPerSecond, expireFlashes, flashOf, initialLive, setPaused, type PaneLive } from "./paneState";
import { AddRowForm } from "./AddRowForm";

/** The header icon for a column type (key columns get the key icon). */
export function typeIcon(sqlType: string): GridColumnIcon {
  const type = sqlType.toUpperCase();
  if (/INT|DOUBLE|DECIMAL|FLOAT|REAL/.test(type)) return GridColumnIcon.HeaderNumber;
  if (type === "BOOLEAN") return GridColumnIcon.HeaderBoolean;
  if (type === "DATE" || type.startsWith("TIMESTAMP")) return GridColumnIcon.HeaderDate;
  if (type === "JSON") return GridColumnIcon.HeaderCode;
  return GridColumnIcon.HeaderString;
}

/** Grid geometry, fixed so that the end-to-end suite can point at cells. */
export const GRID = { markerWidth: 48, rowHeight: 32, headerHeight: 34 };

export function columnWidth(name: string): number {
  return Math.max(90, Math.min(260, name.length * 9 + 60));
}

/** Rows fetched above and below the visible ones. */
const OVERSCAN = 60;

interface Window {
  start: number;
  keys: Json[][];
  rows: Json[][];
}

export interface TablePaneProps {
  initial: PaneInfo;
  /** `ns.table` when the pane was opened from the tree: its filter can be changed. */
  table: string | null;
  initialFilter?: string;
  onClose?: () => void;
}

export function TablePane({ initial, table, initialFilter = "" }: TablePaneProps) {
  const [info, setInfo] = useState(initial);
  const [live, setLive] = useState<PaneLive>(() => initialLive(Number(initial.generation)));
  const [window_, setWindow] = useState<Window>({ start: 0, keys: [], rows: [] });
  const [filter, setFilter] = useState(initialFilter);
  const [filterError, setFilterError] = useState<string | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [selection, setSelection] = useState<GridSelection>({
    columns: CompactSelection.empty(),
    rows: CompactSelection.empty(),
  });
  const [now, setNow] = useState(() => Date.now());
  const grid = useRef<DataEditorRef>(null);
  const visible = useRef({ y: 0, height: 40 });
  const windowRef = useRef(window_);
  windowRef.current = window_;
  const fetching = useRef<"idle" | "busy" | "again">("idle");
  const paneId = useRef(initial.pane);
  paneId.current = info.pane;
  const dark = useDarkMode();
  const colors = flashColors(dark);

  const fetchRows = useCallback(async () => {
    if (fetching.current !== "idle") {
      fetching.current = "again";
      return;
    }
    fetching.current = "busy";
    try {
      do {
        if (fetching.current === "again") fetching.current = "busy";
        const { y, height } = visible.current;
        const current = windowRef.current;
        const topKey = y > 0 ? (current.keys[y - current.start] ?? null) : null;
        const start = Math.max(0, y - OVERSCAN);
        const result = await api.paneRows(paneId.current, start, height + 2 * OVERSCAN, topKey);
        const moved = result.anchor_index !== null && result.anchor_index !== y;
        setWindow({ start: result.start, keys: result.keys, rows: result.rows });
        if (moved && result.anchor_index !== null) {
          // Rows arrived (or left) above the top visible row: keep that row on top.
          visible.current = { y: result.anchor_index, height };
          grid.current?.scrollTo(0, result.anchor_index, "vertical", 0, 0, { vAlign: "start" });
          fetching.current = "again";
        }
      } while (fetching.current === "again");
    } catch {
      // The pane is closing or was replaced; its next event will tell.
    } finally {
      fetching.current = "idle";
    }
  }, []);

  const resubscribe = useCallback(async () => {
    try {
      const next = await api.resubscribePane(paneId.current);
      setInfo(next);
      setLive(initialLive(Number(next.generation)));
    } catch (e) {
      setLive((s) => ({ ...s, error: (e as { message: string }).message }));
    }
  }, []);

  useEffect(
    () =>
      registerPane(info.pane, (event) => {
        setLive((state) => {
          const [next, effect] = applyEvent(state, event, Date.now());
          if (effect === "refetch") queueMicrotask(fetchRows);
          if (effect === "resubscribe") queueMicrotask(resubscribe);
          return next;
        });
      }),
    [info.pane, fetchRows, resubscribe],
  );

  useEffect(() => {
    const pane = info.pane;
    return () => void api.closePane(pane).catch(() => undefined);
  }, [info.pane]);

  useEffect(() => {
    const timer = setInterval(() => {
      const t = Date.now();
      setNow(t);
      setLive((s) => expireFlashes(s, t));
    }, 250);
    return () => clearInterval(timer);
  }, []);

  const columns: GridColumn[] = useMemo(
    () =>
      info.columns.map((c) => ({
        id: c.name,
        title: c.name,
        icon: c.key ? GridColumnIcon.HeaderRowID : typeIcon(c.sql_type),
        width: columnWidth(c.name),
      })),
    [info.columns],
  );

  const getCell = useCallback(
    ([col, row]: Item): GridCell => {
      const i = row - window_.start;
      const values = window_.rows[i];
      if (!values) return { kind: GridCellKind.Loading, allowOverlay: false };
      const value = values[col];
      const column = info.columns[col];
      const flash = flashOf(live, keyString(window_.keys[i]), col, now);
      return {
        kind: GridCellKind.Text,
        data: cellText(value),
        displayData: cellText(value),
        allowOverlay: true,
        readonly: !column.editable || info.table === null,
        style: value === null ? "faded" : "normal",
        themeOverride: flash === "cell" ? { bgCell: colors.cell } : undefined,
      };
    },
    [window_, info, live, now, colors.cell],
  );

  const rowTheme = useCallback(
    (row: number) => {
      const key = window_.keys[row - window_.start];
      return key && flashOf(live, keyString(key), null, now) === "row" ? { bgCell: colors.row } : undefined;
    },
    [window_, live, now, colors.row],
  );

  const onVisible = useCallback(
    (range: Rectangle) => {
      visible.current = { y: range.y, height: range.height };
      const w = windowRef.current;
      if (range.y < w.start || range.y + range.height > w.start + w.rows.length) void fetchRows();
    },
    [fetchRows],
  );

  const onEdited = useCallback(
    ([col, row]: Item, value: EditableGridCell) => {
      if (value.kind !== GridCellKind.Text || info.table === null) return;
      const key = window_.keys[row - window_.start];
      if (!key) return;
      const text = value.data;
      setEditError(null);
      api
        .updateCell(info.table, info.user, key, info.columns[col].name, text === "NULL" ? null : text)
        .catch((e: { message: string }) => setEditError(e.message));
    },
    [window_, info],
  );

  const selectedKeys = useMemo(
    () => selection.rows.toArray().flatMap((row) => window_.keys[row - window_.start] ?? []),
    [selection, window_],
  ) as Json[][];

  const deleteSelected = useCallback(() => {
    if (info.table === null || selectedKeys.length === 0) return;
    setEditError(null);
    api
      .deleteRows(info.table, info.user, selectedKeys)
      .then(() => setSelection({ columns: CompactSelection.empty(), rows: CompactSelection.empty() }))
      .catch((e: { message: string }) => setEditError(e.message));
  }, [info, selectedKeys]);

  const applyFilter = useCallback(async () => {
    if (table === null) return;
    try {
      const next = await api.openPane(table, filter.trim() || null, info.user);
      setFilterError(null);
      void api.closePane(info.pane).catch(() => undefined);
      setWindow({ start: 0, keys: [], rows: [] });
      setLive(initialLive(Number(next.generation)));
      setInfo(next);
    } catch (e) {
      setFilterError((e as { message: string }).message);
    }
  }, [table, filter, info]);

  const togglePause = useCallback(() => {
    const paused = !live.paused;
    setLive((s) => setPaused(s, paused));
    void api.setPanePaused(info.pane, paused);
  }, [live.paused, info.pane]);

  const rate = changesPerSecond(live, now);
  return (
    <div
      className="pane"
      data-pane={info.pane}
      data-rows={live.total}
      data-seq={live.seq ?? ""}
      data-loading={live.loading}
      data-flashing={[...live.flashes.values()].filter((f) => f.until > now).length}
    >
      <div className="pane-toolbar">
        {table !== null && (
          <form
            className="filter"
            onSubmit={(e) => {
              e.preventDefault();
              void applyFilter();
            }}
          >
            <span className="where">WHERE</span>
            <input
              aria-label="Filter"
              placeholder="any condition, e.g. status = 'open' AND total > 10"
              value={filter}
              onChange={(e) => setFilter(e.target.value)}
            />
          </form>
        )}
        {table === null && <code className="pane-sql">{info.sql}</code>}
        <div className="spacer" />
        {info.table !== null && (
          <>
            <button onClick={() => setAdding((a) => !a)}>+ Row</button>
            <button disabled={selectedKeys.length === 0} onClick={deleteSelected}>
              Delete {selectedKeys.length > 0 ? selectedKeys.length : ""}
            </button>
          </>
        )}
        <button onClick={togglePause} className={live.paused ? "resume" : ""}>
          {live.paused ? "Resume" : "Pause"}
        </button>
      </div>
      {filterError && <div className="inline-error" role="alert">{filterError}</div>}
      {editError && (
        <div className="inline-error" role="alert">
          {editError}
          <button className="dismiss" onClick={() => setEditError(null)}>×</button>
        </div>
      )}
      {adding && info.table !== null && (
        <AddRowForm info={info} onDone={() => setAdding(false)} onError={setEditError} />
      )}
      <div className="grid-host">
        <DataEditor
          ref={grid}
          columns={columns}
          rows={live.total}
          getCellContent={getCell}
          getRowThemeOverride={rowTheme}
          onVisibleRegionChanged={onVisible}
          onCellEdited={onEdited}
          gridSelection={selection}
          onGridSelectionChange={setSelection}
          rowMarkers={{ kind: "both", width: GRID.markerWidth }}
          rowHeight={GRID.rowHeight}
          headerHeight={GRID.headerHeight}
          smoothScrollY
          smoothScrollX
          theme={gridTheme(dark)}
          width="100%"
          height="100%"
          onDelete={() => {
            deleteSelected();
            return false;
          }}
        />
      </div>
      <div className="pane-status">
        {live.paused ? (
          <span className="paused">paused: {live.waiting.toLocaleString()} changes waiting</span>
        ) : live.closed ? (
          <span className="closed">closed: {live.closed}</span>
        ) : (
          <span className={`live ${rate > 0 ? "active" : ""}`}>● LIVE</span>
        )}
        <span>{live.loading ? `loading… ${live.total.toLocaleString()} rows` : `${live.total.toLocaleString()} rows`}</span>
        <span>{Math.round(rate).toLocaleString()} changes/s</span>
        <span>seq {live.seq ?? "…"}</span>
        {info.user && <span>as {info.user}</span>}
        {live.error && <span className="warn">{live.error}</span>}
      </div>
    </div>
  );
}
