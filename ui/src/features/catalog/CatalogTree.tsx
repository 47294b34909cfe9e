// Namespaces → tables with kind badges and row counts; the `catalog` event keeps it
// current after every commit.
import { useState } from "react";

import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";

export function CatalogTree({ catalog, onOpen }: { catalog: CatalogView | null; onOpen: (table: CatalogTable) => void }) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  if (!catalog) return <div className="tree empty">No database open.</div>;
  const toggle = (ns: string) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (next.has(ns)) next.delete(ns);
      else next.add(ns);
      return next;
    });
  return (
    <nav className="tree" aria-label="Catalog">
      {catalog.namespaces.map((ns) => (
        <div key={ns.name} className="namespace" data-namespace={ns.name}>
          <button className="ns-name" onClick={() => toggle(ns.name)} aria-expanded={!collapsed.has(ns.name)}>
            <span className="caret">{collapsed.has(ns.name) ? "▸" : "▾"}</span> {ns.name}
            <span className="count">{ns.tables.length}</span>
          </button>
          {!collapsed.has(ns.name) && (
            <ul>
              {ns.tables.map((t) => (
                <li key={t.name}>
                  <button
                    className="table-name"
                    data-table={`${t.namespace}.${t.name}`}
                    onClick={() => onOpen(t)}
                    title={t.columns.map((c) => `${c.name} ${c.sql_type}${c.primary_key ? " PRIMARY KEY" : ""}`).join("\n")}
                  >
                    <span className={`badge ${t.kind.toLowerCase()}`}>{t.kind}</span>
                    <span className="name">{t.name}</span>
                    {t.rows !== null && <span className="count" data-rows={t.rows}>{t.rows.toLocaleString()}</span>}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
      ))}
    </nav>
  );
}
