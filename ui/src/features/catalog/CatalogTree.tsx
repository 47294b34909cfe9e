// Namespaces → tables with kind badges and row counts; the `catalog` event keeps it
// current after every commit. A table's context menu opens it on the right, exports
// it, imports into it or adds columns.
import { useState } from "react";

import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";
import { useContextMenu } from "../common/useContextMenu";

export type TableAction = "open-right" | "export" | "import" | "alter";

const ACTIONS: { action: TableAction; label: string; writable?: boolean }[] = [
  { action: "open-right", label: "Open on the right" },
  { action: "export", label: "Export…" },
  { action: "import", label: "Import into…", writable: true },
  { action: "alter", label: "Add columns…", writable: true },
];

export function CatalogTree({
  catalog,
  onOpen,
  onAction,
}: {
  catalog: CatalogView | null;
  onOpen: (table: CatalogTable) => void;
  onAction: (table: CatalogTable, action: TableAction) => void;
}) {
  const [collapsed, setCollapsed] = useState<Set<string>>(new Set());
  const [menu, setMenu] = useContextMenu<{ table: CatalogTable }>();
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
                    onContextMenu={(e) => {
                      e.preventDefault();
                      setMenu({ table: t, x: e.clientX, y: e.clientY });
                    }}
                    title={[
                      ...t.columns.map((c) => `${c.name} ${c.sql_type}${c.primary_key ? " PRIMARY KEY" : ""}`),
                      ...t.unique.map((u) => `UNIQUE (${u.join(", ")})`),
                    ].join("\n")}
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
      {menu && (
        <div className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }}>
          {ACTIONS.filter((a) => !a.writable || menu.table.kind !== "SYSTEM").map((a) => (
            <button key={a.action} role="menuitem" onClick={() => onAction(menu.table, a.action)}>
              {a.label}
            </button>
          ))}
        </div>
      )}
    </nav>
  );
}
