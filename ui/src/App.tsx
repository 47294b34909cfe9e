// The window: catalog tree on the left; tabs of consoles, live panes and tools on the
// right, in one group or two side by side; the database (a folder, or a server and who
// the token acts as there), theme, Local API and acting user in the status bar. The tabs
// of each database are saved and come back when it is opened again. File → Connect to
// Server… and the start page open the connect dialog.
import { useCallback, useEffect, useMemo, useRef, useState } from "react";

import type { CatalogTable } from "./bindings/CatalogTable";
import type { CatalogView } from "./bindings/CatalogView";
import type { ExportSource } from "./bindings/ExportSource";
import type { PaneInfo } from "./bindings/PaneInfo";
import type { ServerConnection } from "./bindings/ServerConnection";
import type { TokenRequest } from "./bindings/TokenRequest";
import { useTheme, type ThemeChoice } from "./features/appearance/themeChoice";
import { CatalogTree, FOCUS_TREE_EVENT } from "./features/catalog/CatalogTree";
import type { Command } from "./features/commands/commands";
import { CommandLayer } from "./features/commands/CommandLayer";
import { CONNECT_SERVER_EVENT, ConnectDialog } from "./features/connections/ConnectDialog";
import { serverLabel, tokenNote } from "./features/connections/connection";
import { OpenServer } from "./features/connections/openServer";
import { Console } from "./features/console/Console";
import { DEMO_CONSOLE, DEMO_ORDERS, demoLayout } from "./features/demo/demoLayout";
import { DemoWriter } from "./features/demo/DemoWriter";
import { TableDesigner, type DesignerMode } from "./features/designer/TableDesigner";
import { ExportDialog } from "./features/files/ExportDialog";
import { suggestExportName } from "./features/files/exportPath";
import { ImportDialog } from "./features/files/ImportDialog";
import { LiveQueries } from "./features/live-queries/LiveQueries";
import { LocalApiButton } from "./features/settings/LocalApi";
import { startPaneEvents } from "./features/table-pane/paneEvents";
import { TablePane } from "./features/table-pane/TablePane";
import { ActingUser } from "./features/workspace/ActingUser";
import { StartPage } from "./features/workspace/StartPage";
import { TAB_MIME, TabStrip } from "./features/workspace/TabStrip";
import {
  activate,
  activeTab,
  addTab,
  allTabs,
  closeTab,
  cycle,
  emptyLayout,
  findTab,
  moveTab,
  moveToOtherSide,
  paneFilter,
  parseSaved,
  replaceTab,
  toSaved,
  type Layout,
  type Tab,
} from "./features/workspace/workspace";
import { api, onCatalog, onConnectRequest } from "./ipc";

let nextTab = 1;
const newId = (kind: string) => `${kind}-${nextTab++}`;
const consoleTab = (draft = ""): Tab => ({ id: newId("console"), kind: "console", title: "Console", draft });
/** The text of a database's first console. */
const FIRST_DRAFT = "SELECT * FROM system.tables;";
const startTab = (): Tab => ({ id: newId("start"), kind: "start", title: "Start" });
const liveQueriesTab = (): Tab => ({ id: newId("live-queries"), kind: "live-queries", title: "Live queries" });

export function App() {
  const [catalog, setCatalog] = useState<CatalogView | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [layout, setLayout] = useState<Layout>(emptyLayout);
  const [user, setUser] = useState("");
  const [designer, setDesigner] = useState<DesignerMode | null>(null);
  const [importing, setImporting] = useState<{ table?: string } | null>(null);
  const [exporting, setExporting] = useState<{ source: ExportSource; name: string } | null>(null);
  const [dragging, setDragging] = useState(false);
  const [paletteRequest, setPaletteRequest] = useState(0);
  /** The open server, when the open database is one. */
  const [server, setServer] = useState<ServerConnection | null>(null);
  /** The connect dialog, for a new connection or a saved one's token. */
  const [connecting, setConnecting] = useState<{ request: TokenRequest | null } | null>(null);
  const { choice: theme, setChoice: setTheme } = useTheme();
  const acting = user.trim() === "" ? null : user.trim();
  const database = catalog?.database.path ?? null;
  // The database whose workspace is loaded: until then nothing is saved over it.
  const restored = useRef<string | null>(null);
  // The layout now, for callbacks that outlive the render that made them.
  const layoutRef = useRef(layout);
  layoutRef.current = layout;

  useEffect(() => {
    void startPaneEvents();
    const unlisten = onCatalog((view) => {
      setCatalog(view);
      setNotice(null);
    });
    api
      .catalog()
      .then(setCatalog)
      .catch((e: { message: string }) => {
        setNotice(e.message);
        setLayout((l) => (allTabs(l).length ? l : addTab(addTab(emptyLayout(), startTab()), consoleTab(FIRST_DRAFT))));
      });
    // File → Connect to Server… or a saved server of Open Recent that needs its token (the
    // menu's event), or the same asked from inside the page.
    const openConnect = () => setConnecting({ request: null });
    const unlistenConnect = onConnectRequest((request) => setConnecting({ request }));
    window.addEventListener(CONNECT_SERVER_EVENT, openConnect);
    return () => {
      void unlisten.then((f) => f());
      void unlistenConnect.then((f) => f());
      window.removeEventListener(CONNECT_SERVER_EVENT, openConnect);
    };
  }, []);

  // Another database: is it a server's, and who does the token act as there?
  useEffect(() => {
    let current = true;
    api.serverConnection().then(
      (connection) => current && setServer(connection),
      () => current && setServer(null),
    );
    return () => {
      current = false;
    };
  }, [database]);

  const connected = useCallback((connection: ServerConnection) => {
    setConnecting(null);
    setServer(connection);
    // The token was to be saved and there is no keychain: say where it is instead.
    if (connection.token === "session" && connection.keychain_error) {
      setNotice(tokenNote(connection.token, "the keychain", connection.keychain_error));
    }
  }, []);

  // Another database (or the first): its saved tabs come back.
  useEffect(() => {
    if (!database || restored.current === database) return;
    restored.current = null;
    const restore = { cancelled: false };
    void restoreWorkspace(restore).then(({ layout: next, failures }) => {
      if (restore.cancelled) {
        // Another database opened meanwhile; its panes are not these.
        for (const tab of allTabs(next)) if (tab.info) void api.closePane(tab.info.pane).catch(() => undefined);
        return;
      }
      // Tabs opened while the saved ones were reopening stay, after them.
      setLayout((current) => allTabs(current).filter((t) => t.kind === "pane" || t.kind === "live").reduce((l, t) => addTab(l, t), next));
      if (failures.length) setNotice(`Some tabs could not be reopened: ${failures.join("; ")}`);
      restored.current = database;
    });
    return () => {
      restore.cancelled = true;
    };
  }, [database]);

  // Each console's text now, by tab id: saved with the workspace but kept out of the
  // layout, so that a keystroke renders no other tab.
  const drafts = useRef(new Map<string, string>());
  const saveTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  /** Saves the workspace a moment after its last change, for the database it is of. */
  const scheduleSave = useCallback(() => {
    const db = restored.current;
    if (db === null) return;
    clearTimeout(saveTimer.current);
    saveTimer.current = setTimeout(() => {
      if (restored.current !== db) return;
      for (const id of drafts.current.keys()) if (!findTab(layoutRef.current, id)) drafts.current.delete(id);
      void api.saveWorkspace(db, toSaved(layoutRef.current, drafts.current)).catch(() => undefined);
    }, 400);
  }, []);
  useEffect(() => {
    if (database && restored.current === database) scheduleSave();
  }, [layout, database, scheduleSave]);
  const noteDraft = useCallback(
    (id: string, text: string) => {
      drafts.current.set(id, text);
      scheduleSave();
    },
    [scheduleSave],
  );

  const addPane = useCallback((info: PaneInfo, table: string | null, title: string) => {
    setLayout((l) => addTab(l, { id: newId("pane"), kind: table ? "pane" : "live", title, info, table }));
  }, []);

  const openTable = useCallback(
    (table: CatalogTable, side?: "right") => {
      const name = `${table.namespace}.${table.name}`;
      api
        .openPane(name, null, acting)
        .then((info) => {
          const tab: Tab = { id: newId("pane"), kind: "pane", title: name, info, table: name };
          setLayout((l) => {
            const added = addTab(l, tab);
            return side === "right" ? moveTab(added, tab.id, 1) : added;
          });
        })
        .catch((e: { message: string }) => setNotice(e.message));
    },
    [acting],
  );

  const onLive = useCallback((info: PaneInfo) => addPane(info, null, `live: ${info.table ?? info.sql}`), [addPane]);
  const newConsole = useCallback(() => setLayout((l) => addTab(l, consoleTab())), []);
  const openSingleton = useCallback((kind: "start" | "live-queries") => {
    setLayout((l) => {
      const existing = allTabs(l).find((t) => t.kind === kind);
      return existing ? activate(l, existing.id) : addTab(l, kind === "start" ? startTab() : liveQueriesTab());
    });
  }, []);
  const close = useCallback((id: string) => setLayout((l) => closeTab(l, id)), []);
  const current = activeTab(layout);

  const exportTab = useCallback((tab: Tab | null) => {
    if (tab?.kind === "pane" || tab?.kind === "live") {
      const source: ExportSource = { kind: "pane", pane: tab.info!.pane };
      setExporting({ source, name: suggestExportName(source, new Date(), tab.table ?? undefined) });
    } else {
      setNotice("Export works on a table pane; console results have their own Export button.");
    }
  }, []);

  const commands = useMemo<Command[]>(
    () => [
      { id: "console.new", title: "New console", group: "Tabs", shortcut: "Mod+T", run: newConsole },
      { id: "tab.close", title: "Close tab", group: "Tabs", shortcut: "Mod+W", run: () => current && close(current.id), enabled: !!current },
      { id: "tab.next", title: "Next tab", group: "Tabs", shortcut: ["Ctrl+Tab", "Mod+Alt+Right"], run: () => setLayout((l) => cycle(l, 1)) },
      { id: "tab.previous", title: "Previous tab", group: "Tabs", shortcut: ["Ctrl+Shift+Tab", "Mod+Alt+Left"], run: () => setLayout((l) => cycle(l, -1)) },
      {
        id: "tab.split",
        title: layout.groups.length > 1 ? "Move tab to the other side" : "Split tab to the right",
        group: "Tabs",
        shortcut: "Mod+\\",
        run: () => current && setLayout((l) => moveToOtherSide(l, current.id)),
        enabled: !!current,
      },
      { id: "console.run", title: "Run the console (all or selection)", group: "Console", shortcut: "Mod+Enter", global: false, run: () => undefined },
      { id: "console.cancel", title: "Cancel the console's running statement", group: "Console", shortcut: "Escape", global: false, run: () => undefined },
      { id: "grid.find", title: "Find in grid", group: "Grid", shortcut: "Mod+F", run: () => window.dispatchEvent(new CustomEvent("tidepool:find", { detail: { side: layout.focus } })) },
      {
        id: "catalog.refresh",
        title: "Refresh catalog",
        group: "Database",
        shortcut: ["F5", "Mod+R"],
        run: () => void api.catalog().then(setCatalog, (e: { message: string }) => setNotice(e.message)),
      },
      { id: "catalog.focus", title: "Go to the catalog tree", group: "Database", shortcut: "Mod+Shift+E", run: () => window.dispatchEvent(new Event(FOCUS_TREE_EVENT)) },
      { id: "table.new", title: "New table…", group: "Database", run: () => setDesigner({ kind: "create" }) },
      { id: "file.import", title: "Import a CSV or Parquet file…", group: "Files", run: () => setImporting({}) },
      { id: "file.export", title: "Export the pane's rows…", group: "Files", run: () => exportTab(current), enabled: current?.kind === "pane" || current?.kind === "live" },
      { id: "view.live", title: "Live queries (system.live)", group: "View", run: () => openSingleton("live-queries") },
      { id: "view.start", title: "Start page", group: "View", run: () => openSingleton("start") },
      { id: "demo.open", title: "Open the demo database", group: "Database", run: () => void api.openDemo().catch((e: { message: string }) => setNotice(e.message)) },
      { id: "server.connect", title: "Connect to a server…", group: "Database", run: () => setConnecting({ request: null }) },
    ],
    [newConsole, close, current, layout.groups.length, layout.focus, exportTab, openSingleton],
  );

  async function restoreWorkspace(restore: { cancelled: boolean }): Promise<{ layout: Layout; failures: string[] }> {
    const saved = parseSaved(await api.loadWorkspace().catch(() => null));
    if (!saved && (await api.demoStatus().catch(() => null))?.open) {
      // The demo's first look: its orders moving, with the change feed, and examples.
      const info = await api.openPane(DEMO_ORDERS, null, null).catch(() => null);
      const orders: Tab | null = info && { id: newId("pane"), kind: "pane", title: DEMO_ORDERS, info, table: DEMO_ORDERS, feed: true };
      return { layout: demoLayout(startTab(), orders, consoleTab(DEMO_CONSOLE)), failures: [] };
    }
    if (!saved) {
      const fresh = addTab(addTab(emptyLayout(), startTab()), consoleTab(FIRST_DRAFT));
      return { layout: fresh, failures: [] };
    }
    let next = emptyLayout();
    const failures: string[] = [];
    for (const [g, group] of saved.groups.entries()) {
      if (g >= next.groups.length) next = { ...next, groups: [...next.groups, { tabs: [], active: null }] };
      let activeId: string | null = null;
      for (const [i, tab] of group.tabs.entries()) {
        if (restore.cancelled) break;
        let made: Tab | null = null;
        if (tab.kind === "pane" && tab.table) {
          try {
            const info = await api.openPane(tab.table, tab.filter ?? null, tab.user ?? null);
            made = { id: newId("pane"), kind: "pane", title: tab.table, info, table: tab.table };
          } catch (e) {
            failures.push(`${tab.table}: ${(e as { message: string }).message}`);
          }
        } else if (tab.kind === "console") made = consoleTab(tab.draft);
        else if (tab.kind === "start") made = startTab();
        else if (tab.kind === "live-queries") made = liveQueriesTab();
        if (made) {
          next = addTab(next, made, g);
          if (i === group.active) activeId = made.id;
        }
      }
      if (activeId) next = activate(next, activeId);
    }
    next = { ...next, groups: next.groups.filter((g) => g.tabs.length > 0) };
    if (next.groups.length === 0) next = addTab(emptyLayout(), consoleTab());
    return { layout: { ...next, focus: Math.min(saved.focus, next.groups.length - 1) }, failures };
  }

  const split = layout.groups.length > 1;
  const columnOf = (id: string) => (findTab(layout, id)?.group ?? 0) + 1;
  const startActions = {
    newConsole,
    newTable: () => setDesigner({ kind: "create" }),
    importFile: () => setImporting({}),
    liveQueries: () => openSingleton("live-queries"),
    palette: () => setPaletteRequest((n) => n + 1),
    connect: (request: TokenRequest | null) => setConnecting({ request }),
    connected,
  };

  return (
    <OpenServer.Provider value={server}>
      <div className="app" onDragStart={() => setDragging(true)} onDragEnd={() => setDragging(false)}>
        <aside className="sidebar">
          <div className="sidebar-title">
            Tidepool
            <span className="sidebar-actions">
              <button title="New table" aria-label="New table" onClick={() => setDesigner({ kind: "create" })}>
                + Table
              </button>
              <button title="Import a CSV or Parquet file" aria-label="Import a file" onClick={() => setImporting({})}>
                Import
              </button>
            </span>
          </div>
          <CatalogTree
            catalog={catalog}
            onOpen={openTable}
            onAction={(table, action) => {
              const name = `${table.namespace}.${table.name}`;
              if (action === "open-right") openTable(table, "right");
              else if (action === "export") {
                const source: ExportSource = { kind: "table", table: name, user: acting };
                setExporting({ source, name: suggestExportName(source, new Date()) });
              }
              else if (action === "import") setImporting({ table: name });
              else if (action === "alter") setDesigner({ kind: "alter", table });
            }}
          />
        </aside>
        <main className={`main ${split ? "split" : ""}`}>
          <div className="strips">
            {layout.groups.map((group, g) => (
              <div key={g} className={`strip ${layout.focus === g ? "focused" : ""}`} data-group={g}>
                <TabStrip
                  tabs={group.tabs}
                  active={group.active}
                  split={split}
                  onActivate={(id) => setLayout((l) => activate(l, id))}
                  onClose={close}
                  onCloseOthers={(id) =>
                    setLayout((l) => l.groups[g].tabs.filter((t) => t.id !== id).reduce((acc, t) => closeTab(acc, t.id), l))
                  }
                  onMove={(id) => setLayout((l) => moveToOtherSide(l, id))}
                  onNewConsole={() => setLayout((l) => addTab({ ...l, focus: g }, consoleTab()))}
                  onDropTab={(id) => {
                    setDragging(false);
                    setLayout((l) => moveTab(l, id, g));
                  }}
                />
              </div>
            ))}
          </div>
          {notice && (
            <div className="inline-error" role="alert">
              {notice}
              <button className="dismiss" onClick={() => setNotice(null)}>
                ×
              </button>
            </div>
          )}
          {/* Every tab's page lives in one list (so moving a tab between sides never
              remounts it, which would close its pane), placed in its side's column. */}
          <div className="tab-body">
            {allTabs(layout).map((tab) => {
              const side = findTab(layout, tab.id)!.group;
              const visible = layout.groups[side].active === tab.id;
              return (
                <div
                  key={tab.id}
                  className="tab-page"
                  hidden={!visible}
                  style={{ gridColumn: columnOf(tab.id) }}
                  data-side={side}
                  onMouseDown={() => layout.focus !== side && setLayout((l) => ({ ...l, focus: side }))}
                >
                  {tab.kind === "console" && (
                    <Console
                      initialText={tab.draft ?? ""}
                      onDraft={(text) => noteDraft(tab.id, text)}
                      catalog={catalog}
                      user={acting}
                      onLive={onLive}
                      onExport={(sql, user) => {
                        const source: ExportSource = { kind: "query", sql, user };
                        setExporting({ source, name: suggestExportName(source, new Date()) });
                      }}
                    />
                  )}
                  {(tab.kind === "pane" || tab.kind === "live") && tab.info && (
                    <TablePane
                      initial={tab.info}
                      table={tab.table ?? null}
                      initialFilter={paneFilter(tab.info) ?? ""}
                      onInfo={(info) => setLayout((l) => replaceTab(l, tab.id, (t) => ({ ...t, info })))}
                      onStale={(stale) => setLayout((l) => replaceTab(l, tab.id, (t) => ({ ...t, stale })))}
                      initialFeedOpen={tab.feed}
                      toolbar={
                        <button onClick={() => exportTab(tab)} title="Export the pane's rows to CSV, JSON or Parquet">
                          Export
                        </button>
                      }
                    />
                  )}
                  {tab.kind === "start" && <StartPage current={database} server={server} actions={startActions} />}
                  {tab.kind === "live-queries" && <LiveQueries visible={visible} />}
                </div>
              );
            })}
            {!split && dragging && (
              <div
                className="split-drop"
                onDragOver={(e) => e.dataTransfer.types.includes(TAB_MIME) && e.preventDefault()}
                onDrop={(e) => {
                  const id = e.dataTransfer.getData(TAB_MIME);
                  setDragging(false);
                  if (id) setLayout((l) => moveToOtherSide(l, id));
                }}
              >
                Drop here to split
              </div>
            )}
          </div>
        </main>
        <footer className="statusbar">
          {server ? (
            <span
              className="db-path db-server"
              data-server={server.server.url}
              title={`Server ${server.server.url} (${server.name}), the token acting as ${server.server.acting_as}; its database is ${server.server.database} on the server`}
            >
              {serverLabel(server)}
            </span>
          ) : (
            <span className="db-path" title="Open database">
              {catalog ? catalog.database.path : "no database"}
            </span>
          )}
          <span>seq {catalog?.database.last_seq ?? "–"}</span>
          <div className="spacer" />
          <label className="theme-choice">
            theme
            <select value={theme} onChange={(e) => setTheme(e.target.value as ThemeChoice)} aria-label="Theme">
              <option value="system">system</option>
              <option value="light">light</option>
              <option value="dark">dark</option>
            </select>
          </label>
          <DemoWriter database={database} />
          <LocalApiButton />
          <ActingUser value={user} onChange={setUser} />
        </footer>
        <CommandLayer commands={commands} openRequest={paletteRequest} />
        {designer && (
          <TableDesigner
            catalog={catalog}
            mode={designer}
            user={acting}
            onClose={() => setDesigner(null)}
            onDone={(name) => {
              const altered = designer.kind === "alter";
              setDesigner(null);
              // A new table opens; an altered one is already where the user came from.
              if (altered) return;
              api
                .openPane(name, null, acting)
                .then((info) => addPane(info, name, name))
                .catch((e: { message: string }) => setNotice(e.message));
            }}
          />
        )}
        {importing && (
          <ImportDialog
            catalog={catalog}
            user={acting}
            initialTable={importing.table}
            onClose={() => setImporting(null)}
            onImported={(table) => {
              if (allTabs(layoutRef.current).some((t) => t.table === table)) return;
              api
                .openPane(table, null, acting)
                .then((info) => addPane(info, table, table))
                .catch(() => undefined);
            }}
          />
        )}
        {exporting && <ExportDialog source={exporting.source} suggestedName={exporting.name} onClose={() => setExporting(null)} />}
        {connecting && <ConnectDialog request={connecting.request} onClose={() => setConnecting(null)} onConnected={connected} />}
      </div>
    </OpenServer.Provider>
  );
}
