// The command palette: type to filter, arrows to choose, Enter to run, Escape or a
// click outside to close. Focus goes back where it was when the palette closes.
import { useEffect, useId, useMemo, useRef, useState, type KeyboardEvent } from "react";

import { formatShortcut, IS_MAC, rankCommands, shortcutsOf, type Command } from "./commands";

export function CommandPalette({ commands, onClose }: { commands: readonly Command[]; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [active, setActive] = useState(0);
  const ranked = useMemo(() => rankCommands(commands, query), [commands, query]);
  const list = useRef<HTMLUListElement>(null);
  const id = useId();
  const optionId = (i: number) => `${id}-option-${i}`;
  const chosen = Math.min(active, ranked.length - 1);

  // Read during the first render: by the time effects run, autoFocus has moved focus.
  const [before] = useState(() => document.activeElement);
  useEffect(
    () => () => {
      if (before instanceof HTMLElement && before.isConnected) before.focus();
    },
    [before],
  );

  useEffect(() => {
    list.current?.children[chosen]?.scrollIntoView({ block: "nearest" });
  }, [chosen]);

  const run = (command: Command) => {
    onClose();
    command.run();
  };

  const onKeyDown = (e: KeyboardEvent<HTMLInputElement>) => {
    if (e.nativeEvent.isComposing) return;
    const move = (to: number) => {
      e.preventDefault();
      if (ranked.length > 0) setActive((to + ranked.length) % ranked.length);
    };
    switch (e.key) {
      case "ArrowDown":
        return move(chosen + 1);
      case "ArrowUp":
        return move(chosen - 1);
      case "Enter": {
        e.preventDefault();
        const command = ranked[chosen]?.command;
        if (command) run(command);
        return;
      }
      case "Escape":
        e.preventDefault();
        return onClose();
      case "Tab":
        // The input is the dialog's only stop: keep focus inside the modal.
        e.preventDefault();
    }
  };

  return (
    <div className="overlay palette-overlay" onMouseDown={(e) => e.target === e.currentTarget && onClose()}>
      <div className="dialog palette" role="dialog" aria-modal="true" aria-label="Command palette">
        <input
          className="palette-input"
          autoFocus
          value={query}
          onChange={(e) => {
            setQuery(e.target.value);
            setActive(0);
          }}
          onKeyDown={onKeyDown}
          placeholder="Type a command"
          aria-label="Command"
          role="combobox"
          aria-expanded="true"
          aria-autocomplete="list"
          aria-controls={`${id}-list`}
          aria-activedescendant={chosen >= 0 ? optionId(chosen) : undefined}
          spellCheck={false}
          autoComplete="off"
        />
        <ul className="palette-list" role="listbox" id={`${id}-list`} aria-label="Commands" ref={list}>
          {ranked.map(({ command, positions }, i) => {
            const shortcut = shortcutsOf(command)[0];
            return (
              <li
                key={command.id}
                id={optionId(i)}
                role="option"
                aria-selected={i === chosen}
                className={`palette-option ${i === chosen ? "active" : ""}`}
                // Keep focus in the input; the click runs the command.
                onMouseDown={(e) => e.preventDefault()}
                onMouseMove={() => i !== chosen && setActive(i)}
                onClick={() => run(command)}
              >
                <span className="palette-title">
                  <Highlighted text={command.title} positions={positions} />
                </span>
                {command.group && <span className="palette-group">{command.group}</span>}
                {shortcut && <kbd className="palette-shortcut">{formatShortcut(shortcut, IS_MAC)}</kbd>}
              </li>
            );
          })}
        </ul>
        {ranked.length === 0 && <div className="palette-empty">No matching commands</div>}
      </div>
    </div>
  );
}

/** The title with the characters the query matched in bold. */
function Highlighted({ text, positions }: { text: string; positions: number[] }) {
  const marked = new Set(positions);
  const runs: { text: string; marked: boolean }[] = [];
  for (let i = 0; i < text.length; i++) {
    const last = runs[runs.length - 1];
    if (last && last.marked === marked.has(i)) last.text += text[i];
    else runs.push({ text: text[i], marked: marked.has(i) });
  }
  return <>{runs.map((run, i) => (run.marked ? <mark key={i}>{run.text}</mark> : run.text))}</>;
}
