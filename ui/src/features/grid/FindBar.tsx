// The find bar over a grid: Enter / Shift+Enter for the next / previous match, Escape
// closes it.
import { useEffect, useRef } from "react";

export interface FindBarProps {
  query: string;
  onQuery: (query: string) => void;
  count: number;
  /** The match the cursor is on, or -1. */
  index: number;
  /** Bumped to take focus again. */
  focusRequest: number;
  /** Where the matches come from, when not every row is searched (a pane's loaded rows). */
  scope?: string;
  onStep: (direction: 1 | -1) => void;
  onClose: () => void;
}

export function FindBar({ query, onQuery, count, index, focusRequest, scope, onStep, onClose }: FindBarProps) {
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => {
    input.current?.focus();
    input.current?.select();
  }, [focusRequest]);
  const status = query === "" ? "" : count === 0 ? "no matches" : index >= 0 ? `${index + 1} of ${count}` : `${count} matches`;
  return (
    <div className="grid-find" role="search">
      <input
        ref={input}
        aria-label="Find"
        placeholder={scope ? `Find ${scope}` : "Find"}
        value={query}
        onChange={(e) => onQuery(e.target.value)}
        onKeyDown={(e) => {
          if (e.key === "Enter") onStep(e.shiftKey ? -1 : 1);
          else if (e.key === "Escape") onClose();
          else return;
          e.preventDefault();
        }}
      />
      <span className="grid-find-status" aria-live="polite">
        {status}
      </span>
      <button aria-label="Previous match" title="Previous match (Shift+Enter)" disabled={count === 0} onClick={() => onStep(-1)}>
        ↑
      </button>
      <button aria-label="Next match" title="Next match (Enter)" disabled={count === 0} onClick={() => onStep(1)}>
        ↓
      </button>
      <button aria-label="Close find" title="Close (Escape)" onClick={onClose}>
        ×
      </button>
    </div>
  );
}
