// The import dialog's target forms: how file columns map onto an existing table, and
// the new table built from the file's columns with the CREATE TABLE it will run.
import type { ImportColumn } from "../../bindings/ImportColumn";
import { COLUMN_TYPES, type ColumnDraft, type ColumnType } from "../designer/sql";
import { primaryKeyOf, withPrimaryKey } from "./importPlan";

interface MappingTableProps {
  fileColumns: ImportColumn[];
  targets: string[];
  /** Per file column, its target column or null (skipped). */
  mapping: (string | null)[];
  onMapping(mapping: (string | null)[]): void;
}

export function MappingTable({ fileColumns, targets, mapping, onMapping }: MappingTableProps) {
  return (
    <table className="import-columns" aria-label="Column mapping">
      <thead>
        <tr>
          <th>File column</th>
          <th>Type in the file</th>
          <th>Goes to</th>
        </tr>
      </thead>
      <tbody>
        {fileColumns.map((c, i) => (
          <tr key={i}>
            <td>{c.name}</td>
            <td className="import-type">{c.sql_type}</td>
            <td>
              <select
                value={mapping[i] ?? ""}
                onChange={(e) => onMapping(mapping.map((m, j) => (j === i ? e.target.value || null : m)))}
                aria-label={`Map column ${c.name}`}
              >
                <option value="">(skip)</option>
                {targets.map((t) => (
                  <option key={t} value={t}>
                    {t}
                  </option>
                ))}
              </select>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

interface NewTableProps {
  namespace: string;
  name: string;
  namespaces: string[];
  namespaceList: string;
  fileColumns: string[];
  columns: ColumnDraft[];
  createSql: string;
  user: string | null;
  onNamespace(namespace: string): void;
  onName(name: string): void;
  onColumns(columns: ColumnDraft[]): void;
}

export function NewTable(props: NewTableProps) {
  const { columns, fileColumns, onColumns } = props;
  const key = primaryKeyOf(columns);
  const setColumn = (index: number, change: Partial<ColumnDraft>) =>
    onColumns(columns.map((c, i) => (i === index ? { ...c, ...change } : c)));
  return (
    <>
      <div className="import-new-head">
        <label>
          Namespace
          <input
            value={props.namespace}
            list={props.namespaceList}
            onChange={(e) => props.onNamespace(e.target.value)}
            aria-label="New table namespace"
            spellCheck={false}
          />
          <datalist id={props.namespaceList}>
            {props.namespaces.map((n) => (
              <option key={n} value={n} />
            ))}
          </datalist>
        </label>
        <label>
          Table name
          <input
            value={props.name}
            onChange={(e) => props.onName(e.target.value)}
            aria-label="New table name"
            spellCheck={false}
          />
        </label>
        <label>
          Primary key
          <select
            value={key ?? ""}
            onChange={(e) => onColumns(withPrimaryKey(columns, e.target.value === "" ? null : Number(e.target.value)))}
            aria-label="Primary key"
          >
            <option value="">none (the engine adds _id)</option>
            {columns.map((c, i) => (
              <option key={i} value={i}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <table className="import-columns" aria-label="New table columns">
        <thead>
          <tr>
            <th>File column</th>
            <th>Column name</th>
            <th>Type</th>
          </tr>
        </thead>
        <tbody>
          {columns.map((c, i) => (
            <tr key={i}>
              <td>{fileColumns[i]}</td>
              <td>
                <input
                  value={c.name}
                  onChange={(e) => setColumn(i, { name: e.target.value })}
                  aria-label={`Column name for ${fileColumns[i]}`}
                  spellCheck={false}
                />
              </td>
              <td>
                <select
                  value={c.type}
                  onChange={(e) => setColumn(i, { type: e.target.value as ColumnType, precision: "", scale: "" })}
                  aria-label={`Column type for ${fileColumns[i]}`}
                >
                  {COLUMN_TYPES.map((t) => (
                    <option key={t} value={t}>
                      {t}
                    </option>
                  ))}
                </select>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {props.user !== null && (
        <p className="hint import-warn">
          Creating a table needs an admin session, and this runs as {props.user}: clear “acting as” to run it as admin.
        </p>
      )}
      <pre className="import-sql" aria-label="CREATE TABLE SQL">
        {props.createSql}
      </pre>
    </>
  );
}
