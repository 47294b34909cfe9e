//! SQLite's sqllogictest corpus through Tidepool's engine API, side by side with plain
//! DataFusion over in-memory tables.
//!
//! The corpus is read from `../shared/sqllogictest` beside the repository (or
//! `TIDEPOOL_SLT_DIR`), never copied in. Each file runs on a fresh database with the
//! `sqllogictest` crate's runner, once through a Tidepool [`Session`] and once through a
//! DataFusion `SessionContext` whose tables are `MemTable`s. Every Tidepool record must
//! pass or be listed, with its reason, in `tests/conformance/known_differences.tsv`: a
//! new failure fails the test, and so does a listed record that now passes (the list is
//! kept exact). So does a record DataFusion passes and Tidepool fails, listed or not:
//! Tidepool runs DataFusion's SQL, so any such gap is Tidepool's bug.
//!
//! `TIDEPOOL_SLT_ONLY=<part of a file name>` runs those files; `TIDEPOOL_SLT_VERBOSE=1`
//! prints every failure of both engines. `TIDEPOOL_SLT_UPDATE=1` rewrites the list (reasons from [`reason`]) and the table of
//! pass counts in `docs/conformance.md`. Without the corpus the test fails when `CI` is
//! set, and elsewhere says loudly that it skipped.
//!
//! What the adapters do for the corpus, and nothing else: tables named without a
//! namespace live in Tidepool's `default` namespace; `CREATE [UNIQUE] INDEX`, `DROP
//! INDEX` and `REINDEX` succeed without effect on both sides (neither engine has
//! secondary indexes, and an index never changes an answer); values are printed the
//! way SQLite's runner prints them for the type letters of their `query` line (`I`
//! integer, `R` three decimals, `T` text, `NULL`, `(empty)`); NULLs sort first, as in
//! SQLite (`datafusion.sql_parser.default_null_ordering`).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{
    DataType, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type, UInt16Type, UInt32Type, UInt64Type,
    UInt8Type,
};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::execution::context::SessionContext;
use datafusion::logical_expr::LogicalPlan;
use sqllogictest::{AsyncDB, ColumnType, Condition, DBOutput, DefaultColumnType, QueryExpect, Record, Runner};
use tidepool_engine::{Actor, Engine, Session, StatementResult};

const KNOWN: &str = "tests/conformance/known_differences.tsv";
const DOC: &str = "../../docs/conformance.md";
const TABLE_START: &str = "<!-- conformance table: written by TIDEPOOL_SLT_UPDATE=1 -->";
const TABLE_END: &str = "<!-- end of conformance table -->";
/// SQLite sorts NULL before every value (DataFusion's default is after).
const SQLITE_NULL_ORDER: &str = "SET datafusion.sql_parser.default_null_ordering = 'nulls_min'";

#[derive(Debug)]
struct DbError(String);

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DbError {}

/// The type letters of the `query` record being run, set by the driver before each
/// record: the runner hands an adapter only the SQL.
type Letters = Arc<Mutex<Vec<char>>>;

/// What a statement returned, common to both engines.
enum Outcome {
    Rows(Vec<RecordBatch>),
    Count(u64),
}

enum Engines {
    Tidepool(Session),
    DataFusion(SessionContext),
}

struct Adapter {
    engine: Engines,
    letters: Letters,
}

impl Adapter {
    async fn execute(&mut self, sql: &str) -> Result<Outcome, String> {
        match &self.engine {
            Engines::Tidepool(session) => {
                let mut results = session.execute(sql).await.map_err(|e| e.to_string())?;
                Ok(match results.pop() {
                    Some(StatementResult::Rows { batches, .. }) => Outcome::Rows(batches),
                    Some(StatementResult::Affected(n)) => Outcome::Count(n),
                    _ => Outcome::Count(0),
                })
            }
            Engines::DataFusion(ctx) => {
                let frame = ctx.sql(sql).await.map_err(|e| e.to_string())?;
                let is_write = matches!(frame.logical_plan(), LogicalPlan::Dml(_));
                let batches = frame.collect().await.map_err(|e| e.to_string())?;
                if !is_write {
                    return Ok(Outcome::Rows(batches));
                }
                let count = batches
                    .first()
                    .filter(|b| b.num_rows() == 1)
                    .and_then(|b| b.column(0).as_primitive_opt::<UInt64Type>().map(|a| a.value(0)))
                    .unwrap_or(0);
                Ok(Outcome::Count(count))
            }
        }
    }
}

/// The statements of a record: split at `;` outside quotes.
fn split(sql: &str) -> Vec<&str> {
    let (mut out, mut start, mut quote) = (Vec::new(), 0, None);
    for (i, c) in sql.char_indices() {
        match (c, quote) {
            ('\'' | '"', None) => quote = Some(c),
            (c, Some(q)) if c == q => quote = None,
            (';', None) => {
                out.push(&sql[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&sql[start..]);
    out.retain(|s| !s.trim().is_empty());
    out
}

/// `CREATE [UNIQUE] INDEX`, `DROP INDEX`, `REINDEX`: no effect on either side.
fn is_index_statement(sql: &str) -> bool {
    let words: Vec<String> = sql.split_whitespace().take(3).map(|w| w.to_ascii_uppercase()).collect();
    matches!(
        words.iter().map(String::as_str).collect::<Vec<_>>().as_slice(),
        ["CREATE", "INDEX", ..] | ["CREATE", "UNIQUE", "INDEX"] | ["DROP", "INDEX", ..] | ["REINDEX", ..]
    )
}

#[async_trait::async_trait]
impl AsyncDB for Adapter {
    type Error = DbError;
    type ColumnType = DefaultColumnType;

    async fn run(&mut self, sql: &str) -> Result<DBOutput<DefaultColumnType>, DbError> {
        // A record may hold several statements (`INSERT ...; DROP INDEX ...;`).
        let mut last = None;
        for statement in split(sql) {
            last = Some(match is_index_statement(statement) {
                true => Outcome::Count(0),
                false => self.execute(statement).await.map_err(DbError)?,
            });
        }
        match last.unwrap_or(Outcome::Count(0)) {
            Outcome::Count(n) => Ok(DBOutput::StatementComplete(n)),
            Outcome::Rows(batches) => {
                let letters = self.letters.lock().unwrap().clone();
                let mut rows = Vec::new();
                for batch in &batches {
                    for row in 0..batch.num_rows() {
                        rows.push(
                            batch
                                .columns()
                                .iter()
                                .enumerate()
                                .map(|(i, column)| cell(column.as_ref(), row, letters.get(i).copied().unwrap_or('T')))
                                .collect(),
                        );
                    }
                }
                let columns = batches.first().map_or(letters.len(), |b| b.num_columns());
                Ok(DBOutput::Rows {
                    types: vec![DefaultColumnType::Any; columns],
                    rows,
                })
            }
        }
    }

    async fn shutdown(&mut self) {}

    fn engine_name(&self) -> &str {
        match self.engine {
            Engines::Tidepool(_) => "tidepool",
            Engines::DataFusion(_) => "datafusion",
        }
    }
}

/// A number as SQLite's runner prints it for a type letter.
fn number(value: f64, integral: Option<i128>, letter: char) -> String {
    match letter {
        'I' => integral.unwrap_or(value.trunc() as i128).to_string(),
        'R' => format!("{value:.3}"),
        _ => match integral {
            Some(i) => i.to_string(),
            None => format!("{value:?}"),
        },
    }
}

/// The leading number of a text, as SQLite converts text to a number (0 when none).
fn text_number(text: &str) -> f64 {
    let text = text.trim_start();
    (1..=text.len())
        .rev()
        .filter(|&end| text.is_char_boundary(end))
        .find_map(|end| text[..end].parse::<f64>().ok())
        .unwrap_or(0.0)
}

fn cell(array: &dyn Array, row: usize, letter: char) -> String {
    if array.is_null(row) {
        return "NULL".into();
    }
    macro_rules! int {
        ($t:ty) => {{
            let v = array.as_primitive::<$t>().value(row) as i128;
            number(v as f64, Some(v), letter)
        }};
    }
    match array.data_type() {
        DataType::Int8 => int!(Int8Type),
        DataType::Int16 => int!(Int16Type),
        DataType::Int32 => int!(Int32Type),
        DataType::Int64 => int!(Int64Type),
        DataType::UInt8 => int!(UInt8Type),
        DataType::UInt16 => int!(UInt16Type),
        DataType::UInt32 => int!(UInt32Type),
        DataType::UInt64 => int!(UInt64Type),
        DataType::Float32 => number(array.as_primitive::<Float32Type>().value(row) as f64, None, letter),
        DataType::Float64 => number(array.as_primitive::<Float64Type>().value(row), None, letter),
        DataType::Boolean => {
            let v = array.as_boolean().value(row) as i128;
            number(v as f64, Some(v), letter)
        }
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => {
            let text = match array.data_type() {
                DataType::Utf8 => array.as_string::<i32>().value(row),
                DataType::LargeUtf8 => array.as_string::<i64>().value(row),
                _ => array.as_string_view().value(row),
            };
            match letter {
                'I' | 'R' => number(text_number(text), None, letter),
                _ if text.is_empty() => "(empty)".into(),
                _ => text.chars().map(|c| if c < ' ' { '@' } else { c }).collect(),
            }
        }
        _ => {
            let options = FormatOptions::default();
            let text = ArrayFormatter::try_new(array, &options)
                .map(|f| f.value(row).to_string())
                .unwrap_or_else(|e| format!("<{e}>"));
            match (letter, text.parse::<f64>()) {
                ('I' | 'R', Ok(v)) => number(v, None, letter),
                _ => text,
            }
        }
    }
}

/// Why a record differs from SQLite's answer, from its SQL and the error: the reason
/// written beside it in the known-differences list. The first matching rule wins.
fn reason(sql: &str, error: &str) -> &'static str {
    const BY_ERROR: &[(&str, &str)] = &[
        (
            "divide by zero",
            "division by zero is an error in DataFusion (NULL in SQLite)",
        ),
        (
            "does not support logical expression scalarsubquery",
            "correlated scalar subquery DataFusion does not plan",
        ),
        (
            "does not support logical expression insubquery",
            "x IN (SELECT ...) outside WHERE, which DataFusion does not plan",
        ),
        ("correlated", "correlated subquery DataFusion does not plan"),
        (
            "projections require unique expression names",
            "duplicate output column names (DataFusion requires unique names)",
        ),
        (
            "which would be ambiguous",
            "an output name both qualified and unqualified, ambiguous to DataFusion",
        ),
        (
            "must be in group by or an aggregate function",
            "a column outside GROUP BY in the select list (SQLite picks a row's value)",
        ),
        ("invalid function 'total'", "SQLite-only function total()"),
        ("invalid function 'group_concat'", "SQLite-only function group_concat()"),
        ("found: indexed", "SQLite's NOT INDEXED clause"),
        (
            "failed to match any signature",
            "sum/avg of a TEXT column (SQLite reads text as numbers)",
        ),
        (
            "cannot cast string",
            "TEXT compared with an INTEGER column (SQLite compares across types)",
        ),
        ("binary can't cast", "a blob compared with an INTEGER column"),
        (
            "can't cast value",
            "INTEGER is 32-bit (as in PostgreSQL and DataFusion), SQLite's is 64-bit",
        ),
        (
            "expected to fail, but actually succeed",
            "DataFusion accepts what SQLite refuses (count(DISTINCT *))",
        ),
    ];
    let e = error.to_ascii_lowercase();
    if let Some((_, reason)) = BY_ERROR.iter().find(|(pattern, _)| e.contains(pattern)) {
        return reason;
    }
    if e.contains("query result mismatch") {
        let sql = sql.to_ascii_uppercase();
        return match sql.contains("SUM(") {
            true => "sum() of rows whose INSERT of a 64-bit value failed (INTEGER is 32-bit)",
            false => "different answer, as on DataFusion",
        };
    }
    "other difference, as on DataFusion"
}

/// One record's outcome.
#[derive(Clone)]
struct Failure {
    line: u32,
    sql: String,
    error: String,
}

#[derive(Default, Clone)]
struct Tally {
    queries: u64,
    queries_passed: u64,
    statements: u64,
    statements_passed: u64,
    skipped: u64,
    failures: Vec<Failure>,
    seconds: f64,
}

fn skipped(conditions: &[Condition], label: &str) -> bool {
    conditions.iter().any(|c| match c {
        Condition::OnlyIf { label: l } => l != label,
        Condition::SkipIf { label: l } => l == label,
    })
}

async fn run_file(path: &Path, tidepool: bool) -> Tally {
    let letters: Letters = Arc::default();
    let dir = tempfile::tempdir().unwrap();
    let engine = if tidepool {
        let session = Engine::open(dir.path()).unwrap().session(Actor::Admin);
        session.execute("CREATE NAMESPACE default").await.unwrap();
        session.execute(SQLITE_NULL_ORDER).await.unwrap();
        Engines::Tidepool(session)
    } else {
        let ctx = SessionContext::new();
        ctx.sql(SQLITE_NULL_ORDER).await.unwrap().collect().await.unwrap();
        Engines::DataFusion(ctx)
    };
    let label = if tidepool { "tidepool" } else { "datafusion" };
    let adapter = Mutex::new(Some(Adapter {
        engine,
        letters: letters.clone(),
    }));
    let mut runner = Runner::new(move || {
        let db = adapter.lock().unwrap().take().expect("one connection per file");
        async move { Ok(db) }
    });
    runner.add_label(label);
    runner.with_validator(value_wise);
    // SQLite's runner hashes results of more than 8 values unless a file says otherwise.
    runner.with_hash_threshold(8);

    // SQLite's runner allows a comment after `skipif`/`onlyif <engine>`; the crate does not.
    let script: String = std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(
            |line| match line.starts_with("skipif ") || line.starts_with("onlyif ") {
                true => line.split(" #").next().unwrap_or(line).trim_end(),
                false => line,
            },
        )
        .flat_map(|line| [line, "\n"])
        .collect();
    let name = path.file_name().unwrap().to_string_lossy();
    let records = sqllogictest::parse_with_name::<DefaultColumnType>(&script, name.as_ref())
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let started = Instant::now();
    let mut tally = Tally::default();
    for record in records {
        let (is_query, line, sql) = match &record {
            Record::Query {
                conditions,
                expected,
                loc,
                sql,
                ..
            } => {
                if skipped(conditions, label) {
                    tally.skipped += 1;
                    continue;
                }
                if let QueryExpect::Results { types, .. } = expected {
                    *letters.lock().unwrap() = types.iter().map(|t| t.to_char()).collect();
                }
                (true, loc.line(), sql.clone())
            }
            Record::Statement {
                conditions, loc, sql, ..
            } => {
                if skipped(conditions, label) {
                    tally.skipped += 1;
                    continue;
                }
                (false, loc.line(), sql.clone())
            }
            _ => {
                runner.run_async(record).await.unwrap();
                continue;
            }
        };
        let result = runner.run_async(record).await;
        let passed = result.is_ok();
        match is_query {
            true => {
                tally.queries += 1;
                tally.queries_passed += passed as u64;
            }
            false => {
                tally.statements += 1;
                tally.statements_passed += passed as u64;
            }
        }
        if let Err(e) = result {
            let error = e.kind().to_string();
            tally.failures.push(Failure { line, sql, error });
        }
    }
    tally.seconds = started.elapsed().as_secs_f64();
    tally
}

/// SQLite's files list one value per line; the runner's rows are compared flattened.
fn value_wise(normalizer: sqllogictest::Normalizer, actual: &[Vec<String>], expected: &[String]) -> bool {
    let actual: Vec<String> = actual.iter().flatten().map(normalizer).collect();
    let expected: Vec<String> = expected.iter().map(normalizer).collect();
    actual == expected
}

fn corpus_dir() -> Option<PathBuf> {
    let dir = match std::env::var_os("TIDEPOOL_SLT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/sqllogictest"),
    };
    dir.is_dir().then_some(dir)
}

/// `file:line` → reason, from the checked-in list.
fn read_known(path: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (at, reason) = l.split_once('\t').unwrap_or((l, ""));
            (at.to_string(), reason.to_string())
        })
        .collect()
}

#[test]
fn sqlite_corpus_runs_as_in_sqlite() {
    let Some(dir) = corpus_dir() else {
        let message = "conformance: SKIPPED — SQLite's sqllogictest corpus not found at ../shared/sqllogictest \
                       (set TIDEPOOL_SLT_DIR)";
        if std::env::var_os("CI").is_some() {
            panic!("{message}; CI must run it");
        }
        eprintln!("\n!!! {message} !!!\n");
        return;
    };
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "test"))
        .collect();
    if let Ok(only) = std::env::var("TIDEPOOL_SLT_ONLY") {
        files.retain(|f| f.file_name().unwrap().to_string_lossy().contains(&only));
    }
    assert!(!files.is_empty(), "no .test files in {}", dir.display());
    // Largest first, so the last job to finish is a short one.
    files.sort_by_key(|f| std::cmp::Reverse(f.metadata().map(|m| m.len()).unwrap_or(0)));
    let jobs: Vec<(PathBuf, bool)> = files
        .iter()
        .flat_map(|f| [(f.clone(), true), (f.clone(), false)])
        .collect();
    let queue = Mutex::new(jobs.into_iter());
    let results: Mutex<BTreeMap<(String, bool), Tally>> = Mutex::default();
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                loop {
                    let Some((file, tidepool)) = queue.lock().unwrap().next() else {
                        break;
                    };
                    let tally = runtime.block_on(run_file(&file, tidepool));
                    let name = file.file_name().unwrap().to_string_lossy().into_owned();
                    eprintln!(
                        "conformance: {name} on {}: {}/{} queries, {}/{} statements, {:.1} s",
                        if tidepool { "Tidepool" } else { "DataFusion" },
                        tally.queries_passed,
                        tally.queries,
                        tally.statements_passed,
                        tally.statements,
                        tally.seconds
                    );
                    if std::env::var_os("TIDEPOOL_SLT_VERBOSE").is_some() {
                        for failure in &tally.failures {
                            eprintln!(
                                "conformance: {name}:{} on {}: {}\n  {}",
                                failure.line,
                                if tidepool { "Tidepool" } else { "DataFusion" },
                                failure.sql.replace('\n', " "),
                                failure.error.lines().take(3).collect::<Vec<_>>().join("\n  ")
                            );
                        }
                    }
                    results.lock().unwrap().insert((name, tidepool), tally);
                }
            });
        }
    });
    let results = results.into_inner().unwrap();

    // Tidepool's failures against the list; DataFusion's passes against Tidepool's.
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let known = read_known(&manifest.join(KNOWN));
    let mut problems = Vec::new();
    let mut failing = BTreeMap::new();
    let mut gaps = 0u64;
    let mut table = String::new();
    writeln!(
        table,
        "| File | Queries | Tidepool | DataFusion | Statements | Tidepool | DataFusion | Known differences |"
    )
    .unwrap();
    writeln!(table, "|---|---:|---:|---:|---:|---:|---:|---:|").unwrap();
    let mut totals = [0u64; 7];
    let names: BTreeSet<&String> = results.keys().map(|(name, _)| name).collect();
    for name in names {
        let ours = &results[&(name.clone(), true)];
        let theirs = &results[&(name.clone(), false)];
        let theirs_failed: BTreeSet<u32> = theirs.failures.iter().map(|f| f.line).collect();
        for failure in &ours.failures {
            let at = format!("{name}:{}", failure.line);
            if !theirs_failed.contains(&failure.line) {
                gaps += 1;
                problems.push(format!(
                    "{at}: Tidepool fails where DataFusion passes (Tidepool's bug):\n  {}\n  {}",
                    failure.sql.replace('\n', " "),
                    failure.error.lines().next().unwrap_or("")
                ));
            } else if !known.contains_key(&at) {
                problems.push(format!(
                    "{at}: new difference from SQLite:\n  {}\n  {}",
                    failure.sql.replace('\n', " "),
                    failure.error.lines().next().unwrap_or("")
                ));
            }
            failing.insert(at, reason(&failure.sql, &failure.error).to_string());
        }
        let known_here = failing.keys().filter(|k| k.starts_with(&format!("{name}:"))).count() as u64;
        writeln!(
            table,
            "| {name} | {} | {} | {} | {} | {} | {} | {known_here} |",
            ours.queries,
            ours.queries_passed,
            theirs.queries_passed,
            ours.statements,
            ours.statements_passed,
            theirs.statements_passed
        )
        .unwrap();
        for (total, n) in totals.iter_mut().zip([
            ours.queries,
            ours.queries_passed,
            theirs.queries_passed,
            ours.statements,
            ours.statements_passed,
            theirs.statements_passed,
            known_here,
        ]) {
            *total += n;
        }
    }
    writeln!(
        table,
        "| **all** | {} | {} | {} | {} | {} | {} | {} |",
        totals[0], totals[1], totals[2], totals[3], totals[4], totals[5], totals[6]
    )
    .unwrap();
    let only = std::env::var("TIDEPOOL_SLT_ONLY").is_ok();
    for at in known.keys().filter(|at| !failing.contains_key(*at)) {
        let file = at.split(':').next().unwrap_or("");
        if results.contains_key(&(file.to_string(), true)) {
            problems.push(format!(
                "{at}: listed as a known difference but passes now: remove it from {KNOWN}"
            ));
        }
    }
    eprintln!("\n{table}");

    if std::env::var_os("TIDEPOOL_SLT_UPDATE").is_some() {
        assert!(!only, "TIDEPOOL_SLT_UPDATE rewrites the whole list: run every file");
        let mut by_reason: BTreeMap<&str, u64> = BTreeMap::new();
        let mut text = String::from(
            "# Records of SQLite's sqllogictest corpus where Tidepool's answer differs from SQLite's,\n\
             # with the reason (tests/engine/conformance.rs; regenerate with TIDEPOOL_SLT_UPDATE=1).\n\
             # Every one of them also differs on plain DataFusion.\n",
        );
        for (at, reason) in &failing {
            writeln!(text, "{at}\t{reason}").unwrap();
            *by_reason.entry(reason).or_default() += 1;
        }
        std::fs::write(manifest.join(KNOWN), text).unwrap();
        let mut reasons = String::from("| Reason | Records |\n|---|---:|\n");
        for (reason, n) in by_reason {
            writeln!(reasons, "| {reason} | {n} |").unwrap();
        }
        let doc_path = manifest.join(DOC);
        let doc = std::fs::read_to_string(&doc_path).unwrap_or_default();
        let generated = format!("{TABLE_START}\n{table}\n{reasons}{TABLE_END}");
        let doc = match (doc.find(TABLE_START), doc.find(TABLE_END)) {
            (Some(start), Some(end)) => format!("{}{generated}{}", &doc[..start], &doc[end + TABLE_END.len()..]),
            _ => format!("{doc}\n{generated}\n"),
        };
        std::fs::write(doc_path, doc).unwrap();
        if gaps == 0 {
            return;
        }
    }
    assert!(
        problems.is_empty(),
        "{} problem(s) with SQLite's corpus:\n{}",
        problems.len(),
        problems.join("\n")
    );
}
