import { describe, expect, it } from "vitest";

import { languageTag } from "./languageTag";

describe("languageTag", () => {
  it("keeps a tag Intl accepts", () => {
    expect(languageTag("en-US")).toBe("en-US");
    expect(languageTag("de")).toBe("de");
  });

  it("makes a POSIX locale name a language tag", () => {
    expect(languageTag("en_US.UTF-8")).toBe("en-US");
    expect(languageTag("en-US@posix")).toBe("en-US");
  });

  it("falls back to Intl's own locale for what names no language", () => {
    const fallback = new Intl.NumberFormat().resolvedOptions().locale;
    expect(languageTag("C")).toBe(fallback);
    expect(languageTag("")).toBe(fallback);
    expect(() => new Intl.NumberFormat(languageTag("C.UTF-8"))).not.toThrow();
  });
});
