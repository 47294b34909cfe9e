// A console result set in a read-only Glide grid.
import { useCallback, useMemo } from "react";
import { DataEditor, GridCellKind, type GridCell, type Item } from "@glideapps/glide-data-grid";

import type { ResultColumn } from "../../bindings/ResultColumn";
import { cellText, type Json } from "../../json";
import { gridTheme, useDarkMode } from "../../theme";
import { typeIcon } from "../table-pane/TablePane";

export function ResultGrid({ columns, rows }: { columns: ResultColumn[]; rows: Json[][] }) {
  const dark = useDarkMode();
  const theme = useMemo(() => gridTheme(dark), [dark]);
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
  return (
    <DataEditor
      columns={gridColumns}
      rows={rows.length}
      getCellContent={getCell}
      rowMarkers="number"
      theme={theme}
      width="100%"
      height="100%"
      smoothScrollY
    />
  );
}
