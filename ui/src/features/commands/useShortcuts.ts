// One window keydown listener for every command shortcut.
import { useEffect } from "react";

import { commandForKey, IS_MAC, type Command } from "./commands";

/** Inputs, text areas, selects and contenteditable (the CodeMirror editor). */
function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement;
}

export function useShortcuts(commands: readonly Command[]): void {
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      // A focused component that already handled the key (CodeMirror's Mod+Enter, the
      // grid's own keys) keeps it; an IME composition is not a shortcut.
      if (event.defaultPrevented || event.isComposing) return;
      const command = commandForKey(commands, event, IS_MAC, isTyping(event.target));
      if (!command) return;
      // Also keeps the webview's own meaning of the key (reload on F5 and Mod+R, print on Mod+P).
      event.preventDefault();
      command.run();
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [commands]);
}
