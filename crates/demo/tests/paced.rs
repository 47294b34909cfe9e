//! The paced writer of the live-pane measurement against a real engine in a temporary
//! folder.

use serde_json::Value as Json;
use tidepool_demo::Paced;
use tidepool_engine::{Actor, Engine};

#[test]
fn parse_reads_every_word_and_keeps_defaults() {
    let paced = Paced::parse("table=a.b rate=250 seconds=0.5 start=/tmp/s report=/tmp/r");
    assert_eq!(
        paced,
        Paced {
            table: "a.b".into(),
            rate: 250.0,
            seconds: 0.5,
            start: Some("/tmp/s".into()),
            report: Some("/tmp/r".into()),
        }
    );
    let defaults = Paced::parse("rate=fast");
    assert_eq!(
        (defaults.table.as_str(), defaults.rate, defaults.seconds),
        ("bench.items", 1000.0, 5.0)
    );
    assert_eq!((defaults.start, defaults.report), (None, None));
}

#[tokio::test]
async fn run_writes_one_change_per_commit_at_the_rate_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path().join("db")).unwrap();
    engine
        .session(Actor::Admin)
        .execute("CREATE NAMESPACE bench; CREATE TABLE bench.items (id BIGINT PRIMARY KEY, grp TEXT, v BIGINT)")
        .await
        .unwrap();
    let before = engine.last_seq();
    let start = dir.path().join("start");
    std::fs::write(&start, "").unwrap();
    let report_file = dir.path().join("report.json");
    let paced = Paced::parse(&format!(
        "rate=400 seconds=0.5 start={} report={}",
        start.display(),
        report_file.display()
    ));
    let report = paced.run(&engine).unwrap();
    assert_eq!(report.errors, 0);
    assert!((190..=200).contains(&report.changes), "{report:?}");
    assert_eq!(engine.last_seq() - before, report.changes, "one commit per change");
    // The file holds the report (its doubles as text, so compared within a rounding).
    let written: Json = serde_json::from_str(&std::fs::read_to_string(report_file).unwrap()).unwrap();
    let expected = report.to_json();
    for field in ["changes", "errors"] {
        assert_eq!(written[field], expected[field], "{field}: {written} vs {expected}");
    }
    for field in ["rate", "seconds"] {
        let (a, b) = (written[field].as_f64().unwrap(), expected[field].as_f64().unwrap());
        assert!(
            (a - b).abs() <= 1e-9 * b.abs().max(1.0),
            "{field}: {written} vs {expected}"
        );
    }
}

#[test]
fn run_refuses_a_table_name_it_cannot_read() {
    let dir = tempfile::tempdir().unwrap();
    let engine = Engine::open(dir.path().join("db")).unwrap();
    assert!(Paced::parse("table=not-a-name seconds=0").run(&engine).is_err());
}
