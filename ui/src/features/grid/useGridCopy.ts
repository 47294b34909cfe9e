// Copying from a grid: Ctrl/Cmd+C copies the selection as TSV, the context menu (and
// the pane's "Copy as" button) in any format. Glide's own copy is switched off
// (`GRID_KEYBINDINGS`, keybindings.ts): it reads only the cells it can draw, while a
// pane's selection may reach far past the rows it holds.
import { useCallback, useEffect, useRef, useState } from "react";
import type { CellClickedEventArgs, GridKeyEventArgs, GridSelection, Item } from "@glideapps/glide-data-grid";

import type { Json } from "../../json";
import { writeClipboard } from "./clipboard";
import { COPY_LIMIT, copiedMessage, formatRows, type CopyColumn, type CopyFormat } from "./copy";
import { copyTarget } from "./selection";

export interface CopySource {
  columns: readonly CopyColumn[];
  /** Rows in the grid. */
  total: number;
  /** `ns.table` for SQL INSERT, null when the rows come from no single table. */
  table: string | null;
  /**
   * The whole rows at these (ascending) indexes, at once when they are at hand; rows
   * gone meanwhile are left out.
   */
  loadRows: (rows: number[]) => Json[][] | Promise<Json[][]>;
}

export interface Notice {
  text: string;
  error: boolean;
}

const NOTICE_MS = 4000;

export function useGridCopy(source: CopySource, selection: GridSelection) {
  const [notice, setNotice] = useState<Notice | null>(null);
  const [menu, setMenu] = useState<{ x: number; y: number } | null>(null);
  // Read when the copy runs, so the callbacks stay stable for the grid.
  const latest = useRef({ source, selection });
  latest.current = { source, selection };

  useEffect(() => {
    if (notice === null) return;
    const timer = setTimeout(() => setNotice(null), NOTICE_MS);
    return () => clearTimeout(timer);
  }, [notice]);

  /** Copies the selection; `header` puts column names first in TSV (the menu's TSV). */
  const copy = useCallback((format: CopyFormat, header: boolean) => {
    const { source, selection } = latest.current;
    const target = copyTarget(selection, source.total, source.columns.length, COPY_LIMIT);
    if (target === null) {
      setNotice({ text: "Select cells or rows to copy first.", error: true });
      return;
    }
    let copied = 0;
    const asText = (rows: Json[][]) => {
      copied = rows.length;
      const columns = target.columns.map((c) => source.columns[c]);
      const cells = rows.map((row) => target.columns.map((c) => row[c] ?? null));
      return formatRows(format, { columns, rows: cells }, { header, table: source.table ?? undefined });
    };
    // Rows still to be fetched go over as a promise: the clipboard must be asked during
    // the keypress or click, before they arrive.
    const loaded = source.loadRows(target.rows);
    writeClipboard(Array.isArray(loaded) ? asText(loaded) : loaded.then(asText))
      .then(() => setNotice({ text: copiedMessage(format, copied, target.selected), error: false }))
      .catch((e: unknown) => setNotice({ text: `Copy failed: ${(e as { message?: string }).message ?? String(e)}`, error: true }));
  }, []);

  const onGridKeyDown = useCallback(
    (event: GridKeyEventArgs) => {
      if ((event.ctrlKey || event.metaKey) && !event.altKey && !event.shiftKey && event.key.toLowerCase() === "c") {
        event.cancel();
        event.preventDefault();
        copy("tsv", false);
      }
    },
    [copy],
  );

  // Glide selects the clicked cell itself when it is outside the selection.
  const onCellContextMenu = useCallback((_cell: Item, event: CellClickedEventArgs) => {
    event.preventDefault();
    setMenu({ x: event.bounds.x + event.localEventX, y: event.bounds.y + event.localEventY });
  }, []);

  const closeMenu = useCallback(() => setMenu(null), []);

  return { copy, notice, menu, openMenu: setMenu, closeMenu, onGridKeyDown, onCellContextMenu };
}
