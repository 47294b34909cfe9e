import { describe, expect, it } from "vitest";

import { parseThemeChoice, resolveTheme, themeCommands, type ThemeChoice } from "./themeChoice";

describe("theme choice", () => {
  it("reads the stored choice, System when missing or unknown", () => {
    expect(parseThemeChoice("light")).toBe("light");
    expect(parseThemeChoice("dark")).toBe("dark");
    expect(parseThemeChoice("system")).toBe("system");
    expect(parseThemeChoice(null)).toBe("system");
    expect(parseThemeChoice("sepia")).toBe("system");
  });

  it("follows the OS only for System", () => {
    expect(resolveTheme("system", true)).toBe("dark");
    expect(resolveTheme("system", false)).toBe("light");
    expect(resolveTheme("light", true)).toBe("light");
    expect(resolveTheme("dark", false)).toBe("dark");
  });

  it("offers a command per choice", () => {
    const chosen: ThemeChoice[] = [];
    const commands = themeCommands((choice) => chosen.push(choice));
    expect(commands.map((c) => c.title)).toEqual(["Theme: follow system", "Theme: light", "Theme: dark"]);
    commands.forEach((c) => c.run());
    expect(chosen).toEqual(["system", "light", "dark"]);
  });
});
