// The import dialog's read-only pieces: the file preview, the progress of a running
// import and the summary of one that ended.
import type { ImportEvent } from "../../bindings/ImportEvent";
import type { ImportPreview } from "../../bindings/ImportPreview";
import {
  formatBytes,
  formatCount,
  formatRate,
  progressPercent,
  rowsText,
  type ImportOutcome,
  type OnError,
} from "./importPlan";

/** Rows of the preview shown (the preview holds more, which sampled the types). */
const SHOWN_ROWS = 8;
/** Skipped rows listed in the summary (the engine reports at most this many). */
const LISTED_ERRORS = 100;

export function PreviewTable({ preview }: { preview: ImportPreview }) {
  return (
    <div className="import-preview">
      <table aria-label="File preview">
        <thead>
          <tr>
            {preview.columns.map((c, i) => (
              <th key={i}>
                <div>{c.name}</div>
                <div className="import-type">{c.sql_type}</div>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {preview.rows.slice(0, SHOWN_ROWS).map((row, r) => (
            <tr key={r}>
              {preview.columns.map((_, i) => (
                <td key={i} className={row[i] == null ? "import-null" : undefined}>
                  {row[i] ?? ""}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
      <p className="hint">
        {preview.format === "parquet" ? "Parquet" : "CSV"}, {formatBytes(preview.bytes)}; types inferred from the first rows.
        {preview.rows.length === 0 && " The file has no rows."}
      </p>
    </div>
  );
}

export function ImportProgress({ progress, totalBytes }: { progress: ImportEvent | null; totalBytes: number }) {
  const total = progress?.total_bytes || totalBytes;
  const bytes = progress?.bytes ?? 0;
  const percent = progressPercent(bytes, total);
  const skipped = progress?.skipped ?? 0;
  return (
    <div className="import-progress">
      <div
        className="import-bar"
        role="progressbar"
        aria-label="Import progress"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
      >
        <div style={{ width: `${percent}%` }} />
      </div>
      <div className="import-stats" aria-live="polite">
        <span>{rowsText((progress?.rows ?? 0) - skipped)} imported</span>
        <span>{formatRate(progress?.rows_per_second ?? 0)}</span>
        <span className={skipped > 0 ? "import-warn" : undefined}>{formatCount(skipped)} skipped</span>
        <span>
          {formatBytes(bytes)} of {formatBytes(total)} ({percent}%)
        </span>
      </div>
    </div>
  );
}

export interface Ended {
  /** `ns.table`. */
  table: string;
  outcome: ImportOutcome;
  onError: OnError;
  /** The CREATE TABLE failed, so no import started. */
  createFailed: boolean;
  /** What happened to a table created for this import and dropped again. */
  dropNote: string | null;
}

export function ImportSummary({ ended }: { ended: Ended }) {
  const { outcome, table } = ended;
  return (
    <div
      className={outcome.kind === "failed" ? "import-result inline-error" : "import-result"}
      data-import-result={outcome.kind}
      role={outcome.kind === "failed" ? "alert" : "status"}
    >
      {outcome.kind === "imported" && (
        <>
          <p>
            Imported {rowsText(outcome.imported)} into {table}
          </p>
          {outcome.skipped > 0 && (
            <>
              <p className="import-warn">Skipped {rowsText(outcome.skipped)}</p>
              <ul className="import-errors" aria-label="Skipped rows">
                {outcome.errors.slice(0, LISTED_ERRORS).map((e, i) => (
                  <li key={i}>
                    line {e.line}: {e.message}
                  </li>
                ))}
              </ul>
              {outcome.skipped > outcome.errors.length && (
                <p className="hint">The first {outcome.errors.length} are listed.</p>
              )}
            </>
          )}
        </>
      )}
      {outcome.kind === "cancelled" && (
        <p>
          Cancelled:{" "}
          {outcome.imported > 0
            ? `the ${rowsText(outcome.imported)} committed before the cancel stay in ${table}.`
            : "nothing was imported."}
        </p>
      )}
      {outcome.kind === "failed" && (
        <>
          <p>
            {ended.createFailed && "CREATE TABLE failed: "}
            {outcome.error.message}
          </p>
          {outcome.started && ended.onError === "skip" && <p>Rows committed before the error stay in {table}.</p>}
        </>
      )}
      {ended.dropNote && <p>{ended.dropNote}</p>}
    </div>
  );
}
