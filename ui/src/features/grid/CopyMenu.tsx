// The "Copy as" menu (right-click on a grid, or the pane's toolbar button) and the
// note that says what was copied.
import { useEffect, useRef } from "react";

import { COPY_FORMATS, type CopyFormat } from "./copy";
import type { Notice } from "./useGridCopy";

const MENU_WIDTH = 190;
const MENU_HEIGHT = 140;

export function CopyMenu({ at, onPick, onClose }: { at: { x: number; y: number }; onPick: (format: CopyFormat) => void; onClose: () => void }) {
  const menu = useRef<HTMLDivElement>(null);
  useEffect(() => menu.current?.querySelector("button")?.focus(), []);
  // Kept inside the window when opened near its right or bottom edge.
  const left = Math.max(0, Math.min(at.x, window.innerWidth - MENU_WIDTH));
  const top = Math.max(0, Math.min(at.y, window.innerHeight - MENU_HEIGHT));
  const move = (step: 1 | -1) => {
    const items = [...(menu.current?.querySelectorAll("button") ?? [])];
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    items[(i + step + items.length) % items.length]?.focus();
  };
  return (
    <div className="grid-menu-backdrop" onMouseDown={onClose} onContextMenu={(e) => e.preventDefault()}>
      <div
        ref={menu}
        className="grid-menu"
        role="menu"
        style={{ left, top }}
        onMouseDown={(e) => e.stopPropagation()}
        onKeyDown={(e) => {
          if (e.key === "Escape") onClose();
          else if (e.key === "ArrowDown") move(1);
          else if (e.key === "ArrowUp") move(-1);
          else return;
          e.preventDefault();
        }}
      >
        {COPY_FORMATS.map(({ format, label }) => (
          <button
            key={format}
            role="menuitem"
            onClick={() => {
              onClose();
              onPick(format);
            }}
          >
            Copy as {label}
          </button>
        ))}
      </div>
    </div>
  );
}

export function GridNotice({ notice }: { notice: Notice | null }) {
  if (notice === null) return null;
  return (
    <div className={`grid-notice ${notice.error ? "error" : ""}`} role="status">
      {notice.text}
    </div>
  );
}
