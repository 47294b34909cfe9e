// What App mounts once: the shortcuts of the commands it passes, the theme commands,
// and the palette behind Mod+K / Mod+Shift+P / Mod+P.
import { useEffect, useMemo, useState } from "react";

import { setThemeChoice, themeCommands } from "../appearance/themeChoice";
import type { Command } from "./commands";
import { CommandPalette } from "./CommandPalette";
import { useShortcuts } from "./useShortcuts";

const PALETTE_SHORTCUTS = ["Mod+K", "Mod+Shift+P", "Mod+P"];

/** `openRequest`: a counter; each change opens the palette (the start page's button). */
export function CommandLayer({ commands, openRequest = 0 }: { commands: readonly Command[]; openRequest?: number }) {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    if (openRequest > 0) setOpen(true);
  }, [openRequest]);
  const all = useMemo(() => [...commands, ...themeCommands(setThemeChoice)], [commands]);
  const keys = useMemo(() => {
    const toggle: Command = { id: "palette.toggle", title: "Command palette", shortcut: PALETTE_SHORTCUTS, run: () => setOpen((o) => !o) };
    // While the palette is open its keys are the only ones: a tab must not close behind it.
    return open ? [toggle] : [toggle, ...all];
  }, [open, all]);
  useShortcuts(keys);
  return open ? <CommandPalette commands={all} onClose={() => setOpen(false)} /> : null;
}
