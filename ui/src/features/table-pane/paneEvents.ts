// Routes `pane` events to the pane they belong to. Events that arrive before their
// pane has mounted (the snapshot follows `open_pane` within a frame) are kept and
// handed over when it registers.
import type { PaneEvent } from "../../bindings/PaneEvent";
import { onPaneEvent } from "../../ipc";

type Handler = (event: PaneEvent) => void;

const handlers = new Map<string, Handler>();
const early = new Map<string, PaneEvent[]>();
const EARLY_LIMIT = 1000;
let listening: Promise<unknown> | null = null;

export function dispatch(event: PaneEvent): void {
  const handler = handlers.get(event.pane);
  if (handler) {
    handler(event);
    return;
  }
  const queue = early.get(event.pane) ?? [];
  // Past the limit the pane would see a gap and resubscribe: nothing is lost silently.
  if (queue.length < EARLY_LIMIT) queue.push(event);
  early.set(event.pane, queue);
}

export function startPaneEvents(): Promise<unknown> {
  listening ??= onPaneEvent(dispatch);
  return listening;
}

export function registerPane(pane: string, handler: Handler): () => void {
  handlers.set(pane, handler);
  const queued = early.get(pane);
  early.delete(pane);
  queued?.forEach(handler);
  return () => {
    if (handlers.get(pane) === handler) handlers.delete(pane);
  };
}
