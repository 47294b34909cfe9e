// The table designer: a dialog that builds CREATE TABLE (or ALTER TABLE ... ADD COLUMN)
// from a form, shows the exact SQL as it changes, and runs it only once the engine's
// DDL rules are met. Engine errors stay in the dialog so the form can be fixed.
import { useId, useRef, useState } from "react";

import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";
import type { IpcError } from "../../bindings/IpcError";
import { api } from "../../ipc";
import {
  addColumnsSql,
  COLUMN_TYPES,
  CREATE_KINDS,
  createTableSql,
  defaultAllowed,
  move,
  namespaceExists,
  newColumn,
  SYSTEM_NAMESPACE,
  validateAlter,
  validateCreate,
  type ColumnDraft,
  type ColumnType,
  type CreateKind,
  type DefaultKind,
  type Issue,
  type TableDraft,
} from "./sql";
import { useModal } from "../common/useModal";

export type DesignerMode = { kind: "create"; namespace?: string } | { kind: "alter"; table: CatalogTable };

export interface TableDesignerProps {
  catalog: CatalogView | null;
  mode: DesignerMode;
  /** The acting user; `null` is admin (DDL needs admin). */
  user: string | null;
  onClose(): void;
  /** After the SQL ran: `namespace.table`, unquoted, as the catalog names it. */
  onDone(tableName: string): void;
}

/** A column being edited; `key` keeps React's rows stable while they are reordered. */
type Row = ColumnDraft & { key: number };

/** An engine error, with the statement it stopped at and what ran before it. */
type Failure = { error: IpcError; statement: string | null; before: string | null };

const KIND_HINTS: Record<CreateKind, string> = {
  SHARED: "One dataset for everyone.",
  USER: "Each row belongs to one user (_user); a user reads and writes only their rows.",
  STREAM: "Rows expire after the TTL; past MAX_ROWS the oldest go first; UPDATE is refused.",
};

const DEFAULT_LABELS: Record<DefaultKind, string> = {
  none: "no default",
  literal: "value…",
  now: "NOW()",
  snowflake: "SNOWFLAKE_ID()",
};

const PLACEHOLDERS: Partial<Record<ColumnType, string>> = {
  BOOLEAN: "true",
  INT: "0",
  BIGINT: "0",
  DOUBLE: "0.5",
  DECIMAL: "12.50",
  DATE: "2024-01-31",
  TIMESTAMP: "2024-01-31 13:45:00",
  JSON: '{"a": 1}',
  BYTES: "0a1b2c",
};

let nextKey = 1;
const row = (overrides: Partial<ColumnDraft> = {}): Row => ({ ...newColumn(overrides), key: nextKey++ });

/** The table as the catalog has it now: columns added since the dialog opened show up. */
function currentTable(catalog: CatalogView | null, table: CatalogTable): CatalogTable {
  const ns = catalog?.namespaces.find((n) => n.name === table.namespace);
  return ns?.tables.find((t) => t.name === table.name) ?? table;
}

export function TableDesigner({ catalog, mode, user, onClose, onDone }: TableDesignerProps) {
  const alter = mode.kind === "alter" ? currentTable(catalog, mode.table) : null;
  const [head, setHead] = useState<Omit<TableDraft, "columns">>({
    namespace: mode.kind === "create" ? (mode.namespace ?? "") : "",
    name: "",
    kind: "SHARED",
    ttlSeconds: "",
    maxRows: "",
  });
  const [rows, setRows] = useState<Row[]>(() =>
    mode.kind === "create"
      ? [row({ name: "id", type: "BIGINT", primaryKey: true, nullable: false, default: "snowflake" })]
      : [row()],
  );
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const dialog = useRef<HTMLDivElement>(null);
  const namespaceList = useId();

  useModal(dialog, onClose, busy);

  const draft: TableDraft = { ...head, columns: rows };
  const newNamespace = !namespaceExists(catalog, head.namespace);
  const sql = alter ? addColumnsSql(alter, rows) : createTableSql(draft, newNamespace);
  const issues = alter ? validateAlter(alter, rows) : validateCreate(draft, catalog);
  const invalid = (field: Issue["field"]) => issues.some((i) => i.field === field);
  const columnInvalid = (index: number) => issues.some((i) => i.column === index);
  const tableName = alter ? `${alter.namespace}.${alter.name}` : `${head.namespace}.${head.name}`;

  const setColumn = (index: number, change: Partial<ColumnDraft>) =>
    setRows((rs) =>
      rs.map((r, i) => {
        if (i !== index) return r;
        const next = { ...r, ...change };
        // A key column is NOT NULL; a generated default the new type cannot take is dropped.
        if (change.primaryKey) next.nullable = false;
        if (!defaultAllowed(next.default, next.type)) next.default = "none";
        return next;
      }),
    );

  const run = async () => {
    setBusy(true);
    setFailure(null);
    try {
      const result = await api.runSql(sql, user);
      if (!result.error) {
        onDone(tableName);
        return;
      }
      // Statements before the failing one are committed: for ADD COLUMN those columns
      // now exist, so they leave the form (the catalog lists them above).
      const done = result.outputs.length;
      const added = alter && done > 0 ? rows.slice(0, done).map((r) => r.name) : [];
      if (added.length > 0) setRows((rs) => rs.slice(done));
      setFailure({
        error: result.error.error,
        statement: result.error.sql,
        before: added.length > 0 ? `Added ${added.join(", ")} before the error.` : null,
      });
    } catch (e) {
      setFailure({ error: e as IpcError, statement: null, before: null });
    } finally {
      setBusy(false);
    }
  };

  const title = alter ? `Add columns to ${tableName}` : "New table";
  const namespaces = catalog?.namespaces.map((n) => n.name).filter((n) => n !== SYSTEM_NAMESPACE) ?? [];

  return (
    <div className="overlay">
      <div className="dialog designer" role="dialog" aria-modal="true" aria-label={title} tabIndex={-1} ref={dialog}>
        <header>
          <h2>{title}</h2>
          <button className="close" aria-label="Close" onClick={onClose} disabled={busy}>
            ×
          </button>
        </header>

        {alter ? (
          <ExistingColumns table={alter} />
        ) : (
          <div className="designer-head">
            <label>
              Namespace
              <input
                value={head.namespace}
                list={namespaceList}
                onChange={(e) => setHead((h) => ({ ...h, namespace: e.target.value }))}
                aria-label="Namespace"
                aria-invalid={invalid("namespace")}
                spellCheck={false}
              />
              <datalist id={namespaceList}>
                {namespaces.map((n) => (
                  <option key={n} value={n} />
                ))}
              </datalist>
            </label>
            <label>
              Table name
              <input
                value={head.name}
                onChange={(e) => setHead((h) => ({ ...h, name: e.target.value }))}
                aria-label="Table name"
                aria-invalid={invalid("name")}
                spellCheck={false}
              />
            </label>
            <label>
              Kind
              <select
                value={head.kind}
                onChange={(e) => setHead((h) => ({ ...h, kind: e.target.value as CreateKind }))}
                aria-label="Table kind"
              >
                {CREATE_KINDS.map((k) => (
                  <option key={k} value={k}>
                    {k}
                  </option>
                ))}
              </select>
            </label>
            {head.kind === "STREAM" && (
              <>
                <label>
                  TTL seconds
                  <input
                    className="designer-number"
                    value={head.ttlSeconds}
                    onChange={(e) => setHead((h) => ({ ...h, ttlSeconds: e.target.value }))}
                    inputMode="numeric"
                    aria-label="TTL seconds"
                    aria-invalid={invalid("ttlSeconds")}
                  />
                </label>
                <label>
                  Max rows
                  <input
                    className="designer-number"
                    value={head.maxRows}
                    onChange={(e) => setHead((h) => ({ ...h, maxRows: e.target.value }))}
                    inputMode="numeric"
                    placeholder="no limit"
                    aria-label="Max rows"
                    aria-invalid={invalid("maxRows")}
                  />
                </label>
              </>
            )}
            <p className="hint designer-wide">
              {KIND_HINTS[head.kind]}
              {head.namespace !== "" && newNamespace && ` Namespace ${head.namespace} is new and will be created.`}
            </p>
          </div>
        )}

        <table className="designer-columns" aria-label={alter ? "New columns" : "Columns"}>
          <thead>
            <tr>
              <th>Name</th>
              <th>Type</th>
              <th>Nullable</th>
              {!alter && <th>Key</th>}
              <th>Default</th>
              <th aria-label="Order and remove" />
            </tr>
          </thead>
          <tbody>
            {rows.map((c, i) => {
              const n = i + 1;
              return (
                <tr key={c.key} className={columnInvalid(i) ? "designer-bad" : undefined}>
                  <td>
                    <input
                      value={c.name}
                      onChange={(e) => setColumn(i, { name: e.target.value })}
                      aria-label={`Column ${n} name`}
                      spellCheck={false}
                    />
                  </td>
                  <td className="designer-type">
                    <select
                      value={c.type}
                      onChange={(e) => setColumn(i, { type: e.target.value as ColumnType })}
                      aria-label={`Column ${n} type`}
                    >
                      {COLUMN_TYPES.map((t) => (
                        <option key={t} value={t}>
                          {t}
                        </option>
                      ))}
                    </select>
                    {c.type === "DECIMAL" && (
                      <>
                        <input
                          className="designer-digits"
                          value={c.precision}
                          onChange={(e) => setColumn(i, { precision: e.target.value })}
                          placeholder="38"
                          inputMode="numeric"
                          aria-label={`Column ${n} precision`}
                        />
                        <input
                          className="designer-digits"
                          value={c.scale}
                          onChange={(e) => setColumn(i, { scale: e.target.value })}
                          placeholder={c.precision.trim() === "" ? "10" : "0"}
                          inputMode="numeric"
                          aria-label={`Column ${n} scale`}
                        />
                      </>
                    )}
                  </td>
                  <td className="designer-check">
                    <input
                      type="checkbox"
                      checked={c.nullable && !c.primaryKey}
                      disabled={c.primaryKey}
                      onChange={(e) => setColumn(i, { nullable: e.target.checked })}
                      aria-label={`Column ${n} nullable`}
                      title={c.primaryKey ? "Key columns are NOT NULL" : undefined}
                    />
                  </td>
                  {!alter && (
                    <td className="designer-check">
                      <input
                        type="checkbox"
                        checked={c.primaryKey}
                        onChange={(e) => setColumn(i, { primaryKey: e.target.checked })}
                        aria-label={`Column ${n} primary key`}
                      />
                    </td>
                  )}
                  <td className="designer-default">
                    <select
                      value={c.default}
                      onChange={(e) => setColumn(i, { default: e.target.value as DefaultKind })}
                      aria-label={`Column ${n} default`}
                    >
                      {(Object.keys(DEFAULT_LABELS) as DefaultKind[]).map((d) => (
                        <option key={d} value={d} disabled={!defaultAllowed(d, c.type)}>
                          {DEFAULT_LABELS[d]}
                        </option>
                      ))}
                    </select>
                    {c.default === "literal" && (
                      <input
                        value={c.literal}
                        onChange={(e) => setColumn(i, { literal: e.target.value })}
                        placeholder={PLACEHOLDERS[c.type] ?? "text"}
                        aria-label={`Column ${n} default value`}
                        spellCheck={false}
                      />
                    )}
                  </td>
                  <td className="designer-actions">
                    <button onClick={() => setRows((rs) => move(rs, i, -1))} disabled={i === 0} aria-label={`Move column ${n} up`}>
                      ↑
                    </button>
                    <button
                      onClick={() => setRows((rs) => move(rs, i, 1))}
                      disabled={i === rows.length - 1}
                      aria-label={`Move column ${n} down`}
                    >
                      ↓
                    </button>
                    <button onClick={() => setRows((rs) => rs.filter((_, j) => j !== i))} aria-label={`Remove column ${n}`}>
                      ×
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
        <div>
          <button onClick={() => setRows((rs) => [...rs, row()])}>+ Column</button>
        </div>

        {!alter && rows.length > 0 && !rows.some((c) => c.primaryKey) && (
          <p className="hint">No primary key: the engine adds _id BIGINT DEFAULT SNOWFLAKE_ID() as the key, hidden from SELECT * (select it by name).</p>
        )}
        {!alter && rows.filter((c) => c.primaryKey).length > 1 && (
          <p className="hint">Composite key, in column order: reorder the columns to change it.</p>
        )}
        {user !== null && (
          <p className="hint designer-warn">
            DDL needs an admin session, and this runs as {user}: clear “acting as” to run it as admin.
          </p>
        )}

        {issues.length > 0 && (
          <ul className="designer-issues" aria-label="Problems">
            {issues.map((issue, i) => (
              <li key={i}>{issue.message}</li>
            ))}
          </ul>
        )}

        <pre className="designer-sql" aria-label="SQL preview">
          {sql}
        </pre>

        {failure && (
          <div className="inline-error designer-failure" role="alert">
            <div>
              {failure.before && <div>{failure.before}</div>}
              <div>
                {failure.error.line !== null && (
                  <strong>
                    Line {failure.error.line}
                    {failure.error.column !== null && `, column ${failure.error.column}`}:{" "}
                  </strong>
                )}
                {failure.error.message}
              </div>
              {failure.statement && <code>{failure.statement}</code>}
            </div>
            <button className="dismiss" aria-label="Dismiss error" onClick={() => setFailure(null)}>
              ×
            </button>
          </div>
        )}

        <footer className="designer-footer">
          <button onClick={onClose} disabled={busy}>
            Cancel
          </button>
          <button className="primary" onClick={() => void run()} disabled={busy || issues.length > 0}>
            {alter ? "Apply" : "Create"}
          </button>
        </footer>
      </div>
    </div>
  );
}

function ExistingColumns({ table }: { table: CatalogTable }) {
  return (
    <table className="designer-columns designer-existing" aria-label="Existing columns">
      <thead>
        <tr>
          <th>Name</th>
          <th>Type</th>
          <th>Nullable</th>
          <th>Key</th>
          <th>Default</th>
        </tr>
      </thead>
      <tbody>
        {table.kind === "USER" && (
          <tr>
            <td>_user</td>
            <td>TEXT</td>
            <td>no</td>
            <td>primary</td>
            <td className="designer-muted">the row's owner</td>
          </tr>
        )}
        {table.columns.map((c) => (
          <tr key={c.name}>
            <td>{c.name}</td>
            <td>{c.sql_type}</td>
            <td>{c.nullable ? "yes" : "no"}</td>
            <td>
              {[
                c.primary_key ? "primary" : "",
                ...table.unique.filter((u) => u.includes(c.name)).map((u) => `unique${u.length > 1 ? ` (${u.join(", ")})` : ""}`),
              ]
                .filter(Boolean)
                .join(", ")}
            </td>
            <td>{c.default ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
