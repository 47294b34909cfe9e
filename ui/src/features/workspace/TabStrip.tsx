// One group's tab strip. Tabs can be dragged onto the other group (or onto the right
// half of the window to split it); the context menu and a button do the same without
// a mouse drag.
import type { Tab } from "./workspace";
import { useContextMenu } from "../common/useContextMenu";

export const TAB_MIME = "application/x-tidepool-tab";

export interface TabStripProps {
  tabs: Tab[];
  active: string | null;
  split: boolean;
  onActivate(id: string): void;
  onClose(id: string): void;
  onCloseOthers(id: string): void;
  onMove(id: string): void;
  onNewConsole(): void;
  onDropTab(id: string): void;
}

export function TabStrip(props: TabStripProps) {
  const { tabs, active, split } = props;
  const [menu, setMenu] = useContextMenu<{ id: string }>();
  const moveLabel = (title: string) => (split ? `Move ${title} to the other side` : `Split ${title} to the right`);

  return (
    <div
      className="tabs"
      role="tablist"
      onDragOver={(e) => e.dataTransfer.types.includes(TAB_MIME) && e.preventDefault()}
      onDrop={(e) => {
        const id = e.dataTransfer.getData(TAB_MIME);
        if (id) props.onDropTab(id);
      }}
    >
      {tabs.map((tab) => (
        <div
          key={tab.id}
          className={`tab ${tab.id === active ? "active" : ""}`}
          data-tab={tab.title}
          draggable
          onDragStart={(e) => {
            e.dataTransfer.setData(TAB_MIME, tab.id);
            e.dataTransfer.effectAllowed = "move";
          }}
          onContextMenu={(e) => {
            e.preventDefault();
            setMenu({ id: tab.id, x: e.clientX, y: e.clientY });
          }}
        >
          <button role="tab" aria-selected={tab.id === active} title={tab.title} onClick={() => props.onActivate(tab.id)}>
            {tab.kind === "pane" || tab.kind === "live" ? (
              <span className={tab.stale ? "dot stale" : "dot"} title={tab.stale ?? "live"}>
                ●
              </span>
            ) : null}{" "}
            {tab.title}
            {tab.info?.user && (
              <span className="tab-user" title={`Acting as ${tab.info.user}`}>
                {tab.info.user}
              </span>
            )}
          </button>
          {(split || tabs.length > 1) && (
            <button className="move" aria-label={moveLabel(tab.title)} title={moveLabel(tab.title)} onClick={() => props.onMove(tab.id)}>
              {split ? "⇄" : "◫"}
            </button>
          )}
          <button className="close" aria-label={`Close ${tab.title}`} onClick={() => props.onClose(tab.id)}>
            ×
          </button>
        </div>
      ))}
      <button className="new-tab" onClick={props.onNewConsole} title="New console (Ctrl/Cmd+T)">
        +
      </button>
      {menu && (
        <div className="context-menu" role="menu" style={{ left: menu.x, top: menu.y }}>
          <button role="menuitem" onClick={() => props.onMove(menu.id)}>
            {split ? "Move to the other side" : "Split to the right"}
          </button>
          <button role="menuitem" onClick={() => props.onCloseOthers(menu.id)}>
            Close others
          </button>
          <button role="menuitem" onClick={() => props.onClose(menu.id)}>
            Close
          </button>
        </div>
      )}
    </div>
  );
}
