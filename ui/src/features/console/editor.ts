// The console's CodeMirror 6 editor: SQL highlighting, completion of namespaces,
// tables and columns from the live catalog, Ctrl/Cmd+Enter to run, and error marks.
import { EditorView, keymap, lineNumbers, highlightActiveLine } from "@codemirror/view";
import { Compartment, EditorState, Prec } from "@codemirror/state";
import { defaultKeymap, history, historyKeymap } from "@codemirror/commands";
import { autocompletion, completionKeymap, closeBrackets } from "@codemirror/autocomplete";
import { syntaxHighlighting, defaultHighlightStyle, bracketMatching } from "@codemirror/language";
import { setDiagnostics, lintGutter } from "@codemirror/lint";
import { sql, PostgreSQL, type SQLNamespace } from "@codemirror/lang-sql";

import type { CatalogView } from "../../bindings/CatalogView";

/** Namespaces → tables → columns, as lang-sql completes them. */
export function completionSchema(catalog: CatalogView | null): SQLNamespace {
  const schema: Record<string, Record<string, string[]>> = {};
  for (const ns of catalog?.namespaces ?? []) {
    schema[ns.name] = Object.fromEntries(ns.tables.map((t) => [t.name, t.columns.map((c) => c.name)]));
  }
  return schema;
}

export interface ConsoleEditor {
  view: EditorView;
  setSchema: (schema: SQLNamespace) => void;
  /** The selection's text and where it starts, or the whole text. */
  runnable: () => { text: string; offset: number };
  /** Marks an error from `from` (to `to`, else one character) with its message. */
  markError: (from: number, message: string, to?: number) => void;
  clearMarks: () => void;
  text: () => string;
  setText: (text: string) => void;
  /** Replaces a range, puts the cursor after what replaced it and takes the focus. */
  replace: (from: number, to: number, insert: string) => void;
}

export function createEditor(parent: HTMLElement, initial: string, onRun: () => void, onChange: (text: string) => void): ConsoleEditor {
  const language = new Compartment();
  const sqlFor = (schema: SQLNamespace) => sql({ dialect: PostgreSQL, schema, upperCaseKeywords: true });
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: initial,
      extensions: [
        lineNumbers(),
        highlightActiveLine(),
        history(),
        closeBrackets(),
        bracketMatching(),
        autocompletion(),
        lintGutter(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        language.of(sqlFor({})),
        Prec.highest(keymap.of([{ key: "Mod-Enter", run: () => (onRun(), true) }])),
        keymap.of([...defaultKeymap, ...historyKeymap, ...completionKeymap]),
        EditorView.updateListener.of((u) => {
          if (u.docChanged) onChange(u.state.doc.toString());
        }),
        EditorView.theme({ "&": { height: "100%" }, ".cm-scroller": { fontFamily: "ui-monospace, monospace" } }),
      ],
    }),
  });
  return {
    view,
    setSchema: (schema) => view.dispatch({ effects: language.reconfigure(sqlFor(schema)) }),
    runnable: () => {
      const { from, to } = view.state.selection.main;
      return from === to ? { text: view.state.doc.toString(), offset: 0 } : { text: view.state.sliceDoc(from, to), offset: from };
    },
    markError: (from, message, until) => {
      const at = Math.min(Math.max(0, from), view.state.doc.length);
      const line = view.state.doc.lineAt(at);
      const to = until !== undefined ? Math.min(Math.max(until, at), view.state.doc.length) : Math.max(Math.min(line.to, at + 1), at);
      view.dispatch(setDiagnostics(view.state, [{ from: at, to, severity: "error", message }]));
    },
    clearMarks: () => view.dispatch(setDiagnostics(view.state, [])),
    text: () => view.state.doc.toString(),
    setText: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    replace: (from, to, insert) => {
      view.dispatch({ changes: { from, to, insert }, selection: { anchor: from + insert.length }, scrollIntoView: true });
      view.focus();
    },
  };
}

/** The document offset of a 1-based line/column inside text that starts at `offset`. */
export function offsetOf(text: string, line: number, column: number, offset: number): number {
  let at = 0;
  for (let l = 1; l < line; l++) {
    const next = text.indexOf("\n", at);
    if (next < 0) break;
    at = next + 1;
  }
  return offset + at + Math.max(0, column - 1);
}
