// Find in a grid: Ctrl/Cmd+F inside it, or the `tidepool:find` window event while it
// is on screen, opens the find bar; matches are the cells of the rows the grid holds,
// tinted where they are on screen, and Enter / Shift+Enter move the cursor (the grid's
// selected cell) to the next or previous one.
import { useCallback, useEffect, useMemo, useRef, useState, type KeyboardEvent, type RefObject } from "react";
import { CompactSelection, type DataEditorRef, type GridSelection, type Highlight, type Rectangle } from "@glideapps/glide-data-grid";

import type { Json } from "../../json";
import { findMatches, indexOfMatch, matchesInRows, stepMatch, type Match } from "./find";

/** Sent on `window` (e.g. by a menu) to open find in the visible grid — on the side
 * `detail.side` when given. */
export const FIND_EVENT = "tidepool:find";

const MATCH_COLOR = "rgba(255, 196, 0, 0.38)";
/** Rows above and below the visible ones whose matches are tinted too (smooth scrolling). */
const TINT_OVERSCAN = 10;

export interface FindSource {
  grid: RefObject<DataEditorRef>;
  /** The grid's element: find answers the window event only while it is on screen. */
  host: RefObject<HTMLElement>;
  /** The rows held, from row `start`. */
  rows: readonly (readonly Json[])[];
  start: number;
  selection: GridSelection;
  /** Moves the grid's selection (and so its scroll) to a cell. */
  select: (selection: GridSelection) => void;
}

/** A selection of one cell. */
export function cellSelection([col, row]: Match): GridSelection {
  return {
    current: { cell: [col, row], range: { x: col, y: row, width: 1, height: 1 }, rangeStack: [] },
    columns: CompactSelection.empty(),
    rows: CompactSelection.empty(),
  };
}

export function useGridFind({ grid, host, rows, start, selection, select }: FindSource) {
  const [open, setOpen] = useState(false);
  const [query, setQuery] = useState("");
  /** Bumped on every request to find, so the bar takes focus again when already open. */
  const [focusRequest, setFocusRequest] = useState(0);
  const [visible, setVisible] = useState({ y: 0, height: 0 });
  const visibleRef = useRef(visible);
  const openRef = useRef(open);
  openRef.current = open;

  const show = useCallback(() => {
    setVisible(visibleRef.current);
    setOpen(true);
    setFocusRequest((n) => n + 1);
  }, []);

  useEffect(() => {
    // With two sides shown, the event names the focused one (`detail.side`).
    const onFind = (event: Event) => {
      const element = host.current;
      if (element === null || element.getClientRects().length === 0) return;
      const side = (event as CustomEvent<{ side?: number } | null>).detail?.side;
      const page = element.closest("[data-side]");
      if (side === undefined || page === null || page.getAttribute("data-side") === String(side)) show();
    };
    window.addEventListener(FIND_EVENT, onFind);
    return () => window.removeEventListener(FIND_EVENT, onFind);
  }, [host, show]);

  const onHostKeyDown = useCallback(
    (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && event.key.toLowerCase() === "f") {
        event.preventDefault();
        event.stopPropagation();
        show();
      }
    },
    [show],
  );

  /** For the grid's onVisibleRegionChanged: matches on screen are tinted. */
  const noteVisible = useCallback((range: Rectangle) => {
    visibleRef.current = { y: range.y, height: range.height };
    if (openRef.current) setVisible(visibleRef.current);
  }, []);

  const matches = useMemo(() => (open ? findMatches(rows, start, query) : []), [open, rows, start, query]);
  const cursor: Match | null = selection.current?.cell ?? null;

  const step = useCallback(
    (direction: 1 | -1) => {
      const i = stepMatch(matches, cursor, direction);
      if (i >= 0) select(cellSelection(matches[i]));
    },
    [matches, cursor, select],
  );

  const close = useCallback(() => {
    setOpen(false);
    grid.current?.focus();
  }, [grid]);

  const highlightRegions = useMemo<Highlight[] | undefined>(
    () =>
      open && matches.length > 0
        ? matchesInRows(matches, visible.y - TINT_OVERSCAN, visible.y + visible.height + TINT_OVERSCAN).map(([x, y]) => ({
            color: MATCH_COLOR,
            range: { x, y, width: 1, height: 1 },
            style: "no-outline",
          }))
        : undefined,
    [open, matches, visible],
  );

  return {
    open,
    query,
    setQuery,
    focusRequest,
    count: matches.length,
    index: indexOfMatch(matches, cursor),
    step,
    close,
    onHostKeyDown,
    noteVisible,
    highlightRegions,
  };
}
