// Which server the open database is, for the parts of the window that differ on one:
// what only a local folder has (the Local API, the engine settings) says so there.
import { createContext, useContext } from "react";

import type { ServerConnection } from "../../bindings/ServerConnection";

export const OpenServer = createContext<ServerConnection | null>(null);

/** The open server; null when the open database is a folder (or none is open). */
export function useOpenServer(): ServerConnection | null {
  return useContext(OpenServer);
}
