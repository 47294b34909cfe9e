//! A differential fuzzer of the storage layer: random schemas, rows and statements run
//! against a real Tidepool database and against plain DataFusion over in-memory tables
//! holding the same rows, with three oracles:
//!
//! - (a) a query returns the same multiset of rows from both;
//! - (b) ternary logic partitioning: `count(WHERE p) + count(WHERE NOT p) +
//!   count(WHERE p IS NULL) = count(*)`, each count read through Tidepool's scans (with
//!   their key-range pushdown);
//! - (c) after `UPDATE`/`DELETE ... WHERE p` or `INSERT ... SELECT ... WHERE p`, the
//!   table equals what DataFusion computes from the previous rows, the affected count
//!   is the number of rows changed, other users' rows of a USER table are untouched,
//!   and a subscription's mirror (snapshot + changes) equals the table — with no
//!   message at all when nothing changed.
//!
//! A case is one generated statement checked by its oracles. Every case is reproducible
//! from `TIDEPOOL_FUZZ_SEED` and its round (even rounds run with the direct path of
//! `sql::direct` on, odd ones with it off); a failure prints both and the SQL that
//! reproduces it. Knobs: `TIDEPOOL_FUZZ_CASES` (default 3,000: the CI run),
//! `TIDEPOOL_FUZZ_SECONDS` (stop after this long), `TIDEPOOL_FUZZ_SEED`. `scripts/fuzz`
//! runs it in a release build for as long as asked.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::{Duration, Instant};

use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::datasource::MemTable;
use datafusion::execution::context::{SessionConfig, SessionContext};
use serde_json::Value as Json;
use tidepool_engine::{rows_json, Actor, Engine, LiveMessage, Session, StatementResult, Subscription};

/// Writes refused for a UNIQUE violation (reported, so a run shows the path is taken).
static UNIQUE_REFUSED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Statements per schema: a round builds tables and rows, then runs this many cases.
const CASES_PER_ROUND: usize = 40;

/// splitmix64: small, fast and good enough to pick SQL.
use crate::rng::Rng;

#[derive(Clone, Copy, PartialEq)]
enum Ty {
    Int,
    BigInt,
    Double,
    Text,
    Boolean,
}

impl Ty {
    fn sql(self) -> &'static str {
        match self {
            Ty::Int => "INT",
            Ty::BigInt => "BIGINT",
            Ty::Double => "DOUBLE",
            Ty::Text => "TEXT",
            Ty::Boolean => "BOOLEAN",
        }
    }

    /// A literal from a small domain, so rows collide and predicates hit.
    fn literal(self, rng: &mut Rng) -> String {
        match self {
            Ty::Int | Ty::BigInt => rng
                .pick(&["-3", "-1", "0", "1", "2", "3", "5", "7", "100", "-100"])
                .to_string(),
            Ty::Double => rng
                .pick(&[
                    "-2.5",
                    "-1.0",
                    "-0.0",
                    "0.0",
                    "0.5",
                    "1.0",
                    "2.5",
                    "1e10",
                    "CAST('NaN' AS DOUBLE)",
                    "CAST('inf' AS DOUBLE)",
                    "CAST('-inf' AS DOUBLE)",
                ])
                .to_string(),
            Ty::Text => rng
                .pick(&[
                    "''", "'a'", "'ab'", "'abc'", "'b'", "'B'", "'ü'", "'über'", "'x y'", "'it''s'", "'😀'", "'a%'",
                ])
                .to_string(),
            Ty::Boolean => rng.pick(&["true", "false"]).to_string(),
        }
    }

    fn numeric(self) -> bool {
        matches!(self, Ty::Int | Ty::BigInt | Ty::Double)
    }
}

struct Column {
    name: String,
    ty: Ty,
}

/// One round's table: a key (or none: the generated `_id`), value columns, a kind.
struct Table {
    key: Vec<Column>,
    values: Vec<Column>,
    user: bool,
    /// A value column with a UNIQUE constraint (Tidepool's side only: DataFusion has
    /// none, so the oracle checks that no write it accepts leaves a duplicate).
    unique: Option<usize>,
}

impl Table {
    fn generate(rng: &mut Rng) -> Table {
        let key = match rng.below(6) {
            0 => vec![],
            1 => vec![
                Column {
                    name: "k".into(),
                    ty: Ty::Text,
                },
                Column {
                    name: "k2".into(),
                    ty: Ty::Int,
                },
            ],
            _ => vec![Column {
                name: "k".into(),
                ty: *rng.pick(&[Ty::Int, Ty::BigInt, Ty::Double, Ty::Text]),
            }],
        };
        let values: Vec<Column> = (0..2 + rng.below(3))
            .map(|i| Column {
                name: format!("c{i}"),
                ty: *rng.pick(&[Ty::Int, Ty::BigInt, Ty::Double, Ty::Text, Ty::Boolean]),
            })
            .collect();
        let unique = rng.chance(25).then(|| rng.below(values.len()));
        Table {
            key,
            values,
            user: rng.chance(30),
            unique,
        }
    }

    fn columns(&self) -> impl Iterator<Item = &Column> {
        self.key.iter().chain(&self.values)
    }

    fn column_list(&self) -> String {
        self.columns().map(|c| c.name.as_str()).collect::<Vec<_>>().join(", ")
    }

    fn create(&self, name: &str, with_key: bool) -> String {
        let mut sql = format!(
            "CREATE {}TABLE {name} (",
            if self.user && with_key { "USER " } else { "" }
        );
        let columns: Vec<String> = self.columns().map(|c| format!("{} {}", c.name, c.ty.sql())).collect();
        sql.push_str(&columns.join(", "));
        if with_key && !self.key.is_empty() {
            let key: Vec<&str> = self.key.iter().map(|c| c.name.as_str()).collect();
            let _ = write!(sql, ", PRIMARY KEY ({})", key.join(", "));
        }
        if let (true, Some(u)) = (with_key, self.unique) {
            let _ = write!(sql, ", UNIQUE ({})", self.values[u].name);
        }
        sql.push(')');
        sql
    }

    /// Distinct keys, values with NULLs; `(owner, values)` per row.
    fn rows(&self, rng: &mut Rng) -> Vec<(&'static str, Vec<String>)> {
        let mut seen = std::collections::HashSet::new();
        let mut seen_unique = std::collections::HashSet::new();
        let mut rows = Vec::new();
        for _ in 0..rng.below(30) {
            let owner = if self.user && rng.chance(40) { "bob" } else { "alice" };
            let key: Vec<String> = self.key.iter().map(|c| c.ty.literal(rng)).collect();
            let normalized = key.iter().map(|k| k.replace("-0.0", "0.0")).collect::<Vec<_>>();
            if !self.key.is_empty() && !seen.insert((owner, normalized)) {
                continue;
            }
            let values: Vec<String> = self
                .values
                .iter()
                .map(|c| {
                    if rng.chance(20) {
                        "NULL".to_string()
                    } else {
                        c.ty.literal(rng)
                    }
                })
                .collect();
            if let Some(u) = self.unique {
                let value = values[u].replace("-0.0", "0.0");
                if value != "NULL" && !seen_unique.insert((owner, value)) {
                    continue;
                }
            }
            rows.push((owner, key.into_iter().chain(values).collect()));
        }
        rows
    }

    fn column<'a>(&'a self, rng: &mut Rng) -> &'a Column {
        // Key columns half the time: they are the ones pushed into key ranges.
        if !self.key.is_empty() && rng.chance(50) {
            rng.pick(&self.key)
        } else {
            rng.pick(&self.values)
        }
    }

    /// A statement's WHERE: a quarter of the time the whole key equal to literals (what
    /// the direct path of `sql::direct` serves, when the types allow), else a tree.
    fn filter(&self, rng: &mut Rng) -> String {
        if self.key.is_empty() || !rng.chance(25) {
            return self.predicate(rng, 3);
        }
        let parts: Vec<String> = self
            .key
            .iter()
            .map(|c| format!("{} = {}", c.name, c.ty.literal(rng)))
            .collect();
        parts.join(" AND ")
    }

    /// A WHERE tree over the table's columns.
    fn predicate(&self, rng: &mut Rng, depth: usize) -> String {
        if depth > 0 && rng.chance(45) {
            return match rng.below(3) {
                0 => format!(
                    "({} AND {})",
                    self.predicate(rng, depth - 1),
                    self.predicate(rng, depth - 1)
                ),
                1 => format!(
                    "({} OR {})",
                    self.predicate(rng, depth - 1),
                    self.predicate(rng, depth - 1)
                ),
                _ => format!("(NOT {})", self.predicate(rng, depth - 1)),
            };
        }
        let c = self.column(rng);
        let name = &c.name;
        let ty = c.ty;
        // A literal of the column's type, or across numeric types (INT vs 2.5).
        let lit = |rng: &mut Rng| {
            if ty.numeric() && rng.chance(20) {
                rng.pick(&["2.5", "-0.5", "3", "0"]).to_string()
            } else if rng.chance(5) {
                "NULL".to_string()
            } else {
                ty.literal(rng)
            }
        };
        match rng.below(12) {
            0..=2 => {
                let op = rng.pick(&["=", "<>", "<", "<=", ">", ">="]);
                format!("{name} {op} {}", lit(rng))
            }
            3 => format!("{name} IS {}NULL", if rng.chance(50) { "NOT " } else { "" }),
            4 => {
                let items: Vec<String> = (0..1 + rng.below(4)).map(|_| lit(rng)).collect();
                let not = if rng.chance(30) { "NOT " } else { "" };
                format!("{name} {not}IN ({})", items.join(", "))
            }
            5 => {
                let not = if rng.chance(30) { "NOT " } else { "" };
                format!("{name} {not}BETWEEN {} AND {}", lit(rng), lit(rng))
            }
            6 if ty == Ty::Text => format!("{name} LIKE {}", rng.pick(&["'a%'", "'%b%'", "'_'", "''", "'ü%'"])),
            7 => format!(
                "CASE WHEN {} THEN {} ELSE {} END",
                self.predicate(rng, 0),
                rng.pick(&["true", "false", "NULL"]),
                self.predicate(rng, 0)
            ),
            8 if ty == Ty::Boolean => name.clone(),
            9 => {
                let other = self.columns().filter(|o| o.ty == ty).collect::<Vec<_>>();
                let other = rng.pick(&other);
                format!("{name} {} {}", rng.pick(&["=", "<", ">="]), other.name)
            }
            10 if ty.numeric() => format!("{name} + 1 {} {}", rng.pick(&["=", "<", ">"]), lit(rng)),
            11 => rng.pick(&["true", "false", "NULL", "1 = 0", "1 = 1"]).to_string(),
            _ => format!("{name} = {}", lit(rng)),
        }
    }

    /// A value for an UPDATE of `c` (no column is NOT NULL).
    fn new_value(&self, c: &Column, rng: &mut Rng) -> String {
        match (c.ty, rng.below(3)) {
            (Ty::Int | Ty::BigInt, 0) => format!("{} + 1", c.name),
            (Ty::Double, 0) => format!("{} + 0.5", c.name),
            (Ty::Text, 0) => format!("{} || 'x'", c.name),
            (Ty::Boolean, 0) => format!("NOT {}", c.name),
            (_, 1) => "NULL".into(),
            _ => c.ty.literal(rng),
        }
    }
}

/// The rows of a result as display strings, sorted: a multiset.
fn multiset(batches: &[RecordBatch]) -> Vec<Vec<String>> {
    let options = FormatOptions::default().with_null("NULL");
    let mut rows = Vec::new();
    for batch in batches {
        let formatters: Vec<_> = batch
            .columns()
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options).unwrap())
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(row).to_string()).collect());
        }
    }
    rows.sort();
    rows
}

fn batches_of(result: StatementResult) -> Vec<RecordBatch> {
    match result {
        StatementResult::Rows { batches, .. } => batches,
        other => panic!("not a query: {other:?}"),
    }
}

/// One round's two databases and its log of SQL (printed on failure).
struct Round {
    engine: Engine,
    actor: Session,
    admin: Session,
    reference: SessionContext,
    table: Table,
    /// Tidepool's name of the table and of the INSERT ... SELECT target.
    name: String,
    sink: String,
    log: Vec<String>,
    subscription: Subscription,
    mirror: BTreeMap<String, Vec<Json>>,
    /// How to run this round alone.
    replay: String,
}

impl Round {
    async fn tidepool(&mut self, sql: &str) -> Result<StatementResult, String> {
        self.log.push(sql.to_string());
        self.actor
            .execute(sql)
            .await
            .map(|mut r| r.pop().unwrap())
            .map_err(|e| e.to_string())
    }

    async fn reference(&mut self, sql: &str) -> Result<Vec<RecordBatch>, String> {
        Ok(self.reference_table(sql).await?.1)
    }

    async fn reference_table(&mut self, sql: &str) -> Result<(SchemaRef, Vec<RecordBatch>), String> {
        let frame = self.reference.sql(sql).await.map_err(|e| e.to_string())?;
        let schema: SchemaRef = std::sync::Arc::new(frame.schema().as_arrow().clone());
        let batches = frame.collect().await.map_err(|e| e.to_string())?;
        Ok((schema, batches))
    }

    /// `sql` with `{t}` / `{s}` naming each side's tables.
    fn sides(&self, sql: &str) -> (String, String) {
        (
            sql.replace("{t}", &self.name).replace("{s}", &self.sink),
            sql.replace("{t}", "t").replace("{s}", "s"),
        )
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "{what}\n--- replay: {} cargo test --workspace --test engine fuzz::\n--- SQL so far (as {}):\n{};",
            self.replay,
            self.actor.actor(),
            self.log.join(";\n")
        )
    }

    /// Drains the subscription into the mirror; true if any change arrived.
    async fn follow(&mut self) -> bool {
        self.engine.live_flushed().await;
        let mut changed = false;
        for message in self.subscription.recv_ready().await {
            match message {
                LiveMessage::Snapshot { rows, keys, .. } => {
                    for (key, row) in keys.into_iter().zip(rows) {
                        self.mirror.insert(Json::Array(key).to_string(), row);
                    }
                }
                LiveMessage::Changes { changes, .. } => {
                    for change in &changes {
                        changed = true;
                        let key = Json::Array(change.key().to_vec()).to_string();
                        match change {
                            tidepool_engine::Change::Insert { row, .. }
                            | tidepool_engine::Change::Update { row, .. } => {
                                self.mirror.insert(key, row.clone());
                            }
                            tidepool_engine::Change::Delete { .. } => {
                                self.mirror.remove(&key);
                            }
                        }
                    }
                }
                LiveMessage::Resync { .. } => self.mirror.clear(),
                LiveMessage::Subscribed { .. } => {}
                other => self.fail(&format!("unexpected live message {other:?}")),
            }
        }
        changed
    }

    /// The table as the actor sees it, through a plain scan.
    async fn current(&mut self) -> Vec<Vec<Json>> {
        let sql = format!("SELECT * FROM {}", self.name);
        let mut rows = rows_json(&batches_of(self.actor.execute(&sql).await.unwrap().pop().unwrap()));
        rows.sort_by_key(|r| Json::Array(r.clone()).to_string());
        rows
    }

    async fn other_users_rows(&self) -> u64 {
        if !self.table.user {
            return 0;
        }
        let sql = format!("SELECT count(*) FROM {} WHERE _user <> 'alice'", self.name);
        let batches = batches_of(self.admin.execute(&sql).await.unwrap().pop().unwrap());
        multiset(&batches)[0][0].parse().unwrap()
    }

    /// (a) and (b) for one predicate.
    async fn query_case(&mut self, rng: &mut Rng) {
        let p = self.table.filter(rng);
        let select = match rng.below(4) {
            0 => format!(
                "SELECT count(*), count({}) FROM {{t}} WHERE {p}",
                self.table.column(rng).name
            ),
            1 => format!("SELECT {} FROM {{t}} WHERE {p}", self.table.column(rng).name),
            _ => format!("SELECT {} FROM {{t}} WHERE {p}", self.table.column_list()),
        };
        let (ours, theirs) = self.sides(&select);
        let expected = self.reference(&theirs).await;
        let got = self.tidepool(&ours).await;
        match (got, expected) {
            (Ok(got), Ok(expected)) => {
                let (got, expected) = (multiset(&batches_of(got)), multiset(&expected));
                if got != expected {
                    self.fail(&format!("(a) {ours}\n tidepool:   {got:?}\n datafusion: {expected:?}"));
                }
            }
            (Err(a), Err(_)) => self.log.push(format!("-- both failed: {a}")),
            (got, expected) => self.fail(&format!("(a) {ours}\n tidepool: {got:?}\n datafusion: {expected:?}")),
        }
        let tlp = format!(
            "SELECT (SELECT count(*) FROM {{t}} WHERE {p}), (SELECT count(*) FROM {{t}} WHERE NOT ({p})), \
             (SELECT count(*) FROM {{t}} WHERE ({p}) IS NULL), (SELECT count(*) FROM {{t}})"
        );
        let (ours, _) = self.sides(&tlp);
        if let Ok(result) = self.tidepool(&ours).await {
            let counts: Vec<u64> = multiset(&batches_of(result))[0]
                .iter()
                .map(|c| c.parse().unwrap())
                .collect();
            if counts[0] + counts[1] + counts[2] != counts[3] {
                self.fail(&format!("(b) {ours}\n counts {counts:?}"));
            }
        }
    }

    /// (c) for one UPDATE, DELETE or INSERT ... SELECT.
    async fn write_case(&mut self, rng: &mut Rng) {
        let p = self.table.filter(rng);
        let columns = self.table.column_list();
        let (statement, expected_rows, expected_count, target) = match rng.below(3) {
            0 => (
                format!("DELETE FROM {{t}} WHERE {p}"),
                format!("SELECT __rid, {columns} FROM {{t}} WHERE __rid NOT IN (SELECT __rid FROM {{t}} WHERE {p})"),
                format!("SELECT count(*) FROM {{t}} WHERE {p}"),
                "{t}",
            ),
            1 => {
                let c = rng.pick(&self.table.values);
                let value = self.table.new_value(c, rng);
                let ty = c.ty.sql();
                let updated = format!(
                    "CAST(CASE WHEN selected.__rid IS NOT NULL THEN CAST({value} AS {ty}) ELSE {} END AS {ty})",
                    c.name
                );
                let projection: Vec<String> = self
                    .table
                    .columns()
                    .map(|o| {
                        if o.name == c.name {
                            format!("{updated} AS {}", o.name)
                        } else {
                            o.name.clone()
                        }
                    })
                    .collect();
                // The rows `WHERE p` selects, as DataFusion's own SELECT finds them.
                let joined = format!("{{t}} LEFT JOIN (SELECT __rid FROM {{t}} WHERE {p}) AS selected USING (__rid)");
                (
                    format!("UPDATE {{t}} SET {} = {value} WHERE {p}", c.name),
                    format!("SELECT __rid, {} FROM {joined}", projection.join(", ")),
                    // A changed row is one whose stored value changed: for doubles, as
                    // text, so 0.0 → -0.0 is a change (DataFusion's equality says equal).
                    if c.ty == Ty::Double {
                        format!(
                            "SELECT count(*) FROM {joined} WHERE selected.__rid IS NOT NULL AND \
                             CAST({} AS TEXT) IS DISTINCT FROM CAST(CAST({value} AS DOUBLE) AS TEXT)",
                            c.name
                        )
                    } else {
                        format!(
                            "SELECT count(*) FROM {joined} WHERE selected.__rid IS NOT NULL AND \
                             {} IS DISTINCT FROM CAST({value} AS {ty})",
                            c.name
                        )
                    },
                    "{t}",
                )
            }
            _ => (
                format!("INSERT INTO {{s}} ({columns}) SELECT {columns} FROM {{t}} WHERE {p}"),
                format!("SELECT {columns} FROM {{s}} UNION ALL SELECT {columns} FROM {{t}} WHERE {p}"),
                format!("SELECT count(*) FROM {{t}} WHERE {p}"),
                "{s}",
            ),
        };
        let (_, expected_rows) = self.sides(&expected_rows);
        let (_, expected_count) = self.sides(&expected_count);
        let (ours, _) = self.sides(&statement);
        let (Ok((schema, expected)), Ok(count)) = (
            self.reference_table(&expected_rows).await,
            self.reference(&expected_count).await,
        ) else {
            // DataFusion cannot evaluate p on these rows (e.g. a cast); Tidepool must refuse too.
            if let Ok(r) = self.tidepool(&ours).await {
                self.fail(&format!("(c) {ours} succeeded ({r:?}) where DataFusion fails"));
            }
            return;
        };
        let bob_before = self.other_users_rows().await;
        let (check, _) = self.sides(&format!("SELECT {columns} FROM {target}"));
        let before = multiset(&batches_of(self.tidepool(&check).await.unwrap()));
        let affected = match self.tidepool(&ours).await {
            Ok(StatementResult::Affected(n)) => n,
            // A UNIQUE violation (rows are checked one by one, so DataFusion's final
            // rows need not show it) changes nothing and notifies nobody.
            Err(e) if self.table.unique.is_some() && target == "{t}" && e.contains("for UNIQUE") => {
                let after = multiset(&batches_of(self.tidepool(&check).await.unwrap()));
                if after != before || self.follow().await {
                    self.fail(&format!("(c) {ours} failed ({e}) but changed the table or notified"));
                }
                UNIQUE_REFUSED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                return;
            }
            other => self.fail(&format!("(c) {ours}: {other:?}")),
        };
        let expected_count: u64 = multiset(&count)[0][0].parse().unwrap();
        if affected != expected_count {
            self.fail(&format!(
                "(c) {ours}: {affected} rows affected, expected {expected_count}"
            ));
        }
        let got = multiset(&batches_of(self.tidepool(&check).await.unwrap()));
        // Less the reference's row numbers.
        let without_rid: Vec<RecordBatch> = match target {
            "{t}" => expected
                .iter()
                .map(|b| b.project(&(1..b.num_columns()).collect::<Vec<_>>()).unwrap())
                .collect(),
            _ => expected.clone(),
        };
        let want = multiset(&without_rid);
        if got != want {
            self.fail(&format!("(c) {ours}\n table now: {got:?}\n expected:  {want:?}"));
        }
        if let (Some(u), "{t}") = (self.table.unique, target) {
            let at = self.table.key.len() + u;
            let mut values = std::collections::HashSet::new();
            for row in &got {
                let value = row[at].replace("-0.0", "0.0");
                if value != "NULL" && !values.insert(value.clone()) {
                    self.fail(&format!("(c) {ours} left two rows with {value} in a UNIQUE column"));
                }
            }
        }
        if self.other_users_rows().await != bob_before {
            self.fail(&format!("(c) {ours} changed another user's rows"));
        }
        // The reference now holds what the table holds, for the next case.
        let (_, name) = self.sides(target);
        let table = MemTable::try_new(schema, vec![expected]).unwrap();
        self.reference.deregister_table(name.as_str()).unwrap();
        self.reference
            .register_table(name.as_str(), std::sync::Arc::new(table))
            .unwrap();
        let changed = self.follow().await;
        if target == "{t}" {
            // Nothing changed, nothing heard. (A change can be invisible to JSON: a
            // -0.0 that became 0.0 is 0 to a subscriber; the mirror check below holds.)
            if changed && affected == 0 {
                self.fail(&format!(
                    "(c) {ours}: nothing changed, yet the subscriber heard changes"
                ));
            }
            let current = self.current().await;
            let mut mirrored: Vec<Vec<Json>> = self.mirror.values().cloned().collect();
            mirrored.sort_by_key(|r| Json::Array(r.clone()).to_string());
            if mirrored != current {
                self.fail(&format!(
                    "(c) {ours}: subscriber's rows {mirrored:?}\n table's rows {current:?}"
                ));
            }
        }
    }
}

impl Round {
    /// Builds a round's tables on both sides: Tidepool's in namespace `f{round}`,
    /// DataFusion's as `t` (this actor's rows only) and `s` (the INSERT ... SELECT sink).
    async fn start(engine: &Engine, rng: &mut Rng, seed: u64, round: u64) -> Round {
        let table = Table::generate(rng);
        let admin = engine.session(Actor::Admin);
        let actor = if table.user {
            engine.session(Actor::User("alice".into()))
        } else {
            engine.session(Actor::Admin)
        };
        let namespace = format!("f{round}");
        let name = format!("{namespace}.t");
        let sink = format!("{namespace}.s");
        let mut config = SessionConfig::new();
        config.options_mut().sql_parser.map_string_types_to_utf8view = false;
        let reference = SessionContext::new_with_config(config);
        let rows = table.rows(rng);
        let mut setup = vec![
            format!("CREATE NAMESPACE {namespace}"),
            table.create(&name, true),
            table.create(&sink, false),
        ];
        // The reference's `t` numbers its rows (`__rid`), so what `WHERE p` selects can
        // be named without rewriting p: DataFusion folds `x = 0.0 AND x = -0.0` to false
        // at the top of a WHERE but not inside `(p) IS TRUE`, and a DML's selection is
        // a plain WHERE.
        let mut reference_setup = vec![
            table.create("t", false).replacen(" (", " (__rid BIGINT, ", 1),
            table.create("s", false),
        ];
        for (owner, values) in &rows {
            let values = values.join(", ");
            if table.user {
                setup.push(format!(
                    "INSERT INTO {name} (_user, {}) VALUES ('{owner}', {values})",
                    table.column_list()
                ));
            } else {
                setup.push(format!(
                    "INSERT INTO {name} ({}) VALUES ({values})",
                    table.column_list()
                ));
            }
            if *owner == "alice" {
                let rid = reference_setup.len();
                reference_setup.push(format!(
                    "INSERT INTO t (__rid, {}) VALUES ({rid}, {values})",
                    table.column_list()
                ));
            }
        }
        for sql in &setup {
            admin.execute(sql).await.unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        for sql in &reference_setup {
            reference
                .sql(sql)
                .await
                .unwrap()
                .collect()
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
        let subscription = actor.subscribe(&format!("SELECT * FROM {name}")).await.unwrap();
        let mut round = Round {
            engine: engine.clone(),
            actor,
            admin,
            reference,
            table,
            name,
            sink,
            log: setup,
            subscription,
            mirror: BTreeMap::new(),
            replay: format!(
                "TIDEPOOL_FUZZ_SEED={seed} TIDEPOOL_FUZZ_ROUND={round} TIDEPOOL_FUZZ_CASES={CASES_PER_ROUND}"
            ),
        };
        round.follow().await;
        round
    }
}

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|v| v.parse().ok())
}

/// Runs rounds until the case budget or the time budget is spent; returns the cases run.
async fn fuzz(seed: u64, first_round: u64, cases: u64, seconds: Option<u64>) -> u64 {
    // Even rounds run on a database with the direct path of `sql::direct` on, odd ones
    // on one with it off: every oracle holds for both.
    let (on, off) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let open = |dir: &std::path::Path, sql_direct: bool| {
        let options = tidepool_engine::EngineOptions {
            sql_direct,
            ..Default::default()
        };
        Engine::open_with(dir, options).unwrap()
    };
    let engines = [open(on.path(), true), open(off.path(), false)];
    let deadline = seconds.map(|s| Instant::now() + Duration::from_secs(s));
    let started = Instant::now();
    let mut done = 0u64;
    let mut round = first_round;
    while done < cases && deadline.is_none_or(|d| Instant::now() < d) {
        // Each round draws from its own stream, so one round reproduces alone.
        let mut rng = Rng(seed ^ round.wrapping_mul(0x2545_f491_4f6c_dd1d));
        let engine = &engines[(round % 2) as usize];
        let mut state = Round::start(engine, &mut rng, seed, round).await;
        for _ in 0..CASES_PER_ROUND {
            if rng.chance(70) {
                state.query_case(&mut rng).await;
            } else {
                state.write_case(&mut rng).await;
            }
            done += 1;
        }
        engine
            .session(Actor::Admin)
            .execute(&format!("DROP NAMESPACE f{round} CASCADE"))
            .await
            .unwrap();
        round += 1;
    }
    let elapsed = started.elapsed().as_secs_f64();
    eprintln!(
        "fuzz: seed {seed}: {done} cases in rounds {first_round}..{round}, {elapsed:.1} s ({:.0} cases/s), \
         {} writes refused for UNIQUE, no failure",
        done as f64 / elapsed,
        UNIQUE_REFUSED.load(std::sync::atomic::Ordering::Relaxed)
    );
    done
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn storage_agrees_with_datafusion() {
    let seed = env("TIDEPOOL_FUZZ_SEED").unwrap_or(0x7469_6465_706f_6f6c);
    let cases = env("TIDEPOOL_FUZZ_CASES").unwrap_or(3_000);
    let first_round = env("TIDEPOOL_FUZZ_ROUND").unwrap_or(0);
    fuzz(seed, first_round, cases, env("TIDEPOOL_FUZZ_SECONDS")).await;
}
