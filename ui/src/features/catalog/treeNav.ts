// The catalog tree from the keyboard (the WAI-ARIA tree pattern): the rows shown, in
// order, and what a key does from the focused one. Pure, so App's tree only applies
// the answer.
import type { CatalogView } from "../../bindings/CatalogView";

export interface TreeRow {
  /** `ns:<namespace>` or `table:<namespace>.<table>`. */
  id: string;
  kind: "namespace" | "table";
  /** What type-ahead matches. */
  name: string;
  namespace: string;
  /** A namespace's state. */
  expanded?: boolean;
}

export const namespaceId = (ns: string) => `ns:${ns}`;
export const tableId = (ns: string, table: string) => `table:${ns}.${table}`;

/** Each namespace, followed by its tables unless it is collapsed. */
export function visibleRows(catalog: CatalogView, collapsed: ReadonlySet<string>): TreeRow[] {
  return catalog.namespaces.flatMap((ns) => {
    const expanded = !collapsed.has(ns.name);
    const head: TreeRow = { id: namespaceId(ns.name), kind: "namespace", name: ns.name, namespace: ns.name, expanded };
    const tables: TreeRow[] = expanded
      ? ns.tables.map((t) => ({ id: tableId(ns.name, t.name), kind: "table", name: t.name, namespace: ns.name }))
      : [];
    return [head, ...tables];
  });
}

/** What a key does: rows to focus, a namespace to expand or collapse, a table to open. */
export interface TreeMove {
  focus?: string;
  expand?: string;
  collapse?: string;
  open?: string;
  /** The table's context menu (Shift+F10, the menu key). */
  menu?: string;
}

/**
 * The move for `key` from row `current` (the first row when it is gone); null for a key
 * the tree does not take. `typed` is the type-ahead text so far, this key included.
 */
export function treeKey(rows: readonly TreeRow[], current: string | null, key: string, shift: boolean, typed = ""): TreeMove | null {
  if (rows.length === 0) return null;
  const at = Math.max(0, rows.findIndex((r) => r.id === current));
  const row = rows[at];
  switch (key) {
    case "ArrowDown":
      return { focus: rows[Math.min(at + 1, rows.length - 1)].id };
    case "ArrowUp":
      return { focus: rows[Math.max(at - 1, 0)].id };
    case "Home":
      return { focus: rows[0].id };
    case "End":
      return { focus: rows[rows.length - 1].id };
    case "ArrowRight":
      if (row.kind === "table") return { focus: row.id };
      if (!row.expanded) return { focus: row.id, expand: row.namespace };
      return { focus: rows[at + 1]?.kind === "table" ? rows[at + 1].id : row.id };
    case "ArrowLeft":
      if (row.kind === "namespace") return row.expanded ? { focus: row.id, collapse: row.namespace } : { focus: row.id };
      return { focus: namespaceId(row.namespace) };
    case "Enter":
      if (row.kind === "table") return { focus: row.id, open: row.id };
      return row.expanded ? { focus: row.id, collapse: row.namespace } : { focus: row.id, expand: row.namespace };
    case "F10":
      return shift && row.kind === "table" ? { focus: row.id, menu: row.id } : null;
    case "ContextMenu":
      return row.kind === "table" ? { focus: row.id, menu: row.id } : null;
    default: {
      if (typed === "") return null;
      // Type-ahead: the next row (from this one when more letters were typed, else
      // after it) whose name starts with what was typed.
      const from = typed.length > 1 ? at : at + 1;
      const prefix = typed.toLowerCase();
      for (let i = 0; i < rows.length; i++) {
        const candidate = rows[(from + i) % rows.length];
        if (candidate.name.toLowerCase().startsWith(prefix)) return { focus: candidate.id };
      }
      return { focus: row.id };
    }
  }
}
