import { describe, expect, it } from "vitest";

import { commandForKey, formatShortcut, fuzzyMatch, matchesShortcut, parseShortcut, rankCommands, type Command, type KeyLike } from "./commands";

function key(k: string, mods: Partial<KeyLike> = {}): KeyLike {
  return { key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods };
}

function command(title: string, shortcut?: string | string[], extra: Partial<Command> = {}): Command {
  return { id: title, title, shortcut, run: () => undefined, ...extra };
}

describe("parsing shortcuts", () => {
  it("reads modifiers in any case and order, and the key", () => {
    expect(parseShortcut("Mod+Shift+P")).toEqual({ key: "p", mod: true, ctrl: false, meta: false, shift: true, alt: false });
    expect(parseShortcut("shift+ctrl+Tab")).toEqual({ key: "Tab", mod: false, ctrl: true, meta: false, shift: true, alt: false });
    expect(parseShortcut("Cmd+Option+K")).toMatchObject({ key: "k", meta: true, alt: true });
    expect(parseShortcut("F5").key).toBe("F5");
  });

  it("knows the short names of arrows and Escape", () => {
    expect(parseShortcut("Mod+Alt+Right").key).toBe("ArrowRight");
    expect(parseShortcut("Mod+Alt+left").key).toBe("ArrowLeft");
    expect(parseShortcut("Esc").key).toBe("Escape");
    expect(parseShortcut("Mod+ArrowLeft").key).toBe("ArrowLeft");
  });

  it("refuses unknown modifiers and missing keys", () => {
    expect(() => parseShortcut("Hyper+K")).toThrow(/unknown modifier "Hyper"/);
    expect(() => parseShortcut("Mod+")).toThrow(/no key/);
  });
});

describe("formatting shortcuts", () => {
  it("uses symbols in Apple's order on macOS", () => {
    expect(formatShortcut("Mod+K", true)).toBe("⌘K");
    expect(formatShortcut("Mod+Shift+P", true)).toBe("⇧⌘P");
    expect(formatShortcut("Ctrl+Shift+Tab", true)).toBe("⌃⇧⇥");
    expect(formatShortcut("Mod+Alt+Right", true)).toBe("⌥⌘→");
    expect(formatShortcut("Mod+Enter", true)).toBe("⌘↩");
  });

  it("spells modifiers out elsewhere", () => {
    expect(formatShortcut("Mod+K", false)).toBe("Ctrl+K");
    expect(formatShortcut("Mod+Shift+P", false)).toBe("Ctrl+Shift+P");
    expect(formatShortcut("Mod+Alt+Left", false)).toBe("Ctrl+Alt+←");
    expect(formatShortcut("Mod+Enter", false)).toBe("Ctrl+Enter");
    expect(formatShortcut("F5", false)).toBe("F5");
  });
});

describe("matching key presses", () => {
  it("takes Mod as Cmd on macOS and Ctrl elsewhere", () => {
    expect(matchesShortcut(key("k", { metaKey: true }), "Mod+K", true)).toBe(true);
    expect(matchesShortcut(key("k", { ctrlKey: true }), "Mod+K", true)).toBe(false);
    expect(matchesShortcut(key("k", { ctrlKey: true }), "Mod+K", false)).toBe(true);
    expect(matchesShortcut(key("k", { metaKey: true }), "Mod+K", false)).toBe(false);
  });

  it("takes Ctrl as Control on every platform", () => {
    expect(matchesShortcut(key("Tab", { ctrlKey: true }), "Ctrl+Tab", true)).toBe(true);
    expect(matchesShortcut(key("Tab", { metaKey: true }), "Ctrl+Tab", true)).toBe(false);
    expect(matchesShortcut(key("Tab", { ctrlKey: true }), "Ctrl+Tab", false)).toBe(true);
  });

  it("needs exactly the modifiers asked for", () => {
    expect(matchesShortcut(key("P", { ctrlKey: true, shiftKey: true }), "Mod+Shift+P", false)).toBe(true);
    expect(matchesShortcut(key("p", { ctrlKey: true }), "Mod+Shift+P", false)).toBe(false);
    expect(matchesShortcut(key("P", { ctrlKey: true, shiftKey: true }), "Mod+P", false)).toBe(false);
    expect(matchesShortcut(key("Tab", { ctrlKey: true, shiftKey: true }), "Ctrl+Shift+Tab", false)).toBe(true);
    expect(matchesShortcut(key("Tab", { ctrlKey: true, shiftKey: true }), "Ctrl+Tab", false)).toBe(false);
    expect(matchesShortcut(key("ArrowRight", { metaKey: true, altKey: true }), "Mod+Alt+Right", true)).toBe(true);
    expect(matchesShortcut(key("ArrowRight", { metaKey: true }), "Mod+Alt+Right", true)).toBe(false);
    expect(matchesShortcut(key("ArrowLeft", { ctrlKey: true, altKey: true }), "Mod+Alt+Left", false)).toBe(true);
  });

  it("matches Enter, F5 and Tab by name", () => {
    expect(matchesShortcut(key("Enter", { metaKey: true }), "Mod+Enter", true)).toBe(true);
    expect(matchesShortcut(key("F5"), "F5", false)).toBe(true);
    expect(matchesShortcut(key("F5", { shiftKey: true }), "F5", false)).toBe(false);
    expect(matchesShortcut(key("r", { ctrlKey: true }), "Mod+R", false)).toBe(true);
  });

  it("falls back to the physical key when the layout or Option changes the character", () => {
    expect(matchesShortcut(key("˚", { code: "KeyK", metaKey: true, altKey: true }), "Mod+Alt+K", true)).toBe(true);
    expect(matchesShortcut(key("л", { code: "KeyK", ctrlKey: true }), "Mod+K", false)).toBe(true);
    // A Latin layout that puts another letter on the K key means that letter.
    expect(matchesShortcut(key("q", { code: "KeyK", ctrlKey: true }), "Mod+K", false)).toBe(false);
  });
});

describe("choosing the command for a key", () => {
  const run = command("Run", "Mod+Enter", { global: false });
  const close = command("Close tab", "Mod+W");
  const next = command("Next tab", ["Ctrl+Tab", "Mod+Alt+Right"]);
  const refresh = command("Refresh catalog", ["F5", "Mod+R"]);
  const help = command("Help", "Shift+/");
  const commands = [run, close, next, refresh, help];

  it("finds a command by any of its shortcuts", () => {
    expect(commandForKey(commands, key("Tab", { ctrlKey: true }), false, false)).toBe(next);
    expect(commandForKey(commands, key("ArrowRight", { ctrlKey: true, altKey: true }), false, false)).toBe(next);
    expect(commandForKey(commands, key("F5"), false, false)).toBe(refresh);
  });

  it("leaves editor-local and disabled commands alone", () => {
    expect(commandForKey(commands, key("Enter", { ctrlKey: true }), false, false)).toBeUndefined();
    expect(commandForKey([command("Close tab", "Mod+W", { enabled: false })], key("w", { ctrlKey: true }), false, false)).toBeUndefined();
  });

  it("while typing, runs only Ctrl, Cmd and function-key shortcuts", () => {
    expect(commandForKey(commands, key("/", { shiftKey: true }), false, false)).toBe(help);
    expect(commandForKey(commands, key("/", { shiftKey: true }), false, true)).toBeUndefined();
    expect(commandForKey(commands, key("w", { metaKey: true }), true, true)).toBe(close);
    expect(commandForKey(commands, key("Tab", { ctrlKey: true }), true, true)).toBe(next);
    expect(commandForKey(commands, key("F5"), false, true)).toBe(refresh);
  });
});

describe("fuzzy matching", () => {
  it("matches a subsequence, ignoring case and spaces in the query", () => {
    expect(fuzzyMatch("ncon", "New console")?.positions).toEqual([0, 4, 5, 6]);
    expect(fuzzyMatch("new con", "New console")).not.toBeNull();
    expect(fuzzyMatch("xyz", "New console")).toBeNull();
    expect(fuzzyMatch("consolee", "New console")).toBeNull();
  });

  it("finds the best alignment, not the first", () => {
    // The greedy first match would take the "t" in "Next".
    expect(fuzzyMatch("nt", "Next tab")?.positions).toEqual([0, 5]);
    expect(fuzzyMatch("tl", "Theme: light")?.positions).toEqual([0, 7]);
  });

  it("matches everything with an empty query", () => {
    expect(fuzzyMatch("", "Anything")).toEqual({ score: 0, positions: [] });
  });
});

describe("ranking commands", () => {
  const titles = (ranked: ReturnType<typeof rankCommands>) => ranked.map((r) => r.command.title);

  it("prefers word starts", () => {
    const commands = [command("Refresh catalog"), command("Close tab")];
    expect(titles(rankCommands(commands, "ct"))).toEqual(["Close tab", "Refresh catalog"]);
  });

  it("prefers contiguous runs, even over scattered word starts", () => {
    const commands = [command("Copy one"), command("Close panes"), command("Console")];
    expect(titles(rankCommands(commands, "con"))).toEqual(["Console", "Copy one", "Close panes"]);
  });

  it("prefers the start of the title", () => {
    const commands = [command("Theme: dark"), command("Open recent"), command("Recent queries")];
    expect(titles(rankCommands(commands, "r"))).toEqual(["Recent queries", "Open recent", "Theme: dark"]);
  });

  it("drops disabled commands and keeps the given order for an empty query", () => {
    const commands = [command("Theme: light"), command("Close tab", undefined, { enabled: false }), command("New console")];
    expect(titles(rankCommands(commands, ""))).toEqual(["Theme: light", "New console"]);
    expect(titles(rankCommands(commands, "   "))).toEqual(["Theme: light", "New console"]);
  });
});
