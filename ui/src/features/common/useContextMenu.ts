// A context menu's state: where it is open (and for what), closed by the next left
// click or key press anywhere — but keys inside the menu (moving between its items,
// Enter) leave it open, except Escape and Tab.
import { useEffect, useState } from "react";

export type MenuAt<T> = T & { x: number; y: number };

export function useContextMenu<T>(): [MenuAt<T> | null, (menu: MenuAt<T> | null) => void] {
  const [menu, setMenu] = useState<MenuAt<T> | null>(null);
  useEffect(() => {
    if (!menu) return;
    // A right click may be followed by a click event of button 2: only the left closes.
    const close = (e: Event) => {
      if (e instanceof MouseEvent && e.button !== 0) return;
      const inMenu = e.target instanceof Element && e.target.closest('[role="menu"]') !== null;
      if (e instanceof KeyboardEvent && inMenu && e.key !== "Escape" && e.key !== "Tab") return;
      setMenu(null);
    };
    window.addEventListener("click", close);
    window.addEventListener("keydown", close);
    return () => {
      window.removeEventListener("click", close);
      window.removeEventListener("keydown", close);
    };
  }, [menu]);
  return [menu, setMenu];
}
