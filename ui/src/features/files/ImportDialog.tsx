// The import dialog: a CSV or Parquet file, previewed as its options change; a target
// (an existing table with a column mapping, or a new table built from the file's
// columns and created first); what a bad row does; then the import's progress and how
// it ended. A table created for an import that wrote nothing is dropped again.
import { useEffect, useId, useRef, useState } from "react";

import type { CatalogView } from "../../bindings/CatalogView";
import type { ImportEvent } from "../../bindings/ImportEvent";
import type { ImportPreview } from "../../bindings/ImportPreview";
import type { IpcError } from "../../bindings/IpcError";
import { api } from "../../ipc";
import {
  createTableSql,
  namespaceExists,
  qualifiedName,
  SYSTEM_NAMESPACE,
  validateCreate,
  type ColumnDraft,
} from "../designer/sql";
import { ImportProgress, ImportSummary, PreviewTable, type Ended } from "./ImportParts";
import { MappingTable, NewTable } from "./ImportTarget";
import {
  autoMapping,
  buildImportRequest,
  defaultDelimiter,
  DELIMITERS,
  draftColumns,
  dropCreatedTable,
  findTable,
  importTargets,
  isParquet,
  mappingIssues,
  newTableDraft,
  suggestTableName,
  tableId,
  targetColumns,
  wroteRows,
  type ImportOutcome,
  type OnError,
} from "./importPlan";
import { runImport } from "./runImport";
import { useModal } from "../common/useModal";

export interface ImportDialogProps {
  catalog: CatalogView | null;
  /** The acting user; `null` is admin (creating a table needs admin). */
  user: string | null;
  /** `ns.table` to import into; without it the dialog starts on a new table. */
  initialTable?: string;
  onClose(): void;
  /** After an import left rows in `ns.table` (the dialog stays open with its summary). */
  onImported(table: string): void;
}

type Phase =
  | { kind: "idle" }
  | { kind: "creating"; table: string }
  | { kind: "running"; table: string; id: string | null; cancelling: boolean; progress: ImportEvent | null }
  | { kind: "done"; ended: Ended };

/** A preview (or why there is none) for the file and options it was read with. */
type Previewed = { key: string } & ({ preview: ImportPreview } | { error: IpcError });

/** Edits kept only while the file's columns (or the target) are the ones they were made for. */
type Edited<T> = { key: string; value: T };

const PREVIEW_DELAY_MS = 300;

const FILE_FILTERS = [
  { name: "CSV, TSV or Parquet", extensions: ["csv", "tsv", "txt", "parquet"] },
  { name: "CSV", extensions: ["csv", "txt"] },
  { name: "TSV", extensions: ["tsv"] },
  { name: "Parquet", extensions: ["parquet"] },
];

/** Runs SQL as the user; the error that stopped it, if any. */
async function runScript(sql: string, user: string | null): Promise<IpcError | null> {
  try {
    const run = await api.runSql(sql, user);
    return run.error?.error ?? null;
  } catch (e) {
    return e as IpcError;
  }
}

export function ImportDialog({ catalog, user, initialTable, onClose, onImported }: ImportDialogProps) {
  const [path, setPath] = useState("");
  const [header, setHeader] = useState(true);
  const [delimiterChoice, setDelimiterChoice] = useState<string | null>(null);
  const [emptyAsNull, setEmptyAsNull] = useState(true);
  const [previewed, setPreviewed] = useState<Previewed | null>(null);

  const [target, setTarget] = useState<"existing" | "new">(initialTable ? "existing" : "new");
  const [tableName, setTableName] = useState(initialTable ?? "");
  const [namespace, setNamespace] = useState(
    () =>
      initialTable?.split(".")[0] ??
      catalog?.namespaces.find((n) => n.name !== SYSTEM_NAMESPACE)?.name ??
      "",
  );
  const [newName, setNewName] = useState<string | null>(null);
  const [columnEdits, setColumnEdits] = useState<Edited<ColumnDraft[]> | null>(null);
  const [mappingEdits, setMappingEdits] = useState<Edited<(string | null)[]> | null>(null);
  const [onError, setOnError] = useState<OnError>("stop");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });

  const dialog = useRef<HTMLDivElement>(null);
  const namespaceList = useId();
  const busy = phase.kind === "creating" || phase.kind === "running";

  const file = path.trim();
  const parquet = isParquet(file);
  const delimiter = delimiterChoice ?? defaultDelimiter(file);
  const previewKey = JSON.stringify([file, header, delimiter]);

  useModal(dialog, onClose, busy);

  // Read the file once typing pauses; an answer for an older path or options is dropped.
  useEffect(() => {
    if (file === "") return;
    let current = true;
    const timer = window.setTimeout(() => {
      api
        .previewImport(file, header, delimiter)
        .then((preview) => current && setPreviewed({ key: previewKey, preview }))
        .catch((error: IpcError) => current && setPreviewed({ key: previewKey, error }));
    }, PREVIEW_DELAY_MS);
    return () => {
      current = false;
      window.clearTimeout(timer);
    };
  }, [file, header, delimiter, previewKey]);

  const shown = file !== "" && previewed?.key === previewKey ? previewed : null;
  const preview = shown && "preview" in shown ? shown.preview : null;
  const fileColumns = preview?.columns.map((c) => c.name) ?? [];
  const columnsKey = JSON.stringify(preview?.columns ?? []);

  // A new table: the file's columns, as edited.
  const columns =
    columnEdits?.key === columnsKey ? columnEdits.value : draftColumns(preview?.columns ?? []);
  const setColumns = (next: ColumnDraft[]) => setColumnEdits({ key: columnsKey, value: next });
  const name = newName ?? suggestTableName(file);
  const draft = newTableDraft(namespace, name, columns);
  const createSql = createTableSql(draft, !namespaceExists(catalog, namespace));

  // An existing table: each file column mapped onto its columns.
  const table = findTable(catalog, tableName);
  const targets = table ? targetColumns(table, user) : [];
  const mappingKey = JSON.stringify([columnsKey, tableName, targets]);
  const mapping =
    target === "new"
      ? columns.map((c) => c.name)
      : mappingEdits?.key === mappingKey
        ? mappingEdits.value
        : autoMapping(fileColumns, targets);

  const issues =
    target === "new"
      ? validateCreate(draft, catalog).map((i) => i.message)
      : table
        ? mappingIssues(mapping, fileColumns)
        : ["Choose the table to import into"];
  const ready = preview !== null && issues.length === 0 && !busy;

  const browse = async () => {
    try {
      const picked = await api.chooseFile(false, "Import a file", file === "" ? null : file, FILE_FILTERS);
      if (picked !== null) setPath(picked);
    } catch (e) {
      setPreviewed({ key: previewKey, error: e as IpcError });
    }
  };

  const start = async () => {
    if (!ready) return;
    const into = target === "new" ? `${namespace}.${name}` : tableName;
    const request = buildImportRequest({
      path: file,
      table: into,
      mapping,
      onError,
      // Parquet has no header or delimiter; the command still takes valid ones.
      header: parquet || header,
      delimiter: parquet ? "," : delimiter,
      emptyAsNull,
      user,
      createdTable: target === "new",
    });
    const finish = (ended: Omit<Ended, "table" | "onError">) => {
      setPhase({ kind: "done", ended: { ...ended, table: into, onError } });
      if (wroteRows(ended.outcome)) onImported(into);
    };

    const created = target === "new";
    if (created) {
      setPhase({ kind: "creating", table: into });
      const error = await runScript(createSql, user);
      if (error) {
        finish({ outcome: { kind: "failed", error, started: false }, createFailed: true, dropNote: null });
        return;
      }
    }

    setPhase({ kind: "running", table: into, id: null, cancelling: false, progress: null });
    const running = (change: (p: Extract<Phase, { kind: "running" }>) => Phase) =>
      setPhase((p) => (p.kind === "running" ? change(p) : p));
    let outcome: ImportOutcome;
    let dropNote: string | null = null;
    try {
      const ended = await runImport(
        request,
        (id) => running((p) => ({ ...p, id })),
        (progress) => running((p) => ({ ...p, progress })),
      );
      outcome = ended.outcome;
      if (ended.droppedTable) dropNote = `Table ${into}, created for this import, was dropped again.`;
    } catch (e) {
      outcome = { kind: "failed", error: e as IpcError, started: false };
    }

    if (created && dropCreatedTable(outcome)) {
      const error = await runScript(`DROP TABLE ${qualifiedName(namespace, name)};`, user);
      dropNote = error
        ? `Table ${into} was created for this import and could not be dropped: ${error.message}`
        : `Table ${into}, created for this import, was dropped again.`;
    }
    finish({ outcome, createFailed: false, dropNote });
  };

  const cancel = () => {
    if (phase.kind !== "running" || phase.id === null) return;
    setPhase({ ...phase, cancelling: true });
    // Refused only when the import has just ended; its last event says how.
    api.cancelImport(phase.id).catch(() => undefined);
  };

  const namespaces = catalog?.namespaces.map((n) => n.name).filter((n) => n !== SYSTEM_NAMESPACE) ?? [];
  const showIssues =
    preview !== null && (phase.kind === "idle" || (phase.kind === "done" && phase.ended.outcome.kind === "failed"));

  return (
    <div className="overlay">
      <div
        className="dialog import-dialog"
        role="dialog"
        aria-modal="true"
        aria-label="Import a file"
        tabIndex={-1}
        ref={dialog}
      >
        <header>
          <h2>Import a file</h2>
          <button className="close" aria-label="Close" onClick={onClose} disabled={busy}>
            ×
          </button>
        </header>

        <fieldset className="import-section" disabled={busy}>
          <legend>File</legend>
          <div className="field">
            <input
              value={path}
              onChange={(e) => setPath(e.target.value)}
              placeholder="/path/to/file.csv"
              aria-label="File to import"
              spellCheck={false}
            />
            <button onClick={() => void browse()}>Browse…</button>
          </div>
          {!parquet && (
            <div className="import-options">
              <label>
                <input type="checkbox" checked={header} onChange={(e) => setHeader(e.target.checked)} aria-label="First row is a header" />
                First row is a header
              </label>
              <label>
                Delimiter
                <select value={delimiter} onChange={(e) => setDelimiterChoice(e.target.value)} aria-label="Delimiter">
                  {DELIMITERS.map((d) => (
                    <option key={d.label} value={d.value}>
                      {d.label}
                    </option>
                  ))}
                </select>
              </label>
              <label>
                <input
                  type="checkbox"
                  checked={emptyAsNull}
                  onChange={(e) => setEmptyAsNull(e.target.checked)}
                  aria-label="Empty fields are NULL"
                />
                Empty fields are NULL
              </label>
            </div>
          )}
          {file !== "" && shown === null && <p className="hint">Reading the file…</p>}
          {shown && "error" in shown && (
            <p className="inline-error import-file-error" role="alert">
              {shown.error.message}
            </p>
          )}
          {preview && <PreviewTable preview={preview} />}
        </fieldset>

        {preview && (
          <fieldset className="import-section" disabled={busy}>
            <legend>Target</legend>
            <div className="import-choice" role="radiogroup" aria-label="Target">
              <label>
                <input type="radio" name="import-target" checked={target === "existing"} onChange={() => setTarget("existing")} />
                Existing table
              </label>
              <label>
                <input type="radio" name="import-target" checked={target === "new"} onChange={() => setTarget("new")} />
                New table
              </label>
            </div>

            {target === "existing" ? (
              <>
                <select
                  className="import-table"
                  value={table ? tableName : ""}
                  onChange={(e) => setTableName(e.target.value)}
                  aria-label="Target table"
                >
                  <option value="" disabled>
                    Choose a table…
                  </option>
                  {importTargets(catalog).map((t) => (
                    <option key={tableId(t)} value={tableId(t)}>
                      {tableId(t)}
                    </option>
                  ))}
                </select>
                {table && (
                  <MappingTable
                    fileColumns={preview.columns}
                    targets={targets}
                    mapping={mapping}
                    onMapping={(next) => setMappingEdits({ key: mappingKey, value: next })}
                  />
                )}
              </>
            ) : (
              <NewTable
                namespace={namespace}
                name={name}
                namespaces={namespaces}
                namespaceList={namespaceList}
                fileColumns={fileColumns}
                columns={columns}
                createSql={createSql}
                user={user}
                onNamespace={setNamespace}
                onName={setNewName}
                onColumns={setColumns}
              />
            )}
          </fieldset>
        )}

        {preview && (
          <fieldset className="import-section" disabled={busy}>
            <legend>On a bad row</legend>
            <div className="import-choice" role="radiogroup" aria-label="On a bad row">
              <label>
                <input type="radio" name="import-on-error" checked={onError === "stop"} onChange={() => setOnError("stop")} />
                Stop, import nothing
              </label>
              <label>
                <input type="radio" name="import-on-error" checked={onError === "skip"} onChange={() => setOnError("skip")} />
                Skip it and go on
              </label>
            </div>
            <p className="hint">
              {onError === "stop"
                ? "One transaction: the first bad row ends the import and nothing is written."
                : "Rows are committed in chunks as they come; bad rows are listed with their lines."}
            </p>
          </fieldset>
        )}

        {showIssues && issues.length > 0 && (
          <ul className="import-issues" aria-label="Problems">
            {issues.map((issue, i) => (
              <li key={i}>{issue}</li>
            ))}
          </ul>
        )}

        {phase.kind === "creating" && (
          <p className="hint" role="status">
            Creating {phase.table}…
          </p>
        )}
        {phase.kind === "running" && <ImportProgress progress={phase.progress} totalBytes={preview?.bytes ?? 0} />}
        {phase.kind === "done" && <ImportSummary ended={phase.ended} />}

        <footer className="import-footer">
          {phase.kind === "running" ? (
            <button onClick={cancel} disabled={phase.id === null || phase.cancelling}>
              {phase.cancelling ? "Cancelling…" : "Cancel"}
            </button>
          ) : (
            <button onClick={onClose} disabled={busy}>
              Close
            </button>
          )}
          <button className="primary" onClick={() => void start()} disabled={!ready}>
            Import
          </button>
        </footer>
      </div>
    </div>
  );
}
