// The keys every grid answers beyond Glide's defaults, in one place for the panes and
// the console's results.
import type { DataEditorProps } from "@glideapps/glide-data-grid";

export const GRID_KEYBINDINGS: DataEditorProps["keybindings"] = {
  // Copy is ours (useGridCopy: Glide copies only the cells it can draw, while a pane's
  // selection may reach far past the rows it holds); cut is Glide's copy and a delete,
  // so it would delete without copying.
  copy: false,
  cut: false,
  // Ctrl/Cmd+Home and +End go to the first and last row and keep the column, as in
  // DBeaver and TablePlus (Glide's own go to the first and last cell); with Shift they
  // select to there. Ctrl/Cmd+↑/↓ do the same, Home and End go along the row.
  goToFirstRow: "primary+Home|primary+ArrowUp",
  goToLastRow: "primary+End|primary+ArrowDown",
  selectToFirstRow: "primary+shift+Home|primary+shift+ArrowUp",
  selectToLastRow: "primary+shift+End|primary+shift+ArrowDown",
  goToFirstCell: false,
  goToLastCell: false,
  selectToFirstCell: false,
  selectToLastCell: false,
};
