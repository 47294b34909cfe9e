// The window's tabs: one group of tabs, or two side by side (a split). Pure functions
// over an immutable layout, so App only decides *when* to change it; plus the saved
// form of a layout (restored when the database is opened again).
import type { PaneInfo } from "../../bindings/PaneInfo";

export type TabKind = "console" | "pane" | "live" | "start" | "live-queries";

export interface Tab {
  id: string;
  kind: TabKind;
  title: string;
  /** A live pane's subscription (kind "pane" or "live"). */
  info?: PaneInfo;
  /** `ns.table` of a table pane. */
  table?: string | null;
  /** A console's text when it opened (what it holds since is the console's). */
  draft?: string;
  /** A pane that opens with its change feed shown. */
  feed?: boolean;
  /** Why a pane's rows are not live now (its server connection is away, it closed); not saved. */
  stale?: string | null;
}

export interface Group {
  tabs: Tab[];
  active: string | null;
}

export interface Layout {
  /** One group, or two side by side. */
  groups: Group[];
  /** The group new tabs go to and shortcuts act on. */
  focus: number;
}

export const emptyLayout = (): Layout => ({ groups: [{ tabs: [], active: null }], focus: 0 });

export function findTab(layout: Layout, id: string): { group: number; tab: Tab } | null {
  for (const [group, g] of layout.groups.entries()) {
    const tab = g.tabs.find((t) => t.id === id);
    if (tab) return { group, tab };
  }
  return null;
}

export function activeTab(layout: Layout): Tab | null {
  const group = layout.groups[layout.focus] ?? layout.groups[0];
  return group?.tabs.find((t) => t.id === group.active) ?? null;
}

const setGroup = (layout: Layout, index: number, group: Group): Layout => ({
  ...layout,
  groups: layout.groups.map((g, i) => (i === index ? group : g)),
});

export function addTab(layout: Layout, tab: Tab, group = layout.focus): Layout {
  const target = Math.min(group, layout.groups.length - 1);
  const g = layout.groups[target];
  return { ...setGroup(layout, target, { tabs: [...g.tabs, tab], active: tab.id }), focus: target };
}

export function activate(layout: Layout, id: string): Layout {
  const found = findTab(layout, id);
  if (!found) return layout;
  return { ...setGroup(layout, found.group, { ...layout.groups[found.group], active: id }), focus: found.group };
}

/** Removes a tab; its neighbour becomes active; an emptied second group goes away. */
export function closeTab(layout: Layout, id: string): Layout {
  const found = findTab(layout, id);
  if (!found) return layout;
  const g = layout.groups[found.group];
  const index = g.tabs.findIndex((t) => t.id === id);
  const tabs = g.tabs.filter((t) => t.id !== id);
  const active = g.active === id ? (tabs[Math.min(index, tabs.length - 1)]?.id ?? null) : g.active;
  return dropEmptyGroups(setGroup(layout, found.group, { tabs, active }));
}

/** Moves a tab to group `to` (1 creates the right side: a split) and activates it
 * there. A side left empty goes away; a single tab is never split into an empty left. */
export function moveTab(layout: Layout, id: string, to: number): Layout {
  const found = findTab(layout, id);
  if (!found || found.group === to) return layout;
  if (to >= layout.groups.length && allTabs(layout).length < 2) return layout;
  let next = closeTab(layout, id);
  // Closing the last tab of a left side removed it: the right side is now index 0.
  if (next.groups.length < layout.groups.length && found.group < to) to -= 1;
  if (to >= next.groups.length) {
    next = { ...next, groups: [...next.groups, { tabs: [], active: null }] };
    to = next.groups.length - 1;
  }
  return addTab(next, found.tab, to);
}

/** Moves a tab to the side it is not on (splitting a single group). */
export function moveToOtherSide(layout: Layout, id: string): Layout {
  const found = findTab(layout, id);
  if (!found) return layout;
  if (layout.groups.length === 1) {
    // Splitting needs a tab left behind.
    if (layout.groups[0].tabs.length < 2) return layout;
    return moveTab(layout, id, 1);
  }
  return moveTab(layout, id, found.group === 0 ? 1 : 0);
}

/** The next (delta 1) or previous (-1) tab of the focused group, wrapping around. */
export function cycle(layout: Layout, delta: number): Layout {
  const g = layout.groups[layout.focus];
  if (!g || g.tabs.length === 0) return layout;
  const index = g.tabs.findIndex((t) => t.id === g.active);
  const next = g.tabs[(index + delta + g.tabs.length) % g.tabs.length];
  return activate(layout, next.id);
}

export function replaceTab(layout: Layout, id: string, change: (tab: Tab) => Tab): Layout {
  return {
    ...layout,
    groups: layout.groups.map((g) => ({ ...g, tabs: g.tabs.map((t) => (t.id === id ? change(t) : t)) })),
  };
}

export function allTabs(layout: Layout): Tab[] {
  return layout.groups.flatMap((g) => g.tabs);
}

function dropEmptyGroups(layout: Layout): Layout {
  if (layout.groups.length < 2) return layout;
  const groups = layout.groups.filter((g) => g.tabs.length > 0);
  if (groups.length === layout.groups.length) return layout;
  if (groups.length === 0) return emptyLayout();
  return { groups, focus: Math.min(layout.focus, groups.length - 1) };
}

// ---- The saved form ----------------------------------------------------------------

export interface SavedTab {
  kind: "console" | "pane" | "start" | "live-queries";
  title: string;
  table?: string;
  filter?: string | null;
  user?: string | null;
  /** A console's text: each database keeps its own consoles' drafts. */
  draft?: string;
}

export interface SavedWorkspace {
  version: 1;
  groups: { tabs: SavedTab[]; active: number }[];
  focus: number;
}

/** The WHERE of a table pane's query (`SELECT * FROM "ns"."t" WHERE ...`), if any. */
export function paneFilter(info: PaneInfo): string | null {
  const where = info.sql.match(/^SELECT \* FROM "(?:[^"]|"")+"\."(?:[^"]|"")+" WHERE ([\s\S]*)$/);
  return where ? where[1] : null;
}

/** What to restore: consoles (with their text: `drafts` by tab id, else the text they
 * opened with), table panes (with filter and user), the start page and the
 * live-queries view. Ad-hoc live results from the console are not kept. */
export function toSaved(layout: Layout, drafts: ReadonlyMap<string, string> = new Map()): SavedWorkspace {
  const groups = layout.groups
    .map((g) => {
      const tabs: { tab: Tab; saved: SavedTab }[] = [];
      for (const tab of g.tabs) {
        if (tab.kind === "pane" && tab.table && tab.info) {
          tabs.push({ tab, saved: { kind: "pane", title: tab.title, table: tab.table, filter: paneFilter(tab.info), user: tab.info.user } });
        } else if (tab.kind === "console") {
          tabs.push({ tab, saved: { kind: "console", title: tab.title, draft: drafts.get(tab.id) ?? tab.draft ?? "" } });
        } else if (tab.kind === "start" || tab.kind === "live-queries") {
          tabs.push({ tab, saved: { kind: tab.kind, title: tab.title } });
        }
      }
      return { tabs: tabs.map((t) => t.saved), active: Math.max(0, tabs.findIndex((t) => t.tab.id === g.active)) };
    })
    .filter((g) => g.tabs.length > 0);
  return { version: 1, groups, focus: Math.min(layout.focus, Math.max(0, groups.length - 1)) };
}

const KINDS = new Set(["console", "pane", "start", "live-queries"]);

/** A saved workspace read back, or null when it is not one (another version, damage). */
export function parseSaved(json: unknown): SavedWorkspace | null {
  if (!json || typeof json !== "object") return null;
  const w = json as Partial<SavedWorkspace>;
  if (w.version !== 1 || !Array.isArray(w.groups) || w.groups.length === 0 || w.groups.length > 2) return null;
  const groups: SavedWorkspace["groups"] = [];
  for (const g of w.groups) {
    if (!g || !Array.isArray(g.tabs)) return null;
    const tabs = g.tabs
      .filter(
        (t): t is SavedTab =>
          !!t && KINDS.has(t.kind) && typeof t.title === "string" && (t.kind !== "pane" || typeof t.table === "string"),
      )
      .map((t) => (t.draft === undefined || typeof t.draft === "string" ? t : { ...t, draft: undefined }));
    if (tabs.length > 0) groups.push({ tabs, active: Math.min(Math.max(0, Number(g.active) || 0), tabs.length - 1) });
  }
  if (groups.length === 0) return null;
  return { version: 1, groups, focus: Math.min(Math.max(0, Number(w.focus) || 0), groups.length - 1) };
}
