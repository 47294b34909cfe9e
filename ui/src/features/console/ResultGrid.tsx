// A console result set in a read-only Glide grid, with copy (Ctrl/Cmd+C, right-click
// "Copy as") and find (Ctrl/Cmd+F) over all its rows.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
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
import { CopyMenu, GridNotice } from "../grid/CopyMenu";
import { FindBar } from "../grid/FindBar";
import { GRID_KEYBINDINGS, useGridCopy } from "../grid/useGridCopy";
import { useGridFind } from "../grid/useGridFind";
import { typeIcon } from "../table-pane/TablePane";

const NO_SELECTION: GridSelection = { columns: CompactSelection.empty(), rows: CompactSelection.empty() };

export function ResultGrid({ columns, rows }: { columns: ResultColumn[]; rows: Json[][] }) {
  const dark = useDarkMode();
  const theme = useMemo(() => gridTheme(dark), [dark]);
  const grid = useRef<DataEditorRef>(null);
  const host = useRef<HTMLDivElement>(null);
  const [selection, setSelection] = useState<GridSelection>(NO_SELECTION);
  // Another result in the same place: the old selection means nothing there.
  useEffect(() => setSelection(NO_SELECTION), [rows]);

  const gridColumns = useMemo(
    () =>
      columns.map((c) => ({
        id: c.name,
        title: c.name,
        icon: typeIcon(c.sql_type),
        width: Math.max(90, Math.min(260, c.name.length * 9 + 50)),
      })),
    [columns],
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
    <div className="grid-frame" ref={host} onKeyDown={find.onHostKeyDown}>
      <DataEditor
        ref={grid}
        columns={gridColumns}
        rows={rows.length}
        getCellContent={getCell}
        gridSelection={selection}
        onGridSelectionChange={setSelection}
        onVisibleRegionChanged={find.noteVisible}
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
