// Commands: what the palette lists and the keyboard runs. Shortcuts are written like
// "Mod+Shift+P", where Mod is Cmd on macOS and Ctrl elsewhere; Ctrl means Control on
// every platform (Ctrl+Tab switches tabs on macOS too).
//
// The app's shortcuts:
//   New console       Mod+T
//   Run               Mod+Enter (editor-local: the console's editor runs it, so the
//                     command is declared global: false and only listed in the palette)
//   Cancel            Escape (console-local too: while a run goes on, its console
//                     cancels the running statement)
//   Close tab         Mod+W
//   Next tab          Ctrl+Tab, Mod+Alt+Right
//   Previous tab      Ctrl+Shift+Tab, Mod+Alt+Left
//   Find in grid      Mod+F
//   Refresh catalog   F5, Mod+R
//   Catalog tree      Mod+Shift+E (then the arrows, Enter opens a table)
//   Command palette   Mod+K, Mod+Shift+P, Mod+P

export interface Command {
  id: string;
  title: string;
  group?: string;
  /** One shortcut or several; the palette shows the first. */
  shortcut?: string | readonly string[];
  run: () => void;
  /** False hides the command from the palette and the keyboard; default true. */
  enabled?: boolean;
  /**
   * False when a focused component owns the shortcut (the editor's Mod+Enter): the
   * palette shows it as a hint, the window listener leaves it alone. Default true.
   */
  global?: boolean;
}

/** The parts of a KeyboardEvent a shortcut looks at. */
export interface KeyLike {
  key: string;
  code?: string;
  ctrlKey: boolean;
  metaKey: boolean;
  shiftKey: boolean;
  altKey: boolean;
}

export interface Shortcut {
  /** KeyboardEvent.key, lower-cased when it is one character: "k", "Enter", "ArrowLeft", "F5". */
  key: string;
  mod: boolean;
  ctrl: boolean;
  meta: boolean;
  shift: boolean;
  alt: boolean;
}

export const IS_MAC = typeof navigator !== "undefined" && /Mac|iPhone|iPad/.test(navigator.platform || navigator.userAgent);

const MODIFIERS: Record<string, "mod" | "ctrl" | "meta" | "shift" | "alt"> = {
  mod: "mod",
  ctrl: "ctrl",
  control: "ctrl",
  cmd: "meta",
  meta: "meta",
  shift: "shift",
  alt: "alt",
  option: "alt",
};

const KEY_ALIASES: Record<string, string> = {
  left: "ArrowLeft",
  right: "ArrowRight",
  up: "ArrowUp",
  down: "ArrowDown",
  esc: "Escape",
  space: " ",
  return: "Enter",
};

/** Reads "Mod+Shift+P"; throws on an unknown modifier or a missing key, since shortcuts are written in code. */
export function parseShortcut(text: string): Shortcut {
  const parts = text.split("+").map((p) => p.trim());
  const key = parts.pop() ?? "";
  if (key === "") throw new Error(`shortcut "${text}" has no key`);
  const shortcut: Shortcut = { key: normalizeKey(KEY_ALIASES[key.toLowerCase()] ?? key), mod: false, ctrl: false, meta: false, shift: false, alt: false };
  for (const part of parts) {
    const modifier = MODIFIERS[part.toLowerCase()];
    if (!modifier) throw new Error(`shortcut "${text}": unknown modifier "${part}"`);
    shortcut[modifier] = true;
  }
  return shortcut;
}

function normalizeKey(key: string): string {
  return key.length === 1 ? key.toLowerCase() : key;
}

export function shortcutsOf(command: Command): readonly string[] {
  const { shortcut } = command;
  return shortcut === undefined ? [] : typeof shortcut === "string" ? [shortcut] : shortcut;
}

export function matchesShortcut(event: KeyLike, shortcut: string | Shortcut, isMac: boolean): boolean {
  const s = typeof shortcut === "string" ? parseShortcut(shortcut) : shortcut;
  const ctrl = s.ctrl || (s.mod && !isMac);
  const meta = s.meta || (s.mod && isMac);
  return (
    event.ctrlKey === ctrl &&
    event.metaKey === meta &&
    event.shiftKey === s.shift &&
    event.altKey === s.alt &&
    keyMatches(event, s.key)
  );
}

function keyMatches(event: KeyLike, key: string): boolean {
  const pressed = normalizeKey(event.key);
  if (pressed === key) return true;
  // Option on macOS and non-Latin layouts turn a letter or digit into another
  // character; then the physical key names it.
  if (/^[a-z]$/.test(key)) return !/^[a-z]$/.test(pressed) && event.code === `Key${key.toUpperCase()}`;
  if (/^[0-9]$/.test(key)) return !/^[0-9]$/.test(pressed) && event.code === `Digit${key}`;
  return false;
}

/**
 * The command the keyboard should run, if any. While the user types in a field, only
 * shortcuts with Ctrl or Cmd (or a function key) count: a plain letter, Alt+Arrow or
 * Shift+Tab belongs to the field.
 */
export function commandForKey(commands: readonly Command[], event: KeyLike, isMac: boolean, typing: boolean): Command | undefined {
  return commands.find(
    (command) =>
      command.enabled !== false &&
      command.global !== false &&
      shortcutsOf(command).some((text) => {
        const s = parseShortcut(text);
        if (typing && !(s.mod || s.ctrl || s.meta || /^F\d+$/.test(s.key))) return false;
        return matchesShortcut(event, s, isMac);
      }),
  );
}

const MAC_SYMBOLS: Record<string, string> = {
  Enter: "↩",
  Tab: "⇥",
  Escape: "⎋",
  Backspace: "⌫",
  Delete: "⌦",
  " ": "Space",
};

const ARROWS: Record<string, string> = { ArrowLeft: "←", ArrowRight: "→", ArrowUp: "↑", ArrowDown: "↓" };

/** "Mod+Shift+P" as the platform writes it: ⇧⌘P on macOS, Ctrl+Shift+P elsewhere. */
export function formatShortcut(text: string, isMac: boolean): string {
  const s = parseShortcut(text);
  const key = ARROWS[s.key] ?? (isMac ? MAC_SYMBOLS[s.key] : s.key === " " ? "Space" : undefined) ?? (s.key.length === 1 ? s.key.toUpperCase() : s.key);
  if (isMac) {
    // Apple's order: Control, Option, Shift, Command.
    return `${s.ctrl ? "⌃" : ""}${s.alt ? "⌥" : ""}${s.shift ? "⇧" : ""}${s.meta || s.mod ? "⌘" : ""}${key}`;
  }
  const mods = [s.ctrl || s.mod ? "Ctrl" : "", s.alt ? "Alt" : "", s.shift ? "Shift" : "", s.meta ? "Meta" : ""];
  return [...mods.filter(Boolean), key].join("+");
}

export interface FuzzyMatch {
  score: number;
  /** Indexes into the text of the matched characters, for highlighting. */
  positions: number[];
}

const MATCH = 1;
const WORD_START = 8;
const TEXT_START = 4;
const CONTIGUOUS = 6;
// A skip costs GAP_START plus GAP_EXTEND per further character skipped, so "con" in
// "Console" beats "C…on" in "Copy one" although "one" starts a word.
const GAP_START = 3;
const GAP_EXTEND = 1;

function isWordStart(text: string, i: number): boolean {
  if (i === 0) return true;
  const before = text[i - 1];
  const here = text[i];
  if (!/[\p{L}\p{N}]/u.test(before)) return true;
  return here !== here.toLowerCase() && before === before.toLowerCase();
}

/**
 * Whether the query's characters appear in order in the text (case-insensitive, spaces
 * in the query ignored) and, if so, how well: matches at word starts and runs of
 * adjacent characters score more, skipped characters cost. The best alignment is
 * found, not the first one.
 */
export function fuzzyMatch(query: string, text: string): FuzzyMatch | null {
  const q = query.toLowerCase().replace(/\s+/g, "");
  if (q === "") return { score: 0, positions: [] };
  const t = text.toLowerCase();
  const n = t.length;
  // best[i][j]: the best score with q[i] matched at t[j]; from[i][j]: where q[i-1] was.
  const best: number[][] = [];
  const from: number[][] = [];
  for (let i = 0; i < q.length; i++) {
    best.push(new Array<number>(n).fill(-Infinity));
    from.push(new Array<number>(n).fill(-1));
    // The best score of q[i-1] at any position before j - 1, less the gap from there to
    // j, carried along j: each step lengthens every earlier candidate's gap by one.
    let earlier = -Infinity;
    let earlierAt = -1;
    for (let j = 0; j < n; j++) {
      earlier -= GAP_EXTEND;
      if (i > 0 && j >= 2 && best[i - 1][j - 2] - GAP_START > earlier) {
        earlier = best[i - 1][j - 2] - GAP_START;
        earlierAt = j - 2;
      }
      if (t[j] !== q[i]) continue;
      const gain = MATCH + (isWordStart(text, j) ? WORD_START : 0) + (j === 0 ? TEXT_START : 0);
      if (i === 0) {
        best[i][j] = gain;
        continue;
      }
      const adjacent = j >= 1 ? best[i - 1][j - 1] + CONTIGUOUS : -Infinity;
      if (adjacent >= earlier && adjacent > -Infinity) {
        best[i][j] = adjacent + gain;
        from[i][j] = j - 1;
      } else if (earlier > -Infinity) {
        best[i][j] = earlier + gain;
        from[i][j] = earlierAt;
      }
    }
  }
  const last = q.length - 1;
  let end = -1;
  for (let j = 0; j < n; j++) if (best[last][j] > -Infinity && (end < 0 || best[last][j] > best[last][end])) end = j;
  if (end < 0) return null;
  const positions: number[] = [];
  for (let i = last, j = end; i >= 0; j = from[i][j], i--) positions.unshift(j);
  return { score: best[last][end], positions };
}

export interface RankedCommand {
  command: Command;
  positions: number[];
}

/**
 * The enabled commands whose titles match the query, best first; ties go to the shorter
 * title, then to the order given. An empty query keeps the order given.
 */
export function rankCommands(commands: readonly Command[], query: string): RankedCommand[] {
  const ranked: { command: Command; positions: number[]; score: number; index: number }[] = [];
  commands.forEach((command, index) => {
    if (command.enabled === false) return;
    const match = fuzzyMatch(query, command.title);
    if (match) ranked.push({ command, positions: match.positions, score: match.score, index });
  });
  if (query.trim() !== "") ranked.sort((a, b) => b.score - a.score || a.command.title.length - b.command.title.length || a.index - b.index);
  return ranked.map(({ command, positions }) => ({ command, positions }));
}
