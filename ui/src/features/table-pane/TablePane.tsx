// A live table pane: a Glide data grid over the pane's rows, fetched by window from
// the app, with the bridge's events driving refetches and cues; copy and find over the
// grid, and a drawer with the latest changes.
import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from "react";
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
import { RESIZE_MAX, useColumnWidths } from "../grid/columnWidths";
import { CopyMenu, GridNotice } from "../grid/CopyMenu";
import { FindBar } from "../grid/FindBar";
import { CHART_ROWS, chartPlan } from "../live-chart/chartData";
import { LiveChart, type ChartRows } from "../live-chart/LiveChart";
import { fetchSpans } from "../grid/selection";
import { GRID_KEYBINDINGS } from "../grid/keybindings";
import { useGridCopy } from "../grid/useGridCopy";
import { useGridFind } from "../grid/useGridFind";
import { registerPane } from "./paneEvents";
import {
  applyEvent,
  changesPerSecond,
  expireFlashes,
  flashOf,
  initialLive,
  notLive,
  setPaused,
  touchesShown,
  type PaneLive,
} from "./paneState";
import { AddRowForm } from "./AddRowForm";
import { ChangeFeed } from "./ChangeFeed";
import { changedCells } from "./changedCells";
import { appendChanges, EMPTY_FEED, type Feed, type FeedEntry } from "./feedLog";
import { noteBatch, noteChart, notePainted } from "./perf";

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

const ROW_MARKERS = { kind: "both", width: GRID.markerWidth } as const;

/** Rows one delete may take (the keys are fetched when they are not on screen). */
const SELECT_LIMIT = 5_000;

/** Rows fetched above and below the visible ones. */
const OVERSCAN = 30;

/** Rows one `pane_rows` call returns at most (the app's WINDOW_LIMIT). */
const FETCH_LIMIT = 5_000;

/**
 * Whole rows of a pane at these (ascending) positions, fetched by span; the spans may
 * see different commits, and rows past the end by then are left out.
 */
async function fetchRowsAt(pane: string, rows: number[]): Promise<Json[][]> {
  const fetched = new Map<number, Json[]>();
  for (const { start, count } of fetchSpans(rows, FETCH_LIMIT)) {
    const result = await api.paneRows(pane, start, count, null);
    result.rows.forEach((row, i) => fetched.set(result.start + i, row));
  }
  return rows.flatMap((row) => {
    const values = fetched.get(row);
    return values ? [values] : [];
  });
}

interface RowsWindow {
  start: number;
  /** The commit the rows show, and the pane's row count then. */
  seq: number;
  total: number;
  keys: Json[][];
  rows: Json[][];
}

const NO_ROWS: RowsWindow = { start: 0, seq: 0, total: 0, keys: [], rows: [] };

export interface TablePaneProps {
  initial: PaneInfo;
  /** `ns.table` when the pane was opened from the tree: its filter can be changed. */
  table: string | null;
  initialFilter?: string;
  /** Put at the end of the toolbar. */
  toolbar?: ReactNode;
  /** Told when the pane's subscription changes (a new filter, a resubscribe). */
  onInfo?: (info: PaneInfo) => void;
  /** Open with the change feed shown. */
  initialFeedOpen?: boolean;
  /** Told why the rows stopped being live (the server connection is away, the pane closed), and null when they are live again. */
  onStale?: (reason: string | null) => void;
}

export function TablePane({ initial, table, initialFilter = "", toolbar, onInfo, initialFeedOpen = false, onStale }: TablePaneProps) {
  const [info, setInfo] = useState(initial);
  const onInfoRef = useRef(onInfo);
  onInfoRef.current = onInfo;
  useEffect(() => {
    if (info !== initial) onInfoRef.current?.(info);
    // `initial` is only the first value; later ones come from this pane.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [info]);
  const [live, setLive] = useState<PaneLive>(() => initialLive(Number(initial.generation)));
  const [window_, setWindow] = useState<RowsWindow>(NO_ROWS);
  const [filter, setFilter] = useState(initialFilter);
  const [filterError, setFilterError] = useState<string | null>(null);
  const [editError, setEditError] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [chartOpen, setChartOpen] = useState(false);
  const [selection, setSelection] = useState<GridSelection>({
    columns: CompactSelection.empty(),
    rows: CompactSelection.empty(),
  });
  /** The keys of the selected rows, taken when they were selected. */
  const [selectedKeys, setSelectedKeys] = useState<Json[][]>([]);
  const [now, setNow] = useState(() => Date.now());
  // What makes the grid draw every cell again: its row count and a new getCellContent.
  // Neither follows every batch: new rows are drawn cell by cell where they changed
  // (`changedCells`), and the count is the one fetched rows came with when they reach
  // its end, else the pane's four times a second — a batch that changed no row on
  // screen (at 10,000 changes/s into a large table, most of them) costs no redraw. The
  // status line shows the exact count meanwhile.
  const [gridRows, setGridRows] = useState(0);
  /** Bumped when the rows on screen moved: every cell is drawn again. */
  const [drawVersion, setDrawVersion] = useState(0);
  const grid = useRef<DataEditorRef>(null);
  const host = useRef<HTMLDivElement>(null);
  // The feed is kept up to date here whether or not the drawer shows it; the drawer's
  // state follows only while it is open, so a closed drawer costs no renders.
  const feedRef = useRef<Feed>(EMPTY_FEED);
  const [feed, setFeed] = useState<Feed>(EMPTY_FEED);
  const [feedOpen, setFeedOpen] = useState(initialFeedOpen);
  const feedOpenRef = useRef(feedOpen);
  feedOpenRef.current = feedOpen;
  /** Feed entries whose row was looked for and is no longer in the pane. */
  const [gone, setGone] = useState<ReadonlySet<number>>(new Set());
  const visible = useRef({ y: 0, height: 40 });
  const windowRef = useRef(window_);
  const fetching = useRef<"idle" | "busy" | "again">("idle");
  const paneId = useRef(initial.pane);
  paneId.current = info.pane;
  // The live state's source of truth: events are applied here in order, outside React's
  // updaters; cells read the flash marks from here, so an event alone does not redraw
  // the grid (it redraws when the rows it announced arrive, or a flash runs out). An
  // event that needs rows fetched is rendered with them, in one render: the status
  // line, the grid's row count and its rows show the same commit, and the grid draws
  // once per event instead of twice.
  const liveRef = useRef(live);
  const updateLive = useCallback((change: (state: PaneLive) => PaneLive) => {
    liveRef.current = change(liveRef.current);
    setLive(liveRef.current);
  }, []);
  /** While a resubscribe is in flight: the generation it replaces. */
  const replacing = useRef<number | null>(null);
  const dark = useDarkMode();
  const colors = flashColors(dark);
  // The grid draws its header squeezed after its box narrows beside the change feed;
  // it is made anew once a resize has settled (its rows and selection live here).
  const gridHost = useRef<HTMLDivElement>(null);
  const [gridKey, setGridKey] = useState(0);
  useEffect(() => {
    const element = gridHost.current;
    if (!element) return;
    let width = -1;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const observer = new ResizeObserver((entries) => {
      const now = Math.round(entries[0].contentRect.width);
      if (width >= 0 && now < width) {
        clearTimeout(timer);
        timer = setTimeout(() => setGridKey((k) => k + 1), 150);
      }
      width = now;
    });
    observer.observe(element);
    return () => {
      clearTimeout(timer);
      observer.disconnect();
    };
  }, []);
  // Stable props: a new theme or marker object makes the grid lay everything out again.
  const theme = useMemo(() => gridTheme(dark), [dark]);

  const showWindow = useCallback((next: RowsWindow) => {
    const cells = changedCells(windowRef.current, next);
    windowRef.current = next;
    setWindow(next);
    if (cells === null) setDrawVersion((v) => v + 1);
    else if (cells.length > 0) grid.current?.updateCells(cells.map((cell) => ({ cell })));
  }, []);

  /** Draws again the rows on screen with these keys. */
  const redrawRows = useCallback((keys: readonly string[]) => {
    const w = windowRef.current;
    const wanted = new Set(keys);
    const width = w.rows[0]?.length ?? 0;
    const cells = w.keys.flatMap((key, i) =>
      wanted.has(keyString(key)) ? Array.from({ length: width }, (_, col) => ({ cell: [col, w.start + i] as Item })) : [],
    );
    if (cells.length > 0) grid.current?.updateCells(cells);
  }, []);

  const plan = useMemo(() => chartPlan(info.columns), [info.columns]);
  const chartShown = chartOpen && plan !== null;
  const chartShownRef = useRef(chartShown);
  chartShownRef.current = chartShown;

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
        // At the top, with the chart open, the rows it draws too.
        const count = Math.max(height + 2 * OVERSCAN, start === 0 && chartShownRef.current ? CHART_ROWS : 0);
        const result = await api.paneRows(paneId.current, start, count, topKey);
        showWindow({ start: result.start, seq: result.seq, total: result.total, keys: result.keys, rows: result.rows });
        const end = result.start + result.rows.length;
        setGridRows((rows) => (end >= result.total || rows < end ? result.total : rows));
        setLive(liveRef.current);
        if (result.anchor_index !== null && result.anchor_index !== y) {
          // Rows arrived (or left) above the top visible row: keep that row on top.
          visible.current = { y: result.anchor_index, height };
          grid.current?.scrollTo(0, result.anchor_index, "vertical", 0, 0, { vAlign: "start" });
          fetching.current = "again";
        }
      } while (fetching.current === "again");
    } catch {
      // The pane is closing or was replaced; its next event will tell.
    } finally {
      const again = fetching.current === "again";
      fetching.current = "idle";
      if (again) void fetchRows();
      // Events applied while the fetch was under way are shown even if it failed.
      else setLive(liveRef.current);
    }
  }, [showWindow]);

  const resubscribe = useCallback(async () => {
    if (replacing.current !== null) return;
    const pane = paneId.current;
    replacing.current = liveRef.current.generation;
    try {
      const next = await api.resubscribePane(pane);
      if (paneId.current !== pane) return;
      const generation = Number(next.generation);
      // The new generation's first events may have come before this reply.
      updateLive((s) => (s.generation >= generation ? s : initialLive(generation)));
      setInfo(next);
    } catch (e) {
      updateLive((s) => ({ ...s, error: (e as { message: string }).message }));
    } finally {
      replacing.current = null;
    }
  }, [updateLive]);

  useEffect(
    () =>
      registerPane(info.pane, (event) => {
        if (event.pane !== paneId.current) return;
        // The subscription being replaced may still send a little; it no longer counts.
        if (replacing.current !== null && event.generation <= replacing.current) return;
        const before = liveRef.current;
        const [next, effect] = applyEvent(before, event, Date.now());
        // A batch that changes none of the rows the grid holds only moves the count:
        // no need to fetch them again (unless a fetch is under way, which may not
        // have seen it).
        const held = windowRef.current;
        const needsRows =
          effect === "refetch" &&
          (event.type !== "changes" ||
            fetching.current !== "idle" ||
            touchesShown(event.marks, event.truncated, { start: held.start, keys: held.keys, total: before.total }));
        if (event.type === "changes") noteBatch(event.to_seq, event.committed_at, event.count, needsRows);
        if (event.type === "changes" && effect === "refetch") {
          feedRef.current = appendChanges(feedRef.current, event);
          if (feedOpenRef.current) setFeed(feedRef.current);
        }
        liveRef.current = next;
        if (needsRows) void fetchRows();
        else setLive(next);
        if (effect === "resubscribe") void resubscribe();
      }),
    [info.pane, fetchRows, resubscribe],
  );

  const stale = notLive(live);
  const onStaleRef = useRef(onStale);
  onStaleRef.current = onStale;
  const reportedStale = useRef<string | null>(null);
  useEffect(() => {
    if (stale === reportedStale.current) return;
    reportedStale.current = stale;
    onStaleRef.current?.(stale);
  }, [stale]);

  useEffect(() => notePainted(window_.seq, "rows"), [window_]);
  useEffect(() => notePainted(live.seq ?? 0, "live"), [live.seq]);

  useEffect(() => {
    const pane = info.pane;
    return () => void api.closePane(pane).catch(() => undefined);
  }, [info.pane]);

  useEffect(() => {
    const timer = setInterval(() => {
      const t = Date.now();
      setNow(t);
      setGridRows(liveRef.current.total);
      const [next, expired] = expireFlashes(liveRef.current, t);
      if (expired.length > 0) {
        updateLive(() => next);
        redrawRows(expired);
      }
    }, 250);
    return () => clearInterval(timer);
  }, [updateLive, redrawRows]);

  // The chart draws the rows the grid holds when they are the pane's first CHART_ROWS.
  const chartRows = useMemo<ChartRows | null>(
    () =>
      window_.start === 0 && window_.rows.length >= Math.min(window_.total, CHART_ROWS)
        ? { seq: window_.seq, rows: window_.rows.slice(0, CHART_ROWS), total: window_.total }
        : null,
    [window_],
  );
  useEffect(() => {
    if (!chartShown) return;
    noteChart(true);
    return () => noteChart(false);
  }, [chartShown]);
  const chartDrawn = useCallback((seq: number) => notePainted(seq, "chart"), []);

  // Fitted to the first rows fetched; a width the user drags stays.
  const titles = useMemo(() => info.columns.map((c) => c.name), [info.columns]);
  const { widths, onColumnResize } = useColumnWidths(titles, window_.rows, theme);
  const columns: GridColumn[] = useMemo(
    () =>
      info.columns.map((c, i) => ({
        id: c.name,
        title: c.name,
        icon: c.key ? GridColumnIcon.HeaderRowID : typeIcon(c.sql_type),
        width: widths[i],
      })),
    [info.columns, widths],
  );

  // Cells are read from the rows held now, so that the grid can draw single cells of a
  // new window without a new getCellContent.
  const getCell = useCallback(
    ([col, row]: Item): GridCell => {
      const w = windowRef.current;
      const i = row - w.start;
      const values = w.rows[i];
      if (!values) return { kind: GridCellKind.Loading, allowOverlay: false };
      const value = values[col];
      const column = info.columns[col];
      const rowKey = w.keys[i];
      const flash = flashOf(liveRef.current, keyString(rowKey), col, Date.now());
      // The row's key rides along with the cell into the editor, so an edit goes to the
      // row it was started on even if rows move meanwhile.
      return {
        rowKey,
        kind: GridCellKind.Text,
        data: cellText(value),
        displayData: cellText(value),
        allowOverlay: true,
        readonly: !column.editable || info.table === null,
        style: value === null ? "faded" : "normal",
        themeOverride: flash === "cell" ? { bgCell: colors.cell } : undefined,
      } as GridCell;
    },
    // drawVersion: every cell is drawn again when the rows moved.
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [info, drawVersion, colors.cell],
  );

  const rowTheme = useCallback(
    (row: number) => {
      const w = windowRef.current;
      const key = w.keys[row - w.start];
      return key && flashOf(liveRef.current, keyString(key), null, Date.now()) === "row" ? { bgCell: colors.row } : undefined;
    },
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [drawVersion, colors.row],
  );

  const onEdited = useCallback(
    ([col, row]: Item, value: EditableGridCell) => {
      if (value.kind !== GridCellKind.Text || info.table === null) return;
      const key = (value as { rowKey?: Json[] }).rowKey ?? windowRef.current.keys[row - windowRef.current.start];
      if (!key) return;
      const text = value.data;
      setEditError(null);
      api
        .updateCell(info.table, info.user, key, info.columns[col].name, text === "NULL" ? null : text)
        .catch((e: { message: string }) => setEditError(e.message));
    },
    [info],
  );

  /** Keeps the selection and the keys of its rows as they are now. */
  const onSelection = useCallback(
    async (next: GridSelection) => {
      setSelection(next);
      const rows = next.rows.toArray();
      if (rows.length === 0) {
        setSelectedKeys([]);
        return;
      }
      const w = windowRef.current;
      const known = rows.map((row) => w.keys[row - w.start]);
      if (known.every(Boolean)) {
        setSelectedKeys(known);
        return;
      }
      const first = rows[0];
      const span = rows[rows.length - 1] - first + 1;
      if (span > SELECT_LIMIT) {
        setSelectedKeys([]);
        setEditError(`Select at most ${SELECT_LIMIT.toLocaleString()} rows to delete at once.`);
        return;
      }
      try {
        const fetched = await api.paneRows(paneId.current, first, span, null);
        setSelectedKeys(rows.map((row) => fetched.keys[row - fetched.start]).filter(Boolean));
      } catch (e) {
        setEditError((e as { message: string }).message);
      }
    },
    [],
  );

  /** Whole rows for a copy: from the window when it holds them all, else fetched. */
  const loadRows = useCallback((rows: number[]): Json[][] | Promise<Json[][]> => {
    const w = windowRef.current;
    if (rows.every((row) => row >= w.start && row < w.start + w.rows.length)) return rows.map((row) => w.rows[row - w.start]);
    return fetchRowsAt(paneId.current, rows);
  }, []);

  const copySource = useMemo(
    () => ({
      columns: info.columns.map((c) => ({ name: c.name, sqlType: c.sql_type })),
      total: live.total,
      // A system table opened from the tree cannot be edited, but has a name to insert into.
      table: info.table ?? table,
      loadRows,
    }),
    [info.columns, info.table, table, live.total, loadRows],
  );
  const copy = useGridCopy(copySource, selection);

  const select = useCallback((next: GridSelection) => void onSelection(next), [onSelection]);
  const find = useGridFind({ grid, host, rows: window_.rows, start: window_.start, selection, select });
  const { noteVisible } = find;

  const onVisible = useCallback(
    (range: Rectangle) => {
      visible.current = { y: range.y, height: range.height };
      noteVisible(range);
      const w = windowRef.current;
      if (range.y < w.start || range.y + range.height > w.start + w.rows.length) void fetchRows();
    },
    [fetchRows, noteVisible],
  );

  /** Scrolls to an entry's row and selects it, if the row is still in the pane. */
  const showEntry = useCallback(
    async (entry: FeedEntry) => {
      try {
        // A window of no rows: only where the anchor key is now.
        const found = await api.paneRows(paneId.current, 0, 0, entry.key);
        if (found.anchor_index === null) {
          setGone((g) => new Set(g).add(entry.id));
          return;
        }
        const row = found.anchor_index;
        grid.current?.scrollTo(0, row, "vertical", 0, 0, { vAlign: "center" });
        void onSelection({ columns: CompactSelection.empty(), rows: CompactSelection.fromSingleSelection(row) });
      } catch (e) {
        setEditError((e as { message: string }).message);
      }
    },
    [onSelection],
  );

  const pickEntry = useCallback((entry: FeedEntry) => void showEntry(entry), [showEntry]);

  const toggleFeed = useCallback(() => {
    setFeed(feedRef.current);
    setFeedOpen((open) => !open);
  }, []);

  const deleteSelected = useCallback(() => {
    if (info.table === null || selectedKeys.length === 0) return;
    setEditError(null);
    api
      .deleteRows(info.table, info.user, selectedKeys)
      .then(() => {
        setSelection({ columns: CompactSelection.empty(), rows: CompactSelection.empty() });
        setSelectedKeys([]);
      })
      .catch((e: { message: string }) => setEditError(e.message));
  }, [info, selectedKeys]);

  const applyFilter = useCallback(async () => {
    if (table === null) return;
    try {
      const next = await api.openPane(table, filter.trim() || null, info.user);
      setFilterError(null);
      void api.closePane(info.pane).catch(() => undefined);
      paneId.current = next.pane;
      showWindow(NO_ROWS);
      setGridRows(0);
      updateLive(() => initialLive(Number(next.generation)));
      setSelectedKeys([]);
      feedRef.current = EMPTY_FEED;
      setFeed(EMPTY_FEED);
      setGone(new Set());
      setInfo(next);
    } catch (e) {
      setFilterError((e as { message: string }).message);
    }
  }, [table, filter, info, showWindow, updateLive]);

  const togglePause = useCallback(() => {
    const paused = !liveRef.current.paused;
    updateLive((s) => setPaused(s, paused));
    void api.setPanePaused(info.pane, paused);
  }, [info.pane, updateLive]);

  const rate = changesPerSecond(live, now);
  return (
    <div
      ref={host}
      className={stale !== null ? "pane not-live" : "pane"}
      onKeyDown={find.onHostKeyDown}
      data-pane={info.pane}
      data-link={live.closed !== null ? "closed" : live.reconnecting !== null ? "reconnecting" : "live"}
      data-rows={live.total}
      data-seq={live.seq ?? ""}
      data-loading={live.loading}
      data-flashing={live.flashes.size}
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
        {table === null && (
          <>
            <code className="pane-sql" title={info.sql}>{info.sql}</code>
            <MaintenanceBadge maintenance={info.maintenance} />
          </>
        )}
        <div className="spacer" />
        {info.table !== null && (
          <>
            <button onClick={() => setAdding((a) => !a)}>+ Row</button>
            <button disabled={selectedKeys.length === 0} onClick={deleteSelected}>
              Delete {selectedKeys.length > 0 ? selectedKeys.length : ""}
            </button>
          </>
        )}
        <button
          aria-haspopup="menu"
          title="Copy the selected rows or cells (Ctrl/Cmd+C copies them as TSV)"
          onClick={(e) => {
            const r = e.currentTarget.getBoundingClientRect();
            copy.openMenu({ x: r.left, y: r.bottom + 2 });
          }}
        >
          Copy as ▾
        </button>
        {plan && (
          <button
            aria-pressed={chartOpen}
            className={chartOpen ? "on" : ""}
            onClick={() => setChartOpen((open) => !open)}
            title={`A ${plan.kind} chart of the rows, following them live`}
          >
            Chart
          </button>
        )}
        <button aria-pressed={feedOpen} className={feedOpen ? "on" : ""} onClick={toggleFeed} title="The latest changes to this pane">
          Changes
        </button>
        <button onClick={togglePause} className={live.paused ? "resume" : ""}>
          {live.paused ? "Resume" : "Pause"}
        </button>
        {toolbar}
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
      {chartOpen && plan && <LiveChart pane={info.pane} columns={info.columns} plan={plan} seq={live.seq} total={live.total} held={chartRows} onDrawn={chartDrawn} />}
      <div className="pane-body">
        <div className="grid-host" ref={gridHost} data-column-widths={widths.join(",")}>
          <DataEditor
            key={gridKey}
            ref={grid}
            columns={columns}
            rows={gridRows}
            getCellContent={getCell}
            getRowThemeOverride={rowTheme}
            onVisibleRegionChanged={onVisible}
            onColumnResize={onColumnResize}
            maxColumnWidth={RESIZE_MAX}
            onCellEdited={onEdited}
            gridSelection={selection}
            onGridSelectionChange={(next) => void onSelection(next)}
            rowMarkers={ROW_MARKERS}
            rowHeight={GRID.rowHeight}
            headerHeight={GRID.headerHeight}
            smoothScrollY
            smoothScrollX
            theme={theme}
            width="100%"
            height="100%"
            onDelete={() => {
              deleteSelected();
              return false;
            }}
            keybindings={GRID_KEYBINDINGS}
            onKeyDown={copy.onGridKeyDown}
            onCellContextMenu={copy.onCellContextMenu}
            highlightRegions={find.highlightRegions}
          />
          {find.open && (
            <FindBar
              query={find.query}
              onQuery={find.setQuery}
              count={find.count}
              index={find.index}
              focusRequest={find.focusRequest}
              scope="in loaded rows"
              onStep={find.step}
              onClose={find.close}
            />
          )}
          <GridNotice notice={copy.notice} />
        </div>
        {feedOpen && (
          <ChangeFeed
            entries={feed.entries}
            columns={info.columns}
            gone={gone}
            onPick={pickEntry}
            onClose={toggleFeed}
          />
        )}
      </div>
      {copy.menu && <CopyMenu at={copy.menu} onPick={(format) => copy.copy(format, true)} onClose={copy.closeMenu} />}
      <div className="pane-status">
        {live.closed ? (
          <span className="closed">closed: {live.closed}</span>
        ) : live.reconnecting !== null ? (
          <span className="reconnecting" title="The rows are as of the seq shown, and not live until the connection is back">
            reconnecting… {live.reconnecting}
          </span>
        ) : live.paused ? (
          <span className="paused">paused: {live.waiting.toLocaleString()} changes waiting</span>
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

/** How the engine keeps a query's pane up to date, for panes opened from a query. */
function MaintenanceBadge({ maintenance }: { maintenance: string }) {
  const incremental = maintenance === "incremental";
  return (
    <span
      className={`maintenance ${incremental ? "incremental" : "reevaluate"}`}
      data-maintenance={maintenance}
      title={
        incremental
          ? "Kept up to date incrementally: each commit costs work in proportion to what it changed"
          : "Re-evaluated: the query runs again when a table it reads changes (at most once per interval) and the difference is shown"
      }
    >
      live · {incremental ? "incremental" : "re-evaluated"}
    </span>
  );
}
