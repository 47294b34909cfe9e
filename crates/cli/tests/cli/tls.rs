//! `tidepool serve --tls-cert/--tls-key`: a real server on an ephemeral loopback port
//! serving HTTPS and WSS with a self-signed certificate made at test time (rcgen),
//! reached by `tidepool sql` and `tidepool subscribe` with `--ca-cert`, and by a raw
//! rustls client for the Host, Origin and token checks.

use std::io::{BufRead, BufReader, Lines, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::sync::Arc;
use std::time::Duration;

use rustls::pki_types::{CertificateDer, ServerName};
use serde_json::Value as Json;

/// A certificate for `localhost` and 127.0.0.1 and its key, written as PEM files.
struct Certificate {
    cert: PathBuf,
    key: PathBuf,
    der: CertificateDer<'static>,
}

impl Certificate {
    fn make(dir: &Path, name: &str) -> Certificate {
        Certificate::make_as(dir, name, rcgen::IsCa::NoCa)
    }

    /// `is_ca` as `openssl req -x509` marks it by default: `Ca(..)`.
    fn make_as(dir: &Path, name: &str, is_ca: rcgen::IsCa) -> Certificate {
        let mut params = rcgen::CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .expect("certificate parameters");
        params.is_ca = is_ca;
        let key_pair = rcgen::KeyPair::generate().expect("a key pair");
        let made = params.self_signed(&key_pair).expect("a self-signed certificate");
        let cert = dir.join(format!("{name}.crt"));
        let key = dir.join(format!("{name}.key"));
        std::fs::write(&cert, made.pem()).unwrap();
        std::fs::write(&key, key_pair.serialize_pem()).unwrap();
        Certificate {
            cert,
            key,
            der: made.der().clone(),
        }
    }
}

/// A running `tidepool serve` with TLS; killed when dropped.
struct Served {
    child: Child,
    /// `127.0.0.1:PORT`.
    address: String,
    admin_token: String,
}

impl Served {
    fn start(db: &Path, certificate: &Certificate) -> Served {
        let child = Command::new(env!("CARGO_BIN_EXE_tidepool"))
            .args(["serve", "--listen", "127.0.0.1:0", "--db"])
            .arg(db)
            .arg("--tls-cert")
            .arg(&certificate.cert)
            .arg("--tls-key")
            .arg(&certificate.key)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .expect("run tidepool serve");
        let mut served = Served {
            child,
            address: String::new(),
            admin_token: String::new(),
        };
        let mut lines = BufReader::new(served.child.stdout.take().unwrap()).lines();
        while served.address.is_empty() {
            let line = lines
                .next()
                .expect("tidepool serve exited before printing its address")
                .unwrap();
            if let Some(token) = line.strip_prefix("admin token: ") {
                served.admin_token = token.to_string();
            }
            assert!(!line.contains(" on http://"), "a TLS server says https://: {line}");
            if let Some((_, address)) = line.split_once(" on https://") {
                served.address = address.to_string();
            }
        }
        served
    }

    fn port(&self) -> &str {
        self.address.rsplit_once(':').unwrap().1
    }

    /// `tidepool <args> --server SERVER --token TOKEN [--ca-cert FILE]`.
    fn cli(&self, server: &str, ca_cert: Option<&Path>, args: &[&str]) -> Output {
        let mut command = self.command(server, ca_cert, args);
        command.stdin(Stdio::null()).output().unwrap()
    }

    fn command(&self, server: &str, ca_cert: Option<&Path>, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tidepool"));
        command
            .args(args)
            .args(["--server", server, "--token", &self.admin_token])
            .env_remove("TIDEPOOL_TOKEN")
            .env_remove("TIDEPOOL_SERVER")
            .env_remove("TIDEPOOL_CA_CERT");
        if let Some(ca_cert) = ca_cert {
            command.arg("--ca-cert").arg(ca_cert);
        }
        command
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A child process killed when dropped (the subscriber).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// One HTTPS request written by hand (so Host and Origin are exactly as given) through
/// rustls trusting only `ca`; the status and JSON body.
fn https(address: &str, ca: &CertificateDer<'static>, path: &str, headers: &[(&str, &str)]) -> (u16, Json) {
    let mut roots = rustls::RootCertStore::empty();
    roots.add(ca.clone()).unwrap();
    let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = ServerName::try_from("localhost").unwrap();
    let connection = rustls::ClientConnection::new(Arc::new(config), name).unwrap();
    let socket = TcpStream::connect(address).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let mut stream = rustls::StreamOwned::new(connection, socket);
    let mut request = format!("GET {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(name, _)| name.eq_ignore_ascii_case("host")) {
        request.push_str(&format!("Host: {address}\r\n"));
    }
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = Vec::new();
    // The server may close without a TLS close_notify once it has answered.
    let _ = stream.read_to_end(&mut response);
    let response = String::from_utf8_lossy(&response);
    let status = response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = response.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Json::Null))
}

/// The next JSON line a `tidepool subscribe` printed.
fn next_message(lines: &mut Lines<BufReader<ChildStdout>>) -> Json {
    let line = lines.next().expect("tidepool subscribe ended early").unwrap();
    serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

#[test]
fn sql_and_live_queries_run_over_https_and_wss_with_the_same_checks() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = Certificate::make(dir.path(), "server");
    let served = Served::start(&dir.path().join("db"), &certificate);
    let https_url = format!("https://{}", served.address);
    let ca = Some(certificate.cert.as_path());

    // SQL over https:// with the server's certificate trusted through --ca-cert.
    let created = served.cli(
        &https_url,
        ca,
        &[
            "sql",
            "--format",
            "json",
            "-c",
            "CREATE NAMESPACE app; CREATE TABLE app.m (id BIGINT PRIMARY KEY, body TEXT); \
             INSERT INTO app.m VALUES (1, 'before')",
        ],
    );
    assert!(created.status.success(), "{}", stderr(&created));

    // A live query over wss://: the snapshot, then a change written over https://
    // under the certificate's other name.
    let mut subscriber = ChildGuard(
        served
            .command(
                &format!("wss://{}", served.address),
                ca,
                &["subscribe", "SELECT id, body FROM app.m"],
            )
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let mut lines = BufReader::new(subscriber.0.stdout.take().unwrap()).lines();
    assert_eq!(next_message(&mut lines)["type"], "subscribed");
    let snapshot = next_message(&mut lines);
    assert_eq!(snapshot["type"], "snapshot");
    assert_eq!(snapshot["rows"], serde_json::json!([[1, "before"]]));
    let by_name = format!("https://localhost:{}", served.port());
    let inserted = served.cli(&by_name, ca, &["sql", "-c", "INSERT INTO app.m VALUES (2, 'over tls')"]);
    assert!(inserted.status.success(), "{}", stderr(&inserted));
    let changes = next_message(&mut lines);
    assert_eq!(changes["type"], "changes", "{changes}");
    assert_eq!(changes["changes"][0]["op"], "insert");
    assert_eq!(changes["changes"][0]["row"], serde_json::json!([2, "over tls"]));

    // The guard in front of the routes is the same as over plain HTTP.
    let admin = format!("Bearer {}", served.admin_token);
    let (status, body) = https(
        &served.address,
        &certificate.der,
        "/v1/status",
        &[("Authorization", &admin)],
    );
    assert_eq!((status, body["acting_as"].as_str()), (200, Some("admin")), "{body}");
    let (status, body) = https(&served.address, &certificate.der, "/v1/status", &[]);
    assert_eq!((status, body["error"]["code"].as_str()), (401, Some("unauthorized")));
    let (status, body) = https(
        &served.address,
        &certificate.der,
        "/v1/status",
        &[("Authorization", &admin), ("Host", "evil.example")],
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("host_not_allowed"))
    );
    let (status, body) = https(
        &served.address,
        &certificate.der,
        "/v1/status",
        &[("Authorization", &admin), ("Origin", "https://evil.example")],
    );
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("origin_not_allowed"))
    );
    let wrong_token = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args([
            "sql",
            "-c",
            "SELECT 1",
            "--server",
            &https_url,
            "--token",
            "tp_wrong",
            "--ca-cert",
        ])
        .arg(&certificate.cert)
        .env_remove("TIDEPOOL_TOKEN")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert!(!wrong_token.status.success());
    assert!(
        stderr(&wrong_token).contains("refused the token"),
        "{}",
        stderr(&wrong_token)
    );

    // Plain HTTP to the TLS port gets no HTTP answer; the CLI says to use https://.
    let mut socket = TcpStream::connect(&served.address).unwrap();
    socket.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    socket
        .write_all(
            format!(
                "GET /v1/status HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n",
                served.address
            )
            .as_bytes(),
        )
        .unwrap();
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    assert!(!answer.starts_with(b"HTTP/"), "{}", String::from_utf8_lossy(&answer));
    let plain = served.cli(&format!("http://{}", served.address), None, &["sql", "-c", "SELECT 1"]);
    assert!(!plain.status.success());
    assert!(stderr(&plain).contains("use https://"), "{}", stderr(&plain));

    // A client that does not trust the certificate is refused and told about --ca-cert:
    // without --ca-cert (the system's roots), and with another certificate as CA.
    let untrusted = served.cli(&https_url, None, &["sql", "-c", "SELECT 1"]);
    assert!(!untrusted.status.success());
    assert!(stderr(&untrusted).contains("--ca-cert"), "{}", stderr(&untrusted));
    let other = Certificate::make(dir.path(), "other");
    for server in [https_url.clone(), format!("wss://{}", served.address)] {
        let command = if server.starts_with("wss") { "subscribe" } else { "sql" };
        let args: &[&str] = if command == "sql" {
            &["sql", "-c", "SELECT 1"]
        } else {
            &["subscribe", "SELECT id FROM app.m"]
        };
        let refused = served.cli(&server, Some(&other.cert), args);
        assert!(!refused.status.success(), "{server}");
        let message = stderr(&refused);
        assert!(
            message.contains("does not trust") && message.contains("--ca-cert"),
            "{server}: {message}"
        );
        assert!(stdout(&refused).is_empty(), "{server}: {}", stdout(&refused));
    }

    // --ca-cert with a plain http:// server is a mistake, said so.
    let mixed = served.cli(&format!("http://{}", served.address), ca, &["sql", "-c", "SELECT 1"]);
    assert!(!mixed.status.success());
    assert!(
        stderr(&mixed).contains("--ca-cert is for servers that speak TLS"),
        "{}",
        stderr(&mixed)
    );
}

#[test]
fn bad_tls_arguments_are_clear_errors_before_the_database_is_opened() {
    let dir = tempfile::tempdir().unwrap();
    let server = Certificate::make(dir.path(), "server");
    let other = Certificate::make(dir.path(), "other");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(
        &garbage,
        "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let missing = dir.path().join("missing.pem");
    let db = dir.path().join("db");
    let serve = |args: &[&Path]| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_tidepool"));
        command.args(["serve", "--listen", "127.0.0.1:0", "--db"]).arg(&db);
        for (flag, path) in ["--tls-cert", "--tls-key"].iter().zip(args) {
            command.arg(flag).arg(path);
        }
        command.stdin(Stdio::null()).output().unwrap()
    };
    let cases: [(&[&Path], &str); 6] = [
        (&[&server.cert], "--tls-key"),
        (&[&missing, &server.key], "cannot read the TLS certificate"),
        (&[&server.cert, &other.key], "does not match the certificate"),
        (&[&server.key, &server.key], "holds no PEM certificate"),
        (&[&server.cert, &server.cert], "holds no PEM private key"),
        (&[&garbage, &server.key], "is not valid PEM"),
    ];
    for (args, expected) in cases {
        let output = serve(args);
        assert!(!output.status.success(), "{args:?} started");
        assert!(stderr(&output).contains(expected), "{args:?}: {}", stderr(&output));
        assert!(!stdout(&output).contains("serving"), "{args:?}: {}", stdout(&output));
        assert!(!db.exists(), "{args:?} opened the database");
    }
    // --tls-key alone is refused as --tls-cert alone is.
    let output = Command::new(env!("CARGO_BIN_EXE_tidepool"))
        .args(["serve", "--listen", "127.0.0.1:0", "--tls-key"])
        .arg(&server.key)
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(stderr(&output).contains("--tls-cert"), "{}", stderr(&output));
}

#[test]
fn a_self_signed_certificate_marked_as_a_ca_is_refused_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let certificate = Certificate::make_as(
        dir.path(),
        "ca",
        rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
    );
    let served = Served::start(&dir.path().join("db"), &certificate);
    let output = served.cli(
        &format!("https://{}", served.address),
        Some(&certificate.cert),
        &["sql", "-c", "SELECT 1"],
    );
    assert!(!output.status.success());
    let message = stderr(&output);
    assert!(
        message.contains("marked as a CA certificate") && message.contains("CA:FALSE"),
        "{message}"
    );
}
