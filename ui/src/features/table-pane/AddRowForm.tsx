// The "+ Row" form: one field per writable column; empty fields take the column's
// default, NULL writes NULL. The row appears through the pane's subscription.
import { useState } from "react";

import type { PaneInfo } from "../../bindings/PaneInfo";
import { api } from "../../ipc";
import type { Json } from "../../json";

export function AddRowForm({ info, onDone, onError }: { info: PaneInfo; onDone: () => void; onError: (e: string | null) => void }) {
  const fields = info.columns.filter((c) => c.name !== "_id" && (c.name !== "_user" || info.user === null));
  const [values, setValues] = useState<Record<string, string>>({});
  const submit = async () => {
    if (info.table === null) return;
    const row: Record<string, Json> = {};
    for (const [name, text] of Object.entries(values)) {
      if (text === "") continue;
      row[name] = text === "NULL" ? null : text;
    }
    try {
      await api.insertRow(info.table, info.user, row);
      onError(null);
      setValues({});
      onDone();
    } catch (e) {
      onError((e as { message: string }).message);
    }
  };
  return (
    <form
      className="add-row"
      onSubmit={(e) => {
        e.preventDefault();
        void submit();
      }}
    >
      {fields.map((c) => (
        <label key={c.name}>
          <span>
            {c.name} <em>{c.sql_type}{c.nullable ? "" : " NOT NULL"}</em>
          </span>
          <input
            name={c.name}
            value={values[c.name] ?? ""}
            placeholder={c.nullable ? "NULL" : "default"}
            onChange={(e) => setValues((v) => ({ ...v, [c.name]: e.target.value }))}
          />
        </label>
      ))}
      <button type="submit">Insert</button>
      <button type="button" onClick={onDone}>Cancel</button>
    </form>
  );
}
