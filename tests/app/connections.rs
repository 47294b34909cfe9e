//! Connect to Server: the commands the connect dialog and the start page use, against
//! a real `tidepool_server::Server` on loopback, with tokens kept in a real Secret
//! Service (scripts/test runs these tests inside `dbus-run-session` with a GNOME
//! Keyring unlocked; without one they fail, saying so). The token must never land in
//! a file of the app's.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::Path;

use serde_json::{json, Value as Json};
use tidepool_engine::Engine;
use tidepool_server::{Config, Server, Tls};
use tidepool_studio::commands::connections::token_request;
use tidepool_studio::error::IpcError;
use tidepool_studio::keychain::SERVICE;

use super::{harness, Harness};

/// A server on its own runtime, so it outlives the app's calls into it.
struct Served {
    runtime: tokio::runtime::Runtime,
    server: Option<Server>,
    engine: Engine,
    url: String,
    _dir: tempfile::TempDir,
}

impl Served {
    fn start() -> Served {
        Served::start_with(None)
    }

    /// Serving HTTPS with `tls` when given.
    fn start_with(tls: Option<Tls>) -> Served {
        let dir = tempfile::tempdir().unwrap();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let engine = Engine::open(dir.path()).unwrap();
        let scheme = if tls.is_some() { "https" } else { "http" };
        let config = Config {
            listen: "127.0.0.1:0".parse().unwrap(),
            tls,
            ..Config::default()
        };
        let server = runtime.block_on(Server::start(engine.clone(), config)).unwrap();
        let address = server.address();
        Served {
            runtime,
            server: Some(server),
            engine,
            url: format!("{scheme}://{address}"),
            _dir: dir,
        }
    }

    fn url(&self) -> String {
        self.url.clone()
    }

    /// A new token: an admin's, or `user`'s. Answers its id and the token.
    fn token(&self, user: Option<&str>) -> (String, String) {
        let (info, token) = self.engine.create_token(user, "test").unwrap();
        (info.id, token)
    }

    fn sql(&self, sql: &str) {
        let session = self.engine.session(tidepool_engine::Actor::Admin);
        self.runtime.block_on(session.execute(sql)).unwrap();
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

/// Fails (never skips) when the Secret Service is not there: these tests are about it.
fn require_keychain(h: &Harness) -> Json {
    let list = h.ok("saved_connections", json!({}));
    assert_eq!(
        list["keychain"]["available"], true,
        "these tests need a Secret Service: run them as scripts/test does, inside \
         dbus-run-session with gnome-keyring-daemon --unlock ({})",
        list["keychain"]
    );
    list
}

/// What the keychain holds for the connection `id`.
fn keychain_token(id: &str) -> Option<String> {
    match keyring::Entry::new(SERVICE, id).unwrap().get_password() {
        Ok(token) => Some(token),
        Err(keyring::Error::NoEntry) => None,
        Err(e) => panic!("the keychain failed: {e}"),
    }
}

/// Every file under `dir` (the app's data folder) and whether one holds `text`.
fn files_holding(dir: &Path, text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            found.extend(files_holding(&path, text));
        } else if std::fs::read(&path).is_ok_and(|bytes| bytes.windows(text.len()).any(|w| w == text.as_bytes())) {
            found.push(path.display().to_string());
        }
    }
    found
}

/// The items of File → Open Recent, as the menu would be built now.
fn open_recent(h: &Harness) -> Vec<String> {
    let menu = tidepool_studio::menu::build(h._app.handle()).unwrap();
    let file = menu
        .items()
        .unwrap()
        .into_iter()
        .find_map(|item| item.as_submenu().cloned());
    let recent = file.unwrap().items().unwrap().into_iter().find_map(|item| {
        let submenu = item.as_submenu()?.clone();
        (submenu.text().ok()? == "Open Recent").then_some(submenu)
    });
    recent
        .unwrap()
        .items()
        .unwrap()
        .into_iter()
        .filter_map(|item| item.as_menuitem().and_then(|i| i.text().ok()))
        .collect()
}

fn data_dir(h: &Harness) -> &Path {
    h._dirs.1.path()
}

#[test]
fn testing_a_connection_says_who_the_token_acts_as_and_opens_nothing() {
    let served = Served::start();
    served.sql("CREATE NAMESPACE app; CREATE TABLE app.items (id BIGINT PRIMARY KEY, name TEXT);");
    let h = harness();
    let folder = h.ok("database_info", json!({}))["path"].clone();
    let (_, admin) = served.token(None);
    let check = h.ok("test_connection", json!({ "url": served.url(), "token": admin }));
    assert_eq!(check["url"], served.url());
    assert_eq!(check["acting_as"], "admin");
    assert_eq!(check["is_admin"], true);
    assert_eq!(check["database"], served.engine.path().display().to_string());
    assert!(check["last_seq"].as_u64().unwrap() >= 2, "{check}");
    assert!(!check["version"].as_str().unwrap().is_empty());
    let (_, alice) = served.token(Some("alice"));
    // A trailing slash and spaces are forgiven.
    let url = format!(" {}/ ", served.url());
    let check = h.ok("test_connection", json!({ "url": url, "token": alice }));
    assert_eq!(check["acting_as"], "alice");
    assert_eq!(check["is_admin"], false);
    // Nothing was opened or saved.
    assert_eq!(h.ok("database_info", json!({}))["path"], folder);
    assert_eq!(h.ok("server_connection", json!({})), Json::Null);
    assert_eq!(h.ok("saved_connections", json!({}))["connections"], json!([]));
}

#[test]
fn a_refused_token_an_absent_server_and_what_is_not_tidepool_are_told_apart() {
    let served = Served::start();
    let h = harness();
    let failed = |url: &str, token: &str, ca_cert: Option<&str>| {
        h.invoke(
            "test_connection",
            json!({ "url": url, "token": token, "caCert": ca_cert }),
        )
        .expect_err("the connection should fail")
    };
    let error = failed(&served.url(), "not-a-token", None);
    assert_eq!(error["code"], "unauthorized", "{error}");
    // A revoked token is refused the same way.
    let (id, token) = served.token(None);
    served.engine.revoke_token(&id).unwrap();
    assert_eq!(failed(&served.url(), &token, None)["code"], "unauthorized");
    // Nothing listens there.
    let free = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    let error = failed(&format!("http://{free}"), "t", None);
    assert_eq!(error["code"], "unreachable", "{error}");
    // Something answers HTTP, but not as Tidepool does.
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_url = format!("http://{}", other.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in other.incoming().flatten().take(4) {
            let mut stream = stream;
            let mut request = [0u8; 4096];
            let _ = stream.read(&mut request);
            let _ = stream.write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello",
            );
        }
    });
    let error = failed(&other_url, "t", None);
    assert_eq!(error["code"], "not_tidepool", "{error}");
    // What the dialog checks before trying.
    let (_, admin) = served.token(None);
    for (url, token, ca_cert, says) in [
        ("ftp://example.com", admin.as_str(), None, "http:// or https://"),
        ("example.com:7447", admin.as_str(), None, "http:// or https://"),
        (served.url().as_str(), "  ", None, "token"),
        (
            served.url().as_str(),
            admin.as_str(),
            Some("/no/such/ca.pem"),
            "does not exist",
        ),
    ] {
        let error = failed(url, token, ca_cert);
        assert_eq!(error["code"], "invalid_request", "{url}: {error}");
        assert!(error["message"].as_str().unwrap().contains(says), "{url}: {error}");
    }
    // A CA certificate is for https:// only.
    let ca = tempfile::NamedTempFile::new().unwrap();
    let error = failed(&served.url(), &admin, Some(ca.path().to_str().unwrap()));
    assert!(error["message"].as_str().unwrap().contains("https://"), "{error}");
}

#[test]
fn a_saved_connection_keeps_its_token_in_the_keychain_and_in_no_file() {
    let served = Served::start();
    served.sql("CREATE NAMESPACE app; CREATE TABLE app.items (id BIGINT PRIMARY KEY, name TEXT); INSERT INTO app.items VALUES (1, 'apple');");
    let h = harness();
    require_keychain(&h);
    let folder = h.ok("database_info", json!({}))["path"].clone();
    let (_, token) = served.token(None);
    let connection = h.ok(
        "connect_server",
        json!({ "url": served.url(), "token": token, "save": true, "name": "  team server " }),
    );
    assert_eq!(connection["name"], "team server");
    assert_eq!(connection["token"], "keychain", "{connection}");
    assert_eq!(connection["keychain_error"], Json::Null);
    assert_eq!(connection["server"]["acting_as"], "admin");
    let id = connection["id"].as_str().unwrap().to_string();
    // The server's database is the open one: its catalog, its rows.
    assert_eq!(h.ok("database_info", json!({}))["path"], served.url());
    let catalog = h.ok("catalog", json!({}));
    let app = catalog["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "app");
    assert_eq!(app.unwrap()["tables"][0]["name"], "items");
    let run = h.sql("SELECT name FROM app.items");
    assert_eq!(run["outputs"][0]["result"]["rows"], json!([["apple"]]));
    assert_eq!(h.ok("server_connection", json!({})), connection);
    // The token is in the keychain, and in none of the app's files.
    assert_eq!(keychain_token(&id).as_deref(), Some(token.as_str()));
    assert_eq!(files_holding(data_dir(&h), &token), Vec::<String>::new());
    let saved: Json = serde_json::from_slice(&std::fs::read(data_dir(&h).join("connections.json")).unwrap()).unwrap();
    assert_eq!(saved[0]["url"], served.url());
    assert_eq!(saved[0]["acting_as"], "admin");
    let list = h.ok("saved_connections", json!({}));
    assert_eq!(list["connections"].as_array().unwrap().len(), 1);
    assert_eq!(list["connections"][0]["name"], "team server");
    assert!(list["connections"][0]["last_used_ms"].as_i64().unwrap() > 0);

    // Back to the folder: no server is open; the saved connection opens it again with
    // the keychain's token.
    h.ok("open_database", json!({ "path": folder }));
    assert_eq!(h.ok("server_connection", json!({})), Json::Null);
    let again = h.ok("connect_saved", json!({ "id": id }));
    assert_eq!(again["token"], "keychain");
    assert_eq!(again["id"], id.as_str());
    assert_eq!(h.ok("database_info", json!({}))["path"], served.url());
    assert_eq!(h.ok("server_connection", json!({}))["id"], id.as_str());

    // File → Open Recent lists the saved servers but the open one.
    assert_eq!(open_recent(&h), vec![folder.as_str().unwrap().to_string()]);
    h.ok("open_database", json!({ "path": folder }));
    assert!(open_recent(&h).contains(&format!("team server — admin @ {}", served.url())));
    h.ok("connect_saved", json!({ "id": id }));

    // Saving the same server and identity again updates that connection.
    let renamed = h.ok(
        "connect_server",
        json!({ "url": served.url(), "token": token, "save": true, "name": "prod" }),
    );
    assert_eq!(renamed["id"], id.as_str());
    let list = h.ok("rename_connection", json!({ "id": id, "name": "production" }));
    assert_eq!(list["connections"].as_array().unwrap().len(), 1);
    assert_eq!(list["connections"][0]["name"], "production");
    assert_eq!(h.ok("server_connection", json!({}))["name"], "production");
    let refused = h
        .invoke("rename_connection", json!({ "id": id, "name": " " }))
        .unwrap_err();
    assert_eq!(refused["code"], "invalid_request");

    // Forgetting it removes the token from the keychain too; the open server stays,
    // no longer saved.
    let list = h.ok("forget_connection", json!({ "id": id }));
    assert_eq!(list["connections"], json!([]));
    assert_eq!(keychain_token(&id), None);
    assert_eq!(h.ok("database_info", json!({}))["path"], served.url());
    let open = h.ok("server_connection", json!({}));
    assert_eq!((&open["id"], &open["token"]), (&Json::Null, &json!("not_saved")));
    let gone = h.invoke("connect_saved", json!({ "id": id })).unwrap_err();
    assert_eq!(gone["code"], "invalid_request", "{gone}");
    assert_eq!(files_holding(data_dir(&h), &token), Vec::<String>::new());
}

#[test]
fn a_saved_connection_whose_token_is_missing_or_refused_asks_for_one() {
    let served = Served::start();
    let h = harness();
    require_keychain(&h);
    let (old_id, old) = served.token(Some("alice"));
    let connection = h.ok(
        "connect_server",
        json!({ "url": served.url(), "token": old, "save": true }),
    );
    // Named after the server and the user it acts as.
    let host = served.url().replace("http://", "");
    assert_eq!(connection["name"], format!("alice @ {host}"));
    let id = connection["id"].as_str().unwrap().to_string();

    // The keychain lost it (another program, the user): the window must ask.
    keyring::Entry::new(SERVICE, &id).unwrap().delete_credential().unwrap();
    let needed = h.invoke("connect_saved", json!({ "id": id })).unwrap_err();
    assert_eq!(needed["code"], "token_needed", "{needed}");
    assert!(needed["message"].as_str().unwrap().contains("enter it"), "{needed}");
    // The token typed in opens it and goes back to the keychain.
    let opened = h.ok("connect_saved", json!({ "id": id, "token": old }));
    assert_eq!(opened["token"], "keychain");
    assert_eq!(keychain_token(&id).as_deref(), Some(old.as_str()));

    // Revoked on the server: refused, and a new token replaces it once accepted.
    served.engine.revoke_token(&old_id).unwrap();
    let refused = h.invoke("connect_saved", json!({ "id": id })).unwrap_err();
    assert_eq!(refused["code"], "unauthorized", "{refused}");
    let (_, new) = served.token(Some("alice"));
    h.ok("connect_saved", json!({ "id": id, "token": new }));
    assert_eq!(keychain_token(&id).as_deref(), Some(new.as_str()));
    // A saved server chosen in File → Open Recent asks the window for a token on these
    // two failures only.
    let asks = |code: &str| token_request(h._app.handle(), &id, &IpcError::new(code, "why"));
    assert_eq!(asks("token_needed").unwrap().connection.id, id);
    assert!(asks("unauthorized").unwrap().reason.contains("refused the saved token"));
    assert!(asks("unreachable").is_none());
    h.ok("forget_connection", json!({ "id": id }));
    assert_eq!(keychain_token(&id), None);
}

/// A self-signed certificate for 127.0.0.1 in `dir`, as `tidepool serve --tls-cert`
/// would be given it: the certificate's and the key's PEM files.
fn certificate(dir: &Path) -> (std::path::PathBuf, std::path::PathBuf) {
    let params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()]).unwrap();
    let key_pair = rcgen::KeyPair::generate().unwrap();
    let made = params.self_signed(&key_pair).unwrap();
    let (cert, key) = (dir.join("server.crt"), dir.join("server.key"));
    std::fs::write(&cert, made.pem()).unwrap();
    std::fs::write(&key, key_pair.serialize_pem()).unwrap();
    (cert, key)
}

#[test]
fn an_https_servers_certificate_is_refused_until_its_ca_file_is_given() {
    let dir = tempfile::tempdir().unwrap();
    let (cert, key) = certificate(dir.path());
    let served = Served::start_with(Some(Tls::from_pem_files(&cert, &key).unwrap()));
    let h = harness();
    let (_, token) = served.token(None);
    // Not signed by a root this machine trusts.
    let refused = h
        .invoke("test_connection", json!({ "url": served.url(), "token": token }))
        .unwrap_err();
    assert_eq!(refused["code"], "certificate", "{refused}");
    // Trusted when its CA certificate file (here the certificate itself) is given.
    let ca = cert.to_str().unwrap();
    let check = h.ok(
        "test_connection",
        json!({ "url": served.url(), "token": token, "caCert": ca }),
    );
    assert_eq!(check["acting_as"], "admin");
    assert!(check["url"].as_str().unwrap().starts_with("https://"));
    // Plain http:// to the TLS port says to use https://.
    let plain = served.url().replace("https://", "http://");
    let error = h
        .invoke("test_connection", json!({ "url": plain, "token": token }))
        .unwrap_err();
    assert!(error["message"].as_str().unwrap().contains("https://"), "{error}");
    // The certificate file goes with the connection: the open server and the saved one.
    let connection = h.ok(
        "connect_server",
        json!({ "url": served.url(), "token": token, "caCert": ca, "save": false }),
    );
    assert_eq!(connection["ca_cert"], ca);
    assert_eq!(connection["token"], "not_saved");
    let run = h.sql("SELECT 1 AS one");
    assert_eq!(run["outputs"][0]["result"]["rows"], json!([[1]]));
}

/// The variable that makes this test the child run without a keychain.
const WITHOUT_KEYCHAIN: &str = "TIDEPOOL_TEST_WITHOUT_KEYCHAIN";

/// With no keychain the app says so, keeps the token in memory for the session only
/// (the connection still opens until the app quits), and writes it nowhere. Run in a
/// child process whose D-Bus session address leads nowhere.
#[test]
fn without_a_keychain_the_token_is_kept_for_the_session_only() {
    if std::env::var_os(WITHOUT_KEYCHAIN).is_none() {
        let test = "connections::without_a_keychain_the_token_is_kept_for_the_session_only";
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args([test, "--exact", "--nocapture", "--test-threads=1"])
            .env(WITHOUT_KEYCHAIN, "1")
            .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/tidepool-test-bus")
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success() && out.contains("1 passed"),
            "the run without a keychain failed:\n{out}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        return;
    }
    let served = Served::start();
    let h = harness();
    let list = h.ok("saved_connections", json!({}));
    assert_eq!(list["keychain"]["available"], false, "{list}");
    assert!(
        list["keychain"]["error"].as_str().unwrap().contains("not available"),
        "{list}"
    );
    let (_, token) = served.token(None);
    let connection = h.ok(
        "connect_server",
        json!({ "url": served.url(), "token": token, "save": true, "name": "no keychain" }),
    );
    assert_eq!(connection["token"], "session", "{connection}");
    assert!(connection["keychain_error"].as_str().unwrap().contains("not available"));
    let id = connection["id"].as_str().unwrap().to_string();
    let folder = tempfile::tempdir().unwrap();
    h.ok("open_database", json!({ "path": folder.path() }));
    // Until the app quits, the connection opens with the token held in memory.
    let again = h.ok("connect_saved", json!({ "id": id }));
    assert_eq!(again["token"], "session");
    assert_eq!(files_holding(data_dir(&h), &token), Vec::<String>::new());
    // Forgetting it forgets that token too (there is no keychain to remove one from).
    let list = h.ok("forget_connection", json!({ "id": id }));
    assert_eq!(list["connections"], json!([]));
    let gone = h.invoke("connect_saved", json!({ "id": id })).unwrap_err();
    assert_eq!(gone["code"], "invalid_request", "{gone}");
}
