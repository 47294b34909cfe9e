// The connect dialog's and the start page's words, as pure functions: what a server URL
// must look like, what a failed test means and what to do about it, what a test found,
// where a token went, and how the window names the open server.
import type { IpcError } from "../../bindings/IpcError";
import type { KeychainStatus } from "../../bindings/KeychainStatus";
import type { ServerCheck } from "../../bindings/ServerCheck";
import type { ServerConnection } from "../../bindings/ServerConnection";
import type { TokenKept } from "../../bindings/TokenKept";

/** The form's fields. */
export interface ConnectForm {
  url: string;
  token: string;
  caCert: string;
}

/** Why the URL cannot be a server's, or null when it can be tried. */
export function urlProblem(url: string): string | null {
  const trimmed = url.trim();
  if (trimmed === "") return "Enter the server's URL.";
  const match = /^([a-z][a-z0-9+.-]*):\/\/(.*)$/i.exec(trimmed);
  if (!match || !["http", "https"].includes(match[1].toLowerCase())) {
    return "A server's URL starts with http:// or https://, e.g. https://db.example.com:7447.";
  }
  const authority = match[2].replace(/\/+$/, "");
  if (authority === "" || authority.includes("/")) return "A server's URL is http(s)://HOST:PORT, without a path.";
  return null;
}

/** What keeps the form from being tried: the URL, the token, a CA certificate with http://. */
export function formProblem(form: ConnectForm): string | null {
  const url = urlProblem(form.url);
  if (url) return url;
  if (form.token.trim() === "") return "Enter the token (tidepool serve prints one when it starts).";
  if (form.caCert.trim() !== "" && !/^https:/i.test(form.url.trim())) {
    return "A CA certificate is for servers that speak TLS: use https://.";
  }
  return null;
}

/** A failed test or connect: what happened, in the server's words, and what to do. */
export function explainError(error: IpcError): { title: string; detail: string; hint: string | null } {
  const detail = error.message;
  switch (error.code) {
    case "unreachable":
      return { title: "The server did not answer", detail, hint: "Check the URL and port, and that tidepool serve runs there." };
    case "unauthorized":
      return { title: "The server refused the token", detail, hint: "The token may be revoked or mistyped: ask for a new one." };
    case "certificate":
      return {
        title: "The server's certificate was refused",
        detail,
        hint: "For a self-signed or private certificate, choose the CA certificate file that signed it.",
      };
    case "not_tidepool":
      return { title: "That is not a Tidepool server", detail, hint: "Check the port: tidepool serve listens on 7447 unless told otherwise." };
    case "token_needed":
      return { title: "The token is needed", detail, hint: null };
    default:
      return { title: "Cannot connect", detail, hint: null };
  }
}

/** What a test found: who the token acts as and what it reaches. */
export function checkSummary(check: ServerCheck): string {
  const who = check.is_admin
    ? "an admin token: it sees every user's rows"
    : `acts as ${check.acting_as}: it sees ${check.acting_as}'s rows of USER tables`;
  return `${who} · database ${check.database} · seq ${check.last_seq.toLocaleString("en")} · Tidepool ${check.version}`;
}

/** The open server as the status bar names it: who, at which URL. */
export function serverLabel(connection: ServerConnection): string {
  return `${connection.server.acting_as} @ ${connection.server.url}`;
}

/** The name a connection is saved under when none is given (as the app names it). */
export function defaultName(url: string, actingAs: string | null): string {
  const host = url.trim().replace(/^[a-z]+:\/\//i, "").replace(/\/+$/, "");
  return actingAs && actingAs !== "admin" ? `${actingAs} @ ${host}` : host;
}

/** Where the token of a connection went, for the dialog and the start page. */
export function tokenNote(kept: TokenKept, keychainName: string, keychainError: string | null): string {
  switch (kept) {
    case "keychain":
      return `The token is kept in ${keychainName}.`;
    case "session":
      return `No keychain to keep the token in${keychainError ? ` (${keychainError})` : ""}: it is kept until Tidepool Studio quits, then asked for again.`;
    case "not_saved":
      return "The connection is not saved: the token is forgotten when another database opens.";
  }
}

/** What the start page says when there is no keychain; null when there is one. */
export function keychainWarning(keychain: KeychainStatus): string | null {
  if (keychain.available) return null;
  return `No keychain: ${keychain.error ?? `${keychain.name} is not available`}. Tokens of saved connections are kept until Tidepool Studio quits, and asked for again after.`;
}
