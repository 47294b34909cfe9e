import { describe, expect, it } from "vitest";

import type { ServerConnection } from "../../bindings/ServerConnection";
import {
  checkSummary,
  defaultName,
  explainError,
  formProblem,
  keychainWarning,
  serverLabel,
  tokenNote,
  urlProblem,
} from "./connection";

const check = { url: "https://db.example.com:7447", acting_as: "admin", is_admin: true, database: "/srv/db", last_seq: 12345, version: "0.1.0" };

describe("urlProblem", () => {
  it("takes http:// and https:// with a host, a port and nothing after", () => {
    for (const url of ["http://127.0.0.1:7447", "https://db.example.com", " HTTPS://db.example.com:8443/ ", "http://[::1]:7447"]) {
      expect(urlProblem(url)).toBeNull();
    }
  });

  it("says what is wrong with anything else", () => {
    expect(urlProblem("  ")).toMatch(/Enter/);
    expect(urlProblem("db.example.com:7447")).toMatch(/http:\/\/ or https:\/\//);
    expect(urlProblem("ws://db.example.com:7447")).toMatch(/http:\/\/ or https:\/\//);
    expect(urlProblem("https://")).toMatch(/HOST:PORT/);
    expect(urlProblem("https://db.example.com/v1/sql")).toMatch(/without a path/);
  });
});

describe("formProblem", () => {
  it("needs a token, and a CA certificate only with https://", () => {
    expect(formProblem({ url: "http://h:1", token: " ", caCert: "" })).toMatch(/token/);
    expect(formProblem({ url: "http://h:1", token: "t", caCert: "/ca.pem" })).toMatch(/https:\/\//);
    expect(formProblem({ url: "https://h:1", token: "t", caCert: "/ca.pem" })).toBeNull();
    expect(formProblem({ url: "http://h:1", token: "t", caCert: "" })).toBeNull();
  });
});

describe("explainError", () => {
  const error = (code: string) => ({ code, message: "the server said so", line: null, column: null, did_you_mean: null });

  it("tells the failures apart and says what to do", () => {
    expect(explainError(error("unreachable")).title).toMatch(/did not answer/);
    expect(explainError(error("unauthorized")).title).toMatch(/refused the token/);
    expect(explainError(error("certificate")).hint).toMatch(/CA certificate/);
    expect(explainError(error("not_tidepool")).title).toMatch(/not a Tidepool server/);
    expect(explainError(error("invalid_request"))).toEqual({ title: "Cannot connect", detail: "the server said so", hint: null });
  });
});

describe("what a test found", () => {
  it("says who the token acts as and what it reaches", () => {
    expect(checkSummary(check)).toBe("an admin token: it sees every user's rows · database /srv/db · seq 12,345 · Tidepool 0.1.0");
    expect(checkSummary({ ...check, acting_as: "alice", is_admin: false })).toMatch(/^acts as alice: it sees alice's rows/);
  });

  it("names the open server by who and where", () => {
    const connection: ServerConnection = { id: null, name: "x", server: { ...check, acting_as: "alice" }, ca_cert: null, token: "not_saved", keychain_error: null };
    expect(serverLabel(connection)).toBe("alice @ https://db.example.com:7447");
  });

  it("names a connection as the app does when no name is given", () => {
    expect(defaultName("https://db.example.com:7447/", "admin")).toBe("db.example.com:7447");
    expect(defaultName("http://127.0.0.1:9000", "alice")).toBe("alice @ 127.0.0.1:9000");
    expect(defaultName("http://127.0.0.1:9000", null)).toBe("127.0.0.1:9000");
  });
});

describe("where the token is kept", () => {
  it("says keychain, this session only, or not saved", () => {
    expect(tokenNote("keychain", "the macOS Keychain", null)).toBe("The token is kept in the macOS Keychain.");
    expect(tokenNote("session", "x", "no D-Bus session")).toMatch(/\(no D-Bus session\).*until Tidepool Studio quits/);
    expect(tokenNote("not_saved", "x", null)).toMatch(/not saved/);
  });

  it("warns only when there is no keychain", () => {
    expect(keychainWarning({ available: true, name: "k", error: null })).toBeNull();
    expect(keychainWarning({ available: false, name: "k", error: "k is not available: no bus" })).toMatch(/^No keychain: k is not available: no bus\. Tokens/);
  });
});
