// How the console tells what stopped a run: a statement stopped before it finished
// (the console's Cancel, KILL QUERY, the statement timeout) is said to be so rather
// than to have failed, with what that left behind; a full disk says what to do.
import type { IpcError } from "../../bindings/IpcError";

/** Stopped rather than failed: nothing it would write was written. */
export function wasStopped(error: IpcError): boolean {
  return error.code === "cancelled" || error.code === "timeout";
}

/** The result's heading, after the statement's label. */
export function failureHeading(label: string, error: IpcError): string {
  if (error.code === "cancelled") return `${label} was cancelled`;
  if (error.code === "timeout") return `${label} timed out`;
  return `${label} failed${error.line !== null ? ` at line ${error.line}, column ${error.column}` : ""}`;
}

/** What a stop or a full disk left behind, said under its message; null for other errors. */
export function failureNote(error: IpcError): string | null {
  if (error.code === "cancelled") return "Nothing it would have written was written, and the statements after it did not run.";
  if (error.code === "timeout") {
    return "It ran longer than the statement timeout (Timeout, in the console's toolbar). Nothing it would have written was written, and the statements after it did not run.";
  }
  if (error.code === "disk_full") {
    return "Nothing of this statement was written, and the statements after it did not run. What was written before stays, and tables and live panes read on; free space on that disk and run it again.";
  }
  return null;
}
