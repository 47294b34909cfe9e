// The only module that talks to Tauri: every command and event the UI uses, typed
// with the bindings generated from the Rust IPC types.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";

import type { CatalogView } from "./bindings/CatalogView";
import type { ConnectionList } from "./bindings/ConnectionList";
import type { ConsoleRun } from "./bindings/ConsoleRun";
import type { DatabaseInfo } from "./bindings/DatabaseInfo";
import type { DemoStatus } from "./bindings/DemoStatus";
import type { EngineSettings } from "./bindings/EngineSettings";
import type { EngineSettingsStatus } from "./bindings/EngineSettingsStatus";
import type { ExportResult } from "./bindings/ExportResult";
import type { ExportSource } from "./bindings/ExportSource";
import type { FileFilter } from "./bindings/FileFilter";
import type { HistoryEntry } from "./bindings/HistoryEntry";
import type { ImportEvent } from "./bindings/ImportEvent";
import type { ImportPreview } from "./bindings/ImportPreview";
import type { ImportRequest } from "./bindings/ImportRequest";
import type { IpcError } from "./bindings/IpcError";
import type { LocalApiStatus } from "./bindings/LocalApiStatus";
import type { PaneEvent } from "./bindings/PaneEvent";
import type { RecentDatabase } from "./bindings/RecentDatabase";
import type { PaneInfo } from "./bindings/PaneInfo";
import type { RowWindow } from "./bindings/RowWindow";
import type { ServerCheck } from "./bindings/ServerCheck";
import type { ServerConnection } from "./bindings/ServerConnection";
import type { TokenRequest } from "./bindings/TokenRequest";
import type { WriteResult } from "./bindings/WriteResult";
import type { Json } from "./json";

/** Every command rejects with an IpcError; anything else is turned into one. */
async function call<T>(command: string, args: Record<string, unknown> = {}): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (e) {
    throw asIpcError(e);
  }
}

export function asIpcError(e: unknown): IpcError {
  if (e && typeof e === "object" && "code" in e && "message" in e) return e as IpcError;
  return { code: "ipc", message: String(e), line: null, column: null, did_you_mean: null };
}

export const api = {
  databaseInfo: () => call<DatabaseInfo>("database_info"),
  openDatabase: (path: string) => call<DatabaseInfo>("open_database", { path }),
  catalog: () => call<CatalogView>("catalog"),
  /** Runs a script; a run given an id `run` can be stopped with `cancelSql(run)` while it goes on. */
  runSql: (sql: string, user: string | null, options: { history?: boolean; run?: string } = {}) =>
    call<ConsoleRun>("run_sql", { sql, user, history: options.history ?? true, run: options.run ?? null }),
  /** Stops run `run`'s statement (the run ends with the `cancelled` error); false when it had already finished. */
  cancelSql: (run: string) => call<boolean>("cancel_sql", { run }),
  history: () => call<HistoryEntry[]>("history"),
  openPane: (table: string, filter: string | null, user: string | null) =>
    call<PaneInfo>("open_pane", { table, filter, user }),
  /** A live pane on any query (a console result made live), as `SUBSCRIBE TO` opens one. */
  openQueryPane: (sql: string, user: string | null) => call<PaneInfo>("open_query_pane", { sql, user }),
  paneRows: (pane: string, start: number, count: number, anchor: Json[] | null) =>
    call<RowWindow>("pane_rows", { pane, start, count, anchor }),
  setPanePaused: (pane: string, paused: boolean) => call<void>("set_pane_paused", { pane, paused }),
  resubscribePane: (pane: string) => call<PaneInfo>("resubscribe_pane", { pane }),
  closePane: (pane: string) => call<void>("close_pane", { pane }),
  insertRow: (table: string, user: string | null, values: Record<string, Json>) =>
    call<WriteResult>("insert_row", { table, user, values }),
  updateCell: (table: string, user: string | null, key: Json[], column: string, value: Json) =>
    call<WriteResult>("update_cell", { table, user, key, column, value }),
  deleteRows: (table: string, user: string | null, keys: Json[][]) =>
    call<WriteResult>("delete_rows", { table, user, keys }),
  recentDatabases: () => call<RecentDatabase[]>("recent_databases"),
  forgetRecentDatabase: (path: string) => call<RecentDatabase[]>("forget_recent_database", { path }),
  loadWorkspace: () => call<unknown>("load_workspace"),
  saveWorkspace: (database: string, workspace: object) => call<void>("save_workspace", { database, workspace }),
  localApiStatus: () => call<LocalApiStatus>("local_api_status"),
  setLocalApi: (enabled: boolean, port: number) => call<LocalApiStatus>("set_local_api", { enabled, port }),
  newLocalApiToken: () => call<LocalApiStatus>("new_local_api_token"),
  engineSettings: () => call<EngineSettingsStatus>("engine_settings"),
  /** Saved for the databases opened from now on (the open one keeps its own); the
   * statement timeout applies to the next console run. */
  setEngineSettings: (settings: EngineSettings) => call<EngineSettingsStatus>("set_engine_settings", { settings }),
  /** A native open (`save` false) or save dialog; `null` when the user cancels it. */
  chooseFile: (save: boolean, title: string, defaultPath: string | null, filters: FileFilter[]) =>
    call<string | null>("choose_file", { save, title, defaultPath, filters }),
  defaultExportDir: () => call<string>("default_export_dir"),
  exportRows: (source: ExportSource, format: string, path: string, overwrite: boolean) =>
    call<ExportResult>("export_rows", { source, format, path, overwrite }),
  previewImport: (path: string, header: boolean, delimiter: string) =>
    call<ImportPreview>("preview_import", { path, header, delimiter }),
  /** Returns the import's id; progress and the end arrive as `import` events (onImportEvent). */
  startImport: (request: ImportRequest) => call<string>("start_import", { request }),
  cancelImport: (id: string) => call<void>("cancel_import", { import: id }),
  demoStatus: () => call<DemoStatus>("demo_status"),
  /** Opens the demo database (made the first time); its writer starts. */
  openDemo: () => call<DemoStatus>("open_demo"),
  /** Pauses or resumes the demo writer and sets its pace (steps a second). */
  setDemoWriter: (paused: boolean, pace: number) => call<DemoStatus>("set_demo_writer", { paused, pace }),
  /** Asks a server who the token acts as; opens nothing. */
  testConnection: (url: string, token: string, caCert: string | null) =>
    call<ServerCheck>("test_connection", { url, token, caCert }),
  /** Opens a server's database (the open one closes); `save` keeps the connection, its token in the OS keychain. */
  connectServer: (url: string, token: string, caCert: string | null, save: boolean, name: string | null) =>
    call<ServerConnection>("connect_server", { url, token, caCert, save, name }),
  /** Opens a saved connection with its kept token, or with `token` (it then replaces the kept one). */
  connectSaved: (id: string, token: string | null) => call<ServerConnection>("connect_saved", { id, token }),
  savedConnections: () => call<ConnectionList>("saved_connections"),
  renameConnection: (id: string, name: string) => call<ConnectionList>("rename_connection", { id, name }),
  /** Removes a saved connection and its token from the keychain. */
  forgetConnection: (id: string) => call<ConnectionList>("forget_connection", { id }),
  /** The server whose database is open; null for a folder. */
  serverConnection: () => call<ServerConnection | null>("server_connection"),
};

export function onPaneEvent(handler: (event: PaneEvent) => void): Promise<UnlistenFn> {
  return listen<PaneEvent>("pane", (e) => handler(e.payload));
}

export function onLocalApi(handler: (status: LocalApiStatus) => void): Promise<UnlistenFn> {
  return listen<LocalApiStatus>("local-api", (e) => handler(e.payload));
}

export function onCatalog(handler: (view: CatalogView) => void): Promise<UnlistenFn> {
  return listen<CatalogView>("catalog", (e) => handler(e.payload));
}

export function onImportEvent(handler: (event: ImportEvent) => void): Promise<UnlistenFn> {
  return listen<ImportEvent>("import", (e) => handler(e.payload));
}

/** File → Connect to Server… (null), or a saved server chosen in the menu that needs its token: the window shows its connect dialog. */
export function onConnectRequest(handler: (request: TokenRequest | null) => void): Promise<UnlistenFn> {
  return listen<TokenRequest | null>("connect-server", (e) => handler(e.payload ?? null));
}
