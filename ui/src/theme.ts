// The grid's colours as values (Glide cannot read CSS variables), for the theme the
// user chose in features/appearance.
import type { Theme } from "@glideapps/glide-data-grid";

import { useTheme } from "./features/appearance/themeChoice";

/** True while the resolved theme is dark: the user chose Dark, or System on a dark OS. */
export function useDarkMode(): boolean {
  return useTheme().resolved === "dark";
}

export function gridTheme(dark: boolean): Partial<Theme> {
  return dark
    ? {
        accentColor: "#4f9cf9",
        accentLight: "rgba(79, 156, 249, 0.2)",
        textDark: "#e6e8eb",
        textMedium: "#b0b5bd",
        textLight: "#8a9099",
        textHeader: "#c9cdd3",
        bgCell: "#1b1e23",
        bgCellMedium: "#22262c",
        bgHeader: "#23272e",
        bgHeaderHasFocus: "#2c313a",
        bgHeaderHovered: "#2c313a",
        borderColor: "rgba(255, 255, 255, 0.08)",
        horizontalBorderColor: "rgba(255, 255, 255, 0.06)",
        drilldownBorder: "rgba(255, 255, 255, 0.2)",
        linkColor: "#4f9cf9",
        fontFamily: "ui-sans-serif, system-ui, sans-serif",
        baseFontStyle: "13px",
      }
    : { fontFamily: "ui-sans-serif, system-ui, sans-serif", baseFontStyle: "13px" };
}

export function flashColors(dark: boolean): { cell: string; row: string } {
  return dark ? { cell: "#5c4a12", row: "#173d2a" } : { cell: "#ffe58a", row: "#d3f5dd" };
}

/** The live chart's colours (a canvas cannot read CSS variables either): one per
 * series, the axis text and the grid lines. */
export function chartColors(dark: boolean): { series: string[]; text: string; grid: string } {
  return dark
    ? {
        series: ["#4f9cf9", "#3ccf7e", "#f5a524", "#a78bfa", "#2dd4bf", "#ff8a80"],
        text: "#8a9099",
        grid: "rgba(255, 255, 255, 0.07)",
      }
    : {
        series: ["#2f6fdb", "#1f9d55", "#d97706", "#7c5cdb", "#0e9f9a", "#d14343"],
        text: "#69727d",
        grid: "rgba(0, 0, 0, 0.07)",
      };
}
