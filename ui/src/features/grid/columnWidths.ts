// Column widths that fit what a grid shows: each column as wide as its header and the
// widest of its sampled cells, between COLUMN_MIN and COLUMN_MAX. The fit is made once
// per set of columns (again when the first rows arrive), so widths do not jump while
// live rows change; a column the user resized keeps the user's width.
import { useCallback, useMemo, useRef, useState } from "react";
import type { GridColumn, Theme } from "@glideapps/glide-data-grid";

import { cellText, type Json } from "../../json";

/** Narrowest and widest fitted column (the user may drag one wider, to RESIZE_MAX). */
export const COLUMN_MIN = 64;
export const COLUMN_MAX = 420;
export const RESIZE_MAX = 2000;
/** Rows whose cells are measured. */
export const SAMPLE_ROWS = 200;

/** Text beyond this is past COLUMN_MAX anyway: not measured. */
const MEASURED_CHARS = 120;
/** Glide's cell padding (8 px a side) and a little air. */
const CELL_PADDING = 20;
/** The header's padding and its type icon. */
const HEADER_PADDING = 16 + 28;

/** The width of a text as a cell (`header` false) or a column header draws it. */
export type Measure = (text: string, header: boolean) => number;

/** The width of a column fitted to its header and the text of its cells. */
export function fitWidth(title: string, cells: Iterable<string>, measure: Measure): number {
  let widest = measure(title, true) + HEADER_PADDING;
  for (const cell of cells) {
    // A cell shows its first line.
    const line = cell.split("\n", 1)[0].slice(0, MEASURED_CHARS);
    widest = Math.max(widest, measure(line, false) + CELL_PADDING);
    if (widest >= COLUMN_MAX) break;
  }
  return Math.round(Math.min(COLUMN_MAX, Math.max(COLUMN_MIN, widest)));
}

/** Widths of columns `titles` fitted to the first SAMPLE_ROWS of `rows`. */
export function fitWidths(titles: readonly string[], rows: readonly (readonly Json[])[], measure: Measure): number[] {
  const sample = rows.slice(0, SAMPLE_ROWS);
  return titles.map((title, col) =>
    fitWidth(
      title,
      sample.map((row) => cellText(row[col] ?? null)),
      measure,
    ),
  );
}

/** Measures text on a canvas in the grid theme's fonts (Glide's defaults when unset). */
export function canvasMeasure(theme: Partial<Theme>): Measure {
  const context = document.createElement("canvas").getContext("2d");
  const family = theme.fontFamily ?? "sans-serif";
  const cell = `${theme.baseFontStyle ?? "13px"} ${family}`;
  const header = `${theme.headerFontStyle ?? "600 13px"} ${family}`;
  if (context === null) return (text) => text.length * 8;
  return (text, isHeader) => {
    context.font = isHeader ? header : cell;
    return context.measureText(text).width;
  };
}

interface Fit {
  key: string;
  /** Fitted to rows (not only to the headers, before any row arrived). */
  sampled: boolean;
  widths: number[];
}

/**
 * The widths of a grid's columns, fitted to `rows` (the rows it holds), and the
 * grid's `onColumnResize`: a width the user set wins over the fit, for as long as a
 * column of that name is shown.
 */
export function useColumnWidths(titles: readonly string[], rows: readonly (readonly Json[])[], theme: Partial<Theme>) {
  const measure = useMemo(() => canvasMeasure(theme), [theme]);
  const key = titles.join("\n");
  const fit = useRef<Fit | null>(null);
  // Fitted during render, from the rows of this render: once per set of columns, and
  // once more when the first rows come.
  if (fit.current === null || fit.current.key !== key || (!fit.current.sampled && rows.length > 0)) {
    fit.current = { key, sampled: rows.length > 0, widths: fitWidths(titles, rows, measure) };
  }
  const fitted = fit.current.widths;
  const [resized, setResized] = useState<ReadonlyMap<string, number>>(new Map());
  const widths = useMemo(() => titles.map((title, i) => resized.get(title) ?? fitted[i]), [titles, fitted, resized]);
  const onColumnResize = useCallback((column: GridColumn, width: number) => {
    setResized((r) => new Map(r).set(column.title, Math.round(width)));
  }, []);
  return { widths, onColumnResize };
}
