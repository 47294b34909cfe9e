// Makes `navigator.language` a tag Intl accepts, before uPlot loads (see uplot.ts):
// WebKitGTK reports the POSIX locale's name as it is — "C" under LANG=C.UTF-8,
// "en_US.UTF-8@posix" or "en-US@posix" on some systems — and Intl throws a RangeError
// for those.

/** `tag` if Intl accepts it, else its language and region ("en_US.UTF-8" → "en-US"),
 * else the locale Intl falls back to. */
export function languageTag(tag: string): string {
  for (const candidate of [tag, tag.split(/[.@]/)[0].replace(/_/g, "-")]) {
    try {
      new Intl.NumberFormat(candidate);
      if (candidate !== "") return candidate;
    } catch {
      // Not a language tag: try the next.
    }
  }
  return new Intl.NumberFormat().resolvedOptions().locale;
}

if (typeof navigator !== "undefined") {
  const tag = languageTag(navigator.language);
  if (tag !== navigator.language) Object.defineProperty(navigator, "language", { value: tag, configurable: true });
}
