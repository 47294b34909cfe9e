// The user's theme: System (follow the OS, live), Light or Dark. The choice is kept in
// localStorage and shown to CSS as <html data-theme="light|dark">, so the variables in
// styles.css switch; the grids read it through useTheme (via theme.ts) because Glide
// takes its colours as values, not CSS variables.
import { useSyncExternalStore } from "react";

import type { Command } from "../commands/commands";

export type ThemeChoice = "system" | "light" | "dark";
export type ResolvedTheme = "light" | "dark";

const STORAGE_KEY = "tidepool.theme";
const OS_DARK = "(prefers-color-scheme: dark)";

/** A stored value back to a choice; anything unknown (or nothing) means System. */
export function parseThemeChoice(stored: string | null): ThemeChoice {
  return stored === "light" || stored === "dark" ? stored : "system";
}

export function resolveTheme(choice: ThemeChoice, osDark: boolean): ResolvedTheme {
  if (choice === "system") return osDark ? "dark" : "light";
  return choice;
}

interface ThemeState {
  choice: ThemeChoice;
  resolved: ResolvedTheme;
}

// One store for the whole window: every grid and the palette must agree, and the OS
// listener is installed once rather than per component.
let state: ThemeState | null = null;
let osDark = false;
const listeners = new Set<() => void>();

function show(choice: ThemeChoice): ThemeState {
  const resolved = resolveTheme(choice, osDark);
  // Same colours, same snapshot: a new object would make every grid lay out again.
  if (state?.choice === choice && state.resolved === resolved) return state;
  const next = { choice, resolved };
  state = next;
  document.documentElement.dataset.theme = resolved;
  listeners.forEach((listener) => listener());
  return next;
}

function current(): ThemeState {
  if (state) return state;
  const media = window.matchMedia?.(OS_DARK);
  osDark = media?.matches ?? false;
  media?.addEventListener("change", (e) => {
    osDark = e.matches;
    show(current().choice);
  });
  return show(parseThemeChoice(localStorage.getItem(STORAGE_KEY)));
}

/** Sets data-theme before the first render, so nothing paints in the wrong colours. */
export function startTheme(): void {
  current();
}

export function setThemeChoice(choice: ThemeChoice): void {
  current();
  localStorage.setItem(STORAGE_KEY, choice);
  show(choice);
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useTheme(): { choice: ThemeChoice; resolved: ResolvedTheme; setChoice: (choice: ThemeChoice) => void } {
  const { choice, resolved } = useSyncExternalStore(subscribe, current);
  return { choice, resolved, setChoice: setThemeChoice };
}

export function themeCommands(setChoice: (choice: ThemeChoice) => void): Command[] {
  return [
    { id: "theme.system", title: "Theme: follow system", group: "Appearance", run: () => setChoice("system") },
    { id: "theme.light", title: "Theme: light", group: "Appearance", run: () => setChoice("light") },
    { id: "theme.dark", title: "Theme: dark", group: "Appearance", run: () => setChoice("dark") },
  ];
}
