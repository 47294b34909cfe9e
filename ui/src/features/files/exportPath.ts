// Where an export goes: the formats, the file name suggested for a source, and the
// default path in the export folder, whose extension follows the chosen format.
import type { ExportSource } from "../../bindings/ExportSource";
import type { FileFilter } from "../../bindings/FileFilter";

/** The name export_rows takes, which is also the file extension. */
export type ExportFormat = "csv" | "json" | "parquet";

export const EXPORT_FORMATS: readonly { format: ExportFormat; label: string }[] = [
  { format: "csv", label: "CSV" },
  { format: "json", label: "JSON" },
  { format: "parquet", label: "Parquet" },
];

/** The save dialog's filter for a format. */
export function exportFilter(format: ExportFormat): FileFilter {
  const label = EXPORT_FORMATS.find((f) => f.format === format)?.label ?? format;
  return { name: label, extensions: [format] };
}

function pad(n: number): string {
  return String(n).padStart(2, "0");
}

/**
 * A name for the exported file: the table's `ns.table`, the pane's table, or
 * `query-<local date and time>` for a console result, which has no name of its own.
 */
export function suggestExportName(source: ExportSource, now: Date, paneTable?: string): string {
  switch (source.kind) {
    case "table":
      return safeFileName(source.table);
    case "pane":
      return safeFileName(paneTable ?? "rows");
    case "query": {
      const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
      return `query-${date}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
    }
  }
}

// Characters Windows refuses in file names, and path separators.
const RESERVED = new Set([..."\\/:*?\"<>|"]);

function unsafe(ch: string): boolean {
  const code = ch.codePointAt(0) ?? 0;
  return RESERVED.has(ch) || code < 0x20 || code === 0x7f;
}

/** A name that is one file on every platform (no separators, no reserved or control characters). */
export function safeFileName(name: string): string {
  const safe = [...name]
    .map((ch) => (unsafe(ch) ? "_" : ch))
    .join("")
    .trim()
    .replace(/^\.+/, "");
  return safe === "" ? "export" : safe;
}

/** `dir` joined with `name`, with the separator the directory already uses. */
export function joinPath(dir: string, name: string): string {
  const separator = dir.includes("\\") && !dir.includes("/") ? "\\" : "/";
  const base = dir.replace(/[\\/]+$/, "");
  return `${base}${separator}${name}`;
}

const KNOWN_EXTENSION = new RegExp(`\\.(${EXPORT_FORMATS.map((f) => f.format).join("|")})$`, "i");

/** The path with its export extension replaced by (or, without one, extended with) the format's. */
export function withExtension(path: string, format: ExportFormat): string {
  return KNOWN_EXTENSION.test(path) ? path.replace(KNOWN_EXTENSION, `.${format}`) : `${path}.${format}`;
}

/**
 * The path as a save dialog returned it, given the format's extension when the file
 * name has none: some platforms' dialogs do not add the filter's extension.
 */
export function ensureExtension(path: string, format: ExportFormat): string {
  const fileName = path.split(/[\\/]/).pop() ?? "";
  return fileName.includes(".") ? path : `${path}.${format}`;
}

/** The prefilled path: `<dir>/<name>.<ext>`. */
export function defaultExportPath(dir: string, suggestedName: string, format: ExportFormat): string {
  return withExtension(joinPath(dir, safeFileName(suggestedName)), format);
}

/** The dialog's title for a source. */
export function exportTitle(source: ExportSource): string {
  switch (source.kind) {
    case "table":
      return `Export ${source.table}`;
    case "pane":
      return "Export the pane's rows";
    case "query":
      return "Export the query's rows";
  }
}
