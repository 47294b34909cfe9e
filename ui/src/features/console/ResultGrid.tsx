// A console result set in a read-only Glide grid, its columns fitted to their contents,
// with copy (Ctrl/Cmd+C, right-click "Copy as") and find (Ctrl/Cmd+F) over all its
// rows. One grid per result: the console mounts another for the next one.
import { useCallback, useMemo, useRef, useState } from "react";
import {
  CompactSelection,
  DataEditor,
  GridCellKind,
  type DataEditorRef,
  type GridCell,
  type GridSelection,
  type Item,
} from "@glideapps/glide-data-grid";

import type { ResultColumn } from "../../bindings/ResultColumn";
import { cellText, type Json } from "../../json";
import { gridTheme, useDarkMode } from "../../theme";
import { RESIZE_MAX, useColumnWidths } from "../grid/columnWidths";
import { CopyMenu, GridNotice } from "../grid/CopyMenu";
import { FindBar } from "../grid/FindBar";
import { GRID_KEYBINDINGS } from "../grid/keybindings";
import { useGridCopy } from "../grid/useGridCopy";
import { useGridFind } from "../grid/useGridFind";
import { typeIcon } from "../table-pane/TablePane";

const NO_SELECTION: GridSelection = { columns: CompactSelection.empty(), rows: CompactSelection.empty() };

export function ResultGrid({ columns, rows }: { columns: ResultColumn[]; rows: Json[][] }) {
  const dark = useDarkMode();
  const theme = useMemo(() => gridTheme(dark), [dark]);
  const grid = useRef<DataEditorRef>(null);
  const host = useRef<HTMLDivElement>(null);
  const [selection, setSelection] = useState<GridSelection>(NO_SELECTION);

  const titles = useMemo(() => columns.map((c) => c.name), [columns]);
  const { widths, onColumnResize } = useColumnWidths(titles, rows, theme);
  const gridColumns = useMemo(
    () => columns.map((c, i) => ({ id: c.name, title: c.name, icon: typeIcon(c.sql_type), width: widths[i] })),
    [columns, widths],
  );
  const getCell = useCallback(
    ([col, row]: Item): GridCell => {
      const value = rows[row]?.[col] ?? null;
      return {
        kind: GridCellKind.Text,
        data: cellText(value),
        displayData: cellText(value),
        allowOverlay: true,
        readonly: true,
        style: value === null ? "faded" : "normal",
      };
    },
    [rows],
  );

  const copySource = useMemo(
    () => ({
      columns: columns.map((c) => ({ name: c.name, sqlType: c.sql_type })),
      total: rows.length,
      table: null,
      loadRows: (indexes: number[]) => indexes.map((i) => rows[i]),
    }),
    [columns, rows],
  );
  const copy = useGridCopy(copySource, selection);
  const find = useGridFind({ grid, host, rows, start: 0, selection, select: setSelection });

  return (
    <div className="grid-frame" ref={host} onKeyDown={find.onHostKeyDown} data-column-widths={widths.join(",")}>
      <DataEditor
        ref={grid}
        columns={gridColumns}
        rows={rows.length}
        getCellContent={getCell}
        gridSelection={selection}
        onGridSelectionChange={setSelection}
        onVisibleRegionChanged={find.noteVisible}
        onColumnResize={onColumnResize}
        maxColumnWidth={RESIZE_MAX}
        highlightRegions={find.highlightRegions}
        keybindings={GRID_KEYBINDINGS}
        onKeyDown={copy.onGridKeyDown}
        onCellContextMenu={copy.onCellContextMenu}
        rowMarkers="number"
        theme={theme}
        width="100%"
        height="100%"
        smoothScrollY
      />
      {find.open && (
        <FindBar
          query={find.query}
          onQuery={find.setQuery}
          count={find.count}
          index={find.index}
          focusRequest={find.focusRequest}
          onStep={find.step}
          onClose={find.close}
        />
      )}
      {copy.menu && <CopyMenu at={copy.menu} onPick={(format) => copy.copy(format, true)} onClose={copy.closeMenu} />}
      <GridNotice notice={copy.notice} />
    </div>
  );
}
