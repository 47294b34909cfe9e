// One import from start to end as a promise: start_import, its progress events, and
// the event that ends it.
import type { ImportEvent } from "../../bindings/ImportEvent";
import type { ImportRequest } from "../../bindings/ImportRequest";
import { api, onImportEvent } from "../../ipc";
import { outcomeOf, type ImportOutcome } from "./importPlan";

/**
 * Starts the import, passes on every event (the last one too, for the final counts)
 * and resolves with how it ended; rejects when start_import refuses it.
 *
 * The listener is registered before the start and events are held until the id is
 * known, because a small file can be done, and its last event sent, before
 * start_import's answer arrives. Every started import ends with an event, so the
 * listener is always removed, even when the dialog has gone meanwhile.
 */
export async function runImport(
  request: ImportRequest,
  onStarted: (id: string) => void,
  onProgress: (event: ImportEvent) => void,
): Promise<{ outcome: ImportOutcome; droppedTable: boolean }> {
  let id: string | null = null;
  const early: ImportEvent[] = [];
  let end: (ended: { outcome: ImportOutcome; droppedTable: boolean }) => void = () => {};
  const ended = new Promise<{ outcome: ImportOutcome; droppedTable: boolean }>((resolve) => (end = resolve));
  const take = (event: ImportEvent) => {
    if (event.import !== id) return;
    onProgress(event);
    const outcome = outcomeOf(event);
    if (outcome) end({ outcome, droppedTable: event.dropped_table });
  };
  const unlisten = await onImportEvent((event) => (id === null ? early.push(event) : take(event)));
  try {
    id = await api.startImport(request);
    onStarted(id);
    early.forEach(take);
    return await ended;
  } finally {
    unlisten();
  }
}
