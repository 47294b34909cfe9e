// The export dialog: a format, a path (prefilled in the export folder, or typed, or
// picked in the native save dialog), and the rows written there by export_rows.
import { useEffect, useRef, useState } from "react";

import type { ExportResult } from "../../bindings/ExportResult";
import type { ExportSource } from "../../bindings/ExportSource";
import type { IpcError } from "../../bindings/IpcError";
import { api } from "../../ipc";
import {
  defaultExportPath,
  withExtension,
  ensureExtension,
  EXPORT_FORMATS,
  exportFilter,
  exportTitle,
  type ExportFormat,
} from "./exportPath";
import { rowsText } from "./importPlan";
import { useModal } from "../common/useModal";

export interface ExportDialogProps {
  source: ExportSource;
  /** The file name without extension, e.g. from `suggestExportName`. */
  suggestedName: string;
  onClose(): void;
}

type State = { kind: "idle" } | { kind: "exporting" } | { kind: "done"; result: ExportResult } | { kind: "failed"; error: IpcError };

export function ExportDialog({ source, suggestedName, onClose }: ExportDialogProps) {
  const [format, setFormat] = useState<ExportFormat>("csv");
  const [dir, setDir] = useState<string | null>(null);
  // What the user typed or picked; until then the path follows the format.
  const [typed, setTyped] = useState<string | null>(null);
  const [state, setState] = useState<State>({ kind: "idle" });
  const dialog = useRef<HTMLFormElement>(null);
  const busy = state.kind === "exporting";

  const path = typed ?? (dir === null ? "" : defaultExportPath(dir, suggestedName, format));

  useEffect(() => {
    let live = true;
    api
      .defaultExportDir()
      .then((d) => live && setDir(d))
      // Without a default folder the field stays empty for a path to be typed or picked.
      .catch(() => undefined);
    return () => {
      live = false;
    };
  }, []);
  useModal(dialog, onClose, busy);

  const browse = async () => {
    try {
      const picked = await api.chooseFile(true, "Export to", path === "" ? null : path, [exportFilter(format)]);
      if (picked !== null) setTyped(ensureExtension(picked, format));
    } catch (e) {
      setState({ kind: "failed", error: e as IpcError });
    }
  };

  const run = async () => {
    if (busy || path.trim() === "") return;
    setState({ kind: "exporting" });
    const exportTo = (overwrite: boolean) => api.exportRows(source, format, path.trim(), overwrite);
    try {
      setState({ kind: "done", result: await exportTo(false) });
    } catch (e) {
      const error = e as IpcError;
      if (error.code === "file_exists" && window.confirm(`${path.trim()} exists already. Replace it?`)) {
        try {
          setState({ kind: "done", result: await exportTo(true) });
        } catch (again) {
          setState({ kind: "failed", error: again as IpcError });
        }
        return;
      }
      setState({ kind: "failed", error });
    }
  };

  const title = exportTitle(source);
  return (
    <div className="overlay">
      <form
        className="dialog export-dialog"
        role="dialog"
        aria-modal="true"
        aria-label={title}
        tabIndex={-1}
        ref={dialog}
        onSubmit={(e) => {
          e.preventDefault();
          void run();
        }}
        // Enter exports from anywhere in the dialog, not only from the path field.
        onKeyDown={(e) => {
          if (e.key === "Enter" && !(e.target instanceof HTMLButtonElement)) {
            e.preventDefault();
            void run();
          }
        }}
      >
        <header>
          <h2>{title}</h2>
          <button type="button" className="close" aria-label="Close" onClick={onClose} disabled={busy}>
            ×
          </button>
        </header>

        <div className="export-formats" role="radiogroup" aria-label="Format">
          {EXPORT_FORMATS.map((f) => (
            <label key={f.format}>
              <input
                type="radio"
                name="export-format"
                value={f.format}
                checked={format === f.format}
                onChange={() => {
                  setFormat(f.format);
                  // A typed or picked name keeps following the format, so Parquet
                  // bytes never land in a .csv.
                  setTyped((t) => (t === null ? t : withExtension(t, f.format)));
                }}
                disabled={busy}
              />
              {f.label}
            </label>
          ))}
        </div>

        <div className="field">
          <input
            value={path}
            onChange={(e) => setTyped(e.target.value)}
            placeholder={dir === null ? "/path/to/file" : undefined}
            aria-label="Export to"
            spellCheck={false}
            disabled={busy}
          />
          <button type="button" onClick={() => void browse()} disabled={busy}>
            Browse…
          </button>
        </div>

        {state.kind === "exporting" && (
          <p className="export-progress" role="status">
            Exporting…
          </p>
        )}
        {state.kind === "done" && (
          <p className="export-result" data-export-result="ok" role="status">
            Exported {rowsText(state.result.rows)} to {state.result.path}
          </p>
        )}
        {state.kind === "failed" && (
          <p className="inline-error export-result" data-export-result="error" role="alert">
            {state.error.message}
          </p>
        )}

        <footer className="export-footer">
          <button type="button" onClick={onClose} disabled={busy}>
            {state.kind === "done" ? "Close" : "Cancel"}
          </button>
          <button type="submit" className="primary" disabled={busy || path.trim() === ""}>
            Export
          </button>
        </footer>
      </form>
    </div>
  );
}
