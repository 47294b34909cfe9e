// Writing text to the clipboard from the webview. WebKitGTK lets a page write only
// during the user's gesture, so text at hand is written at once (writeText, or a hidden
// textarea and the old copy command where the Clipboard API is missing or refuses),
// and text that must first be fetched is handed over as a promise inside a
// ClipboardItem, WebKit's way of writing later.

export function writeClipboard(text: string | Promise<string>): Promise<void> {
  return typeof text === "string" ? writeText(text) : writeLater(text);
}

async function writeLater(text: Promise<string>): Promise<void> {
  const clipboard = navigator.clipboard as Clipboard | undefined;
  if (clipboard?.write !== undefined && typeof ClipboardItem !== "undefined") {
    try {
      const blob = text.then((t) => new Blob([t], { type: "text/plain" }));
      await clipboard.write([new ClipboardItem({ "text/plain": blob })]);
      return;
    } catch {
      // Refused (promises not accepted here, or the fetch failed): try the plain way,
      // which reports a failed fetch as such.
    }
  }
  return writeText(await text);
}

function writeText(text: string): Promise<void> {
  const clipboard = navigator.clipboard as Clipboard | undefined;
  if (clipboard?.writeText === undefined) return copyThroughTextarea(text);
  return clipboard.writeText(text).catch(() => copyThroughTextarea(text));
}

function copyThroughTextarea(text: string): Promise<void> {
  const focused = document.activeElement as HTMLElement | null;
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  area.style.pointerEvents = "none";
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch {
    copied = false;
  } finally {
    area.remove();
    focused?.focus({ preventScroll: true });
  }
  return copied ? Promise.resolve() : Promise.reject(new Error("the clipboard refused the text"));
}
