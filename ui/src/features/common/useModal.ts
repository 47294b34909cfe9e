// What every modal dialog does: take the focus when it opens, and close on Escape —
// unless it is busy (an export or import in flight must be waited for or cancelled).
import { useEffect, type RefObject } from "react";

export function useModal(dialog: RefObject<HTMLElement | null>, onClose: () => void, busy = false): void {
  useEffect(() => {
    dialog.current?.focus();
  }, [dialog]);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => e.key === "Escape" && !busy && onClose();
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [busy, onClose]);
}
