// The window: catalog tree on the left, tabs of consoles and live panes on the right,
// the acting user and the open database in the status bar.
import { useCallback, useEffect, useState } from "react";

import type { CatalogTable } from "./bindings/CatalogTable";
import type { CatalogView } from "./bindings/CatalogView";
import type { PaneInfo } from "./bindings/PaneInfo";
import { CatalogTree } from "./features/catalog/CatalogTree";
import { LocalApiButton } from "./features/settings/LocalApi";
import { Console } from "./features/console/Console";
import { startPaneEvents } from "./features/table-pane/paneEvents";
import { TablePane } from "./features/table-pane/TablePane";
import { api, onCatalog } from "./ipc";

type Tab =
  | { id: string; kind: "console"; title: string }
  | { id: string; kind: "pane"; title: string; info: PaneInfo; table: string | null };

let nextTab = 1;

export function App() {
  const [catalog, setCatalog] = useState<CatalogView | null>(null);
  const [openError, setOpenError] = useState<string | null>(null);
  const [tabs, setTabs] = useState<Tab[]>([{ id: "console-0", kind: "console", title: "Console" }]);
  const [active, setActive] = useState("console-0");
  const [user, setUser] = useState("");
  const acting = user.trim() === "" ? null : user.trim();

  useEffect(() => {
    void startPaneEvents();
    const unlisten = onCatalog((view) => {
      setCatalog((old) => {
        // Another database: its panes are gone.
        if (old && old.database.path !== view.database.path) {
          setTabs((t) => t.filter((tab) => tab.kind === "console"));
          setActive("console-0");
        }
        return view;
      });
      setOpenError(null);
    });
    api
      .catalog()
      .then(setCatalog)
      .catch((e: { message: string }) => setOpenError(e.message));
    return () => void unlisten.then((f) => f());
  }, []);

  const addPane = useCallback((info: PaneInfo, table: string | null, title: string) => {
    const id = `tab-${nextTab++}`;
    setTabs((t) => [...t, { id, kind: "pane", title, info, table }]);
    setActive(id);
  }, []);

  const openTable = useCallback(
    (table: CatalogTable) => {
      const name = `${table.namespace}.${table.name}`;
      api
        .openPane(name, null, acting)
        .then((info) => addPane(info, name, name))
        .catch((e: { message: string }) => setOpenError(e.message));
    },
    [acting, addPane],
  );

  const onLive = useCallback((info: PaneInfo) => addPane(info, null, `live: ${info.table ?? info.sql}`), [addPane]);

  const closeTab = (id: string) => {
    setTabs((t) => {
      const next = t.filter((tab) => tab.id !== id);
      if (active === id) setActive(next[next.length - 1]?.id ?? "");
      return next;
    });
  };

  const newConsole = () => {
    const id = `console-${nextTab++}`;
    setTabs((t) => [...t, { id, kind: "console", title: "Console" }]);
    setActive(id);
  };

  return (
    <div className="app">
      <aside className="sidebar">
        <div className="sidebar-title">Tidepool</div>
        <CatalogTree catalog={catalog} onOpen={openTable} />
      </aside>
      <main className="main">
        <div className="tabs" role="tablist">
          {tabs.map((tab) => (
            <div key={tab.id} className={`tab ${tab.id === active ? "active" : ""}`} data-tab={tab.title}>
              <button role="tab" aria-selected={tab.id === active} onClick={() => setActive(tab.id)}>
                {tab.kind === "pane" ? <span className="dot">●</span> : null} {tab.title}
              </button>
              <button className="close" aria-label={`Close ${tab.title}`} onClick={() => closeTab(tab.id)}>
                ×
              </button>
            </div>
          ))}
          <button className="new-tab" onClick={newConsole} title="New console">
            +
          </button>
        </div>
        {openError && (
          <div className="inline-error" role="alert">
            {openError}
            <button className="dismiss" onClick={() => setOpenError(null)}>×</button>
          </div>
        )}
        <div className="tab-body">
          {tabs.map((tab) => (
            <div key={tab.id} className="tab-page" hidden={tab.id !== active}>
              {tab.kind === "console" ? (
                <Console catalog={catalog} user={acting} onLive={onLive} />
              ) : (
                <TablePane initial={tab.info} table={tab.table} />
              )}
            </div>
          ))}
        </div>
      </main>
      <footer className="statusbar">
        <span className="db-path" title="Open database">
          {catalog ? catalog.database.path : "no database"}
        </span>
        <span>seq {catalog?.database.last_seq ?? "–"}</span>
        <div className="spacer" />
        <LocalApiButton />
        <label className="acting-user">
          acting as
          <input value={user} onChange={(e) => setUser(e.target.value)} placeholder="admin" aria-label="Acting user" />
        </label>
      </footer>
    </div>
  );
}
