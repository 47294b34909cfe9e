// Namespaces → tables with kind badges and row counts; the `catalog` event keeps it
// current after every commit. A table's context menu opens it on the right, exports
// it, imports into it or adds columns. From the keyboard (treeNav.ts): the arrows move
// and expand, Enter opens, typing jumps to a name, Shift+F10 opens the menu.
import { useEffect, useRef, useState, type KeyboardEvent } from "react";

import type { CatalogTable } from "../../bindings/CatalogTable";
import type { CatalogView } from "../../bindings/CatalogView";
import { useContextMenu } from "../common/useContextMenu";
import { tableId, treeKey, visibleRows, type TreeRow } from "./treeNav";

export type TableAction = "open-right" | "export" | "import" | "alter";

const ACTIONS: { action: TableAction; label: string; writable?: boolean }[] = [
  { action: "open-right", label: "Open on the right" },
  { action: "export", label: "Export…" },
  { action: "import", label: "Import into…", writable: true },
  { action: "alter", label: "Add columns…", writable: true },
];

/** Sent on `window` (by the "Go to the catalog tree" command) to focus the tree. */
export const FOCUS_TREE_EVENT = "tidepool:focus-tree";

/** Letters typed within this long make one type-ahead prefix. */
const TYPEAHEAD_MS = 700;

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
  const [menu, setMenu] = useContextMenu<{ table: CatalogTable; keyboard: boolean }>();
  /** The row the keyboard is on (the tree's one tab stop). */
  const [current, setCurrent] = useState<string | null>(null);
  const tree = useRef<HTMLDivElement>(null);
  const typed = useRef({ text: "", at: 0 });
  const menuElement = useRef<HTMLDivElement>(null);

  // A menu opened from the keyboard takes the focus.
  useEffect(() => {
    if (menu?.keyboard) menuElement.current?.querySelector<HTMLElement>('[role="menuitem"]')?.focus();
  }, [menu]);

  useEffect(() => {
    const focus = () => tree.current?.querySelector<HTMLElement>('[role="treeitem"][tabindex="0"]')?.focus();
    window.addEventListener(FOCUS_TREE_EVENT, focus);
    return () => window.removeEventListener(FOCUS_TREE_EVENT, focus);
  }, []);

  if (!catalog) return <div className="tree empty">No database open.</div>;
  const rows = visibleRows(catalog, collapsed);
  const focused = rows.find((r) => r.id === current) ?? rows[0];
  const tables = new Map(catalog.namespaces.flatMap((ns) => ns.tables.map((t) => [tableId(ns.name, t.name), t] as const)));

  const setOpen = (ns: string, open: boolean) =>
    setCollapsed((c) => {
      const next = new Set(c);
      if (open) next.delete(ns);
      else next.add(ns);
      return next;
    });
  const focusRow = (id: string) => {
    setCurrent(id);
    const element = tree.current?.querySelector<HTMLElement>(`[data-tree-id="${CSS.escape(id)}"]`);
    element?.focus({ preventScroll: true });
    element?.scrollIntoView({ block: "nearest" });
  };
  const openMenu = (table: CatalogTable, element: HTMLElement) => {
    const box = element.getBoundingClientRect();
    setMenu({ table, keyboard: true, x: box.left + 24, y: box.bottom });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    let text = "";
    if (e.key.length === 1 && e.key !== " ") {
      const now = Date.now();
      text = now - typed.current.at < TYPEAHEAD_MS ? typed.current.text + e.key : e.key;
      typed.current = { text, at: now };
    }
    const move = treeKey(rows, focused?.id ?? null, e.key, e.shiftKey, text);
    if (!move) return;
    // The tree's key alone (a menu it opens would see it at the window and close).
    e.preventDefault();
    e.stopPropagation();
    if (move.expand) setOpen(move.expand, true);
    if (move.collapse) setOpen(move.collapse, false);
    if (move.focus) focusRow(move.focus);
    const table = tables.get(move.open ?? move.menu ?? "");
    if (table && move.open) onOpen(table);
    if (table && move.menu) openMenu(table, e.target as HTMLElement);
  };

  const onMenuKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const items = [...(menuElement.current?.querySelectorAll<HTMLElement>('[role="menuitem"]') ?? [])];
    const at = items.indexOf(document.activeElement as HTMLElement);
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const step = e.key === "ArrowDown" ? 1 : -1;
      items[(at + step + items.length) % items.length]?.focus();
    } else if (e.key === "Escape" && focused) {
      // The menu closes (useContextMenu); the row it was opened on gets the focus back.
      focusRow(focused.id);
    }
  };

  const row = (r: TreeRow) => {
    const common = {
      role: "treeitem",
      "data-tree-id": r.id,
      tabIndex: r.id === focused?.id ? 0 : -1,
      "aria-selected": r.id === focused?.id,
      onFocus: () => setCurrent(r.id),
    };
    if (r.kind === "namespace") {
      const ns = catalog.namespaces.find((n) => n.name === r.namespace)!;
      return (
        <div
          key={r.id}
          {...common}
          className="ns-name"
          data-namespace={ns.name}
          aria-level={1}
          aria-expanded={r.expanded}
          onClick={() => setOpen(ns.name, !r.expanded)}
        >
          <span className="caret">{r.expanded ? "▾" : "▸"}</span> {ns.name}
          <span className="count">{ns.tables.length}</span>
        </div>
      );
    }
    const t = tables.get(r.id)!;
    return (
      <div
        key={r.id}
        {...common}
        className="table-name"
        data-table={`${t.namespace}.${t.name}`}
        aria-level={2}
        onClick={() => onOpen(t)}
        onContextMenu={(e) => {
          e.preventDefault();
          setCurrent(r.id);
          setMenu({ table: t, keyboard: false, x: e.clientX, y: e.clientY });
        }}
        title={[
          ...t.columns.map((c) => `${c.name} ${c.sql_type}${c.primary_key ? " PRIMARY KEY" : ""}`),
          ...t.unique.map((u) => `UNIQUE (${u.join(", ")})`),
        ].join("\n")}
      >
        <span className={`badge ${t.kind.toLowerCase()}`}>{t.kind}</span>
        <span className="name">{t.name}</span>
        {t.rows !== null && (
          <span className="count" data-rows={t.rows}>
            {t.rows.toLocaleString()}
          </span>
        )}
      </div>
    );
  };

  return (
    <nav className="tree" aria-label="Catalog">
      <div role="tree" aria-label="Catalog" ref={tree} onKeyDown={onKeyDown}>
        {rows.map(row)}
      </div>
      {menu && (
        <div className="context-menu" role="menu" ref={menuElement} onKeyDown={onMenuKeyDown} style={{ left: menu.x, top: menu.y }}>
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
