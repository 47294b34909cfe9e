//! `SELECT ... FROM <one table> [WHERE ...] ORDER BY ... LIMIT n [OFFSET m]` kept
//! incrementally.
//!
//! The subscription keeps the first `m + n` rows in the query's order plus a margin
//! (as many again, at least 1,000), in an ordered map (ties broken by the table key, so the result is one definite
//! answer). A changed row leaves the kept rows and enters them again if its new image
//! sorts before the last kept row; the rows shown are positions `m .. m + n`, and each
//! commit's changes are what entered, left or changed there. When deletes have used up
//! the margin and rows beyond it may exist, the kept rows are refilled by one read of
//! the table at the latest commit (the change batch then ends at that commit).

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, Weak};

use datafusion::common::ScalarValue;
use datafusion::logical_expr::{Expr, FetchType, LogicalPlan, SkipType};
use datafusion::physical_expr::PhysicalExpr;
use serde_json::Value as Json;

use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::live::aggregate::Ordered;
use crate::live::capture::RowChange;
use crate::live::delta::{images_of, key, passing, project_all, CommitRows};
use crate::live::query::{row_local, rows_shape, RowsQuery};
use crate::live::reevaluate::{diff, Shown};
use crate::live::stateful::{Applied, Cell, KeyedRows, Stateful};
use crate::live::subscription::{for_each_chunk, Sub};
use crate::session::Session;
use crate::sql::errors::from_df;
use crate::sql::parse::SqlStatement;
use crate::sql::scan::Batcher;
use crate::types::Value;

/// Where a row sorts: its ORDER BY values, then its key as a tiebreak.
#[derive(Debug, Clone)]
struct Position {
    values: Vec<ScalarValue>,
    key: String,
    /// (descending, nulls first) of each ORDER BY term.
    terms: Arc<[(bool, bool)]>,
}

impl PartialEq for Position {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Position {}

impl PartialOrd for Position {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Position {
    fn cmp(&self, other: &Self) -> Ordering {
        for ((a, b), (descending, nulls_first)) in self.values.iter().zip(&other.values).zip(self.terms.iter()) {
            let order = match (a.is_null(), b.is_null()) {
                (true, true) => Ordering::Equal,
                (true, false) if *nulls_first => Ordering::Less,
                (true, false) => Ordering::Greater,
                (false, true) if *nulls_first => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    let order = Ordered(a.clone()).cmp(&Ordered(b.clone()));
                    if *descending {
                        order.reverse()
                    } else {
                        order
                    }
                }
            };
            if order.is_ne() {
                return order;
            }
        }
        self.key.cmp(&other.key)
    }
}

/// The kept rows: by position, with each row's key and shown row.
#[derive(Default)]
pub(crate) struct Window {
    rows: BTreeMap<Position, (Vec<Json>, Vec<Json>)>,
    /// Position of each kept row, by key (as JSON text).
    by_key: HashMap<String, Position>,
    /// Every matching row is kept (there is nothing beyond the last one).
    complete: bool,
    /// The database, to read the table again when the kept rows run short.
    inner: Weak<Inner>,
}

impl Window {
    fn remove(&mut self, key: &str) {
        if let Some(position) = self.by_key.remove(key) {
            self.rows.remove(&position);
        }
    }

    fn insert(&mut self, position: Position, key: Vec<Json>, row: Vec<Json>) {
        self.by_key.insert(position.key.clone(), position.clone());
        self.rows.insert(position, (key, row));
    }

    /// Drops rows past `capacity` (the table has more than are kept then).
    fn trim(&mut self, capacity: usize) {
        while self.rows.len() > capacity {
            if let Some((position, _)) = self.rows.pop_last() {
                self.by_key.remove(&position.key);
            }
            self.complete = false;
        }
    }

    /// Whether a row at `position` belongs among the kept rows.
    fn admits(&self, position: &Position) -> bool {
        self.complete || self.rows.last_key_value().is_some_and(|(last, _)| position < last)
    }
}

pub(crate) struct TopN {
    pub input: RowsQuery,
    /// ORDER BY expressions over the table's session schema.
    sort: Vec<Arc<dyn PhysicalExpr>>,
    terms: Arc<[(bool, bool)]>,
    skip: usize,
    fetch: usize,
    /// Rows kept: `skip + fetch` and a margin for deletes.
    capacity: usize,
    cell: Mutex<Cell<Window>>,
}

impl std::fmt::Debug for TopN {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TopN")
            .field("table", &self.input.def.full_name())
            .field("skip", &self.skip)
            .field("fetch", &self.fetch)
            .finish()
    }
}

/// `Limit → Sort → <rows of one table>` of an analyzed plan (ORDER BY terms over
/// the SELECT list's columns), compiled; `None` for any other shape.
pub(crate) fn compile(session: &Session, statement: &SqlStatement, plan: &LogicalPlan) -> Result<Option<TopN>> {
    let at = statement.position;
    let (sort, skip, fetch) = match plan {
        LogicalPlan::Limit(limit) => {
            let skip = match limit.get_skip_type().map_err(|e| from_df(&e, at))? {
                SkipType::Literal(skip) => skip,
                SkipType::UnsupportedExpr => return Ok(None),
            };
            let fetch = match limit.get_fetch_type().map_err(|e| from_df(&e, at))? {
                FetchType::Literal(Some(fetch)) => fetch,
                _ => return Ok(None),
            };
            let LogicalPlan::Sort(sort) = limit.input.as_ref() else {
                return Ok(None);
            };
            if sort.fetch.is_some() {
                return Ok(None);
            }
            (sort, skip, fetch)
        }
        LogicalPlan::Sort(sort) => match sort.fetch {
            Some(fetch) => (sort, 0, fetch),
            None => return Ok(None),
        },
        _ => return Ok(None),
    };
    let LogicalPlan::Projection(projection) = sort.input.as_ref() else {
        return Ok(None);
    };
    let Some(input) = rows_shape(session, statement, sort.input.as_ref())? else {
        return Ok(None);
    };
    // Each ORDER BY term is a shown column: sort by the expression that makes it.
    let state = session.ctx().state();
    let mut exprs = Vec::new();
    let mut terms = Vec::new();
    for term in &sort.expr {
        let Expr::Column(column) = &term.expr else {
            return Ok(None);
        };
        let Ok(i) = projection.schema.index_of_column(column) else {
            return Ok(None);
        };
        let expr = match &projection.expr[i] {
            Expr::Alias(alias) => alias.expr.as_ref().clone(),
            other => other.clone(),
        };
        if !row_local(&expr) {
            return Ok(None);
        }
        exprs.push(
            state
                .create_physical_expr(expr, projection.input.schema())
                .map_err(|e| from_df(&e, at))?,
        );
        terms.push((!term.asc, term.nulls_first));
    }
    // The margin makes refills rare: rows leaving the window are replaced by rows
    // entering it long before a thousand have gone.
    let capacity = skip + fetch + (skip + fetch).max(1000);
    Ok(Some(TopN {
        input,
        sort: exprs,
        terms: terms.into(),
        skip,
        fetch,
        capacity,
        cell: Mutex::new(Cell::default()),
    }))
}

impl TopN {
    /// Positions of row images (already through the WHERE).
    fn positions(&self, images: &[(Option<&str>, &[Value])]) -> Result<Vec<Position>> {
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let rows = &self.input;
        let all: Vec<usize> = (0..rows.schema.fields().len()).collect();
        let mut batcher = Batcher::new(&rows.schema, &rows.types, &all, rows.view.offset());
        for (owner, values) in images {
            batcher.push(owner.map(str::to_string), values.to_vec());
        }
        let batch = batcher.finish()?;
        let n = batch.num_rows();
        let arrays = self
            .sort
            .iter()
            .map(|e| {
                e.evaluate(&batch)
                    .and_then(|v| v.into_array(n))
                    .map_err(|e| Error::Query(format!("live ORDER BY failed: {e}")))
            })
            .collect::<Result<Vec<_>>>()?;
        images
            .iter()
            .enumerate()
            .map(|(row, (owner, values))| {
                let sort_values = arrays
                    .iter()
                    .map(|a| ScalarValue::try_from_array(a, row).map_err(|e| Error::Query(e.to_string())))
                    .collect::<Result<Vec<_>>>()?;
                Ok(Position {
                    values: sort_values,
                    key: Json::Array(key(rows, *owner, values)).to_string(),
                    terms: self.terms.clone(),
                })
            })
            .collect()
    }

    /// The rows shown: positions `skip .. skip + fetch` of the kept rows.
    fn visible(&self, window: &Window) -> Vec<(Vec<Json>, Vec<Json>)> {
        window.rows.values().skip(self.skip).take(self.fetch).cloned().collect()
    }

    /// Reads the kept rows from `snapshot`.
    fn read_window(&self, inner: &Arc<Inner>, snapshot: &rocksdb::Snapshot<'_>, sub: Option<&Sub>) -> Result<Window> {
        let mut window = Window {
            complete: true,
            inner: Arc::downgrade(inner),
            ..Window::default()
        };
        for_each_chunk(inner, &self.input, snapshot, |images| {
            let positions = self.positions(images)?;
            // Only rows that will be kept are shown (their SELECT list computed).
            let kept: Vec<usize> = (0..images.len())
                .filter(|&i| window.rows.len() < self.capacity || window.admits(&positions[i]))
                .collect();
            let shown = project_all(&self.input, &kept.iter().map(|&i| images[i]).collect::<Vec<_>>())?;
            for (i, row) in kept.into_iter().zip(shown) {
                let (owner, values) = images[i];
                window.insert(positions[i].clone(), key(&self.input, owner, values), row);
                window.trim(self.capacity);
            }
            Ok(sub.is_none_or(|s| !s.is_closed()))
        })?;
        Ok(window)
    }

    /// Applies consecutive commits to the kept rows: each commit's changes to the shown
    /// rows. A refill reads the latest commit and ends the list there.
    fn changes(&self, window: &mut Window, commits: &[CommitRows<'_>]) -> Result<Applied> {
        let table = self.input.def.id;
        let owner = self.input.view.owner.as_deref();
        let mut per_commit = Vec::new();
        for &(seq, at, changes) in commits {
            let rows: Vec<&RowChange> = changes
                .iter()
                .filter(|c| c.table_id == table && (owner.is_none() || c.owner.as_deref() == owner))
                .collect();
            if rows.is_empty() {
                continue;
            }
            let (olds, news) = images_of(&self.input, &rows)?;
            let olds: Vec<_> = passing(olds).into_iter().map(|(_, image)| image).collect();
            let news: Vec<_> = passing(news).into_iter().map(|(_, image)| image).collect();
            let mut before: Shown = self
                .visible(window)
                .into_iter()
                .map(|(k, r)| (Json::Array(k.clone()).to_string(), (k, r)))
                .collect();
            for (owner, values) in &olds {
                window.remove(&Json::Array(key(&self.input, *owner, values)).to_string());
            }
            let positions = self.positions(&news)?;
            let admitted: Vec<usize> = (0..news.len()).filter(|&i| window.admits(&positions[i])).collect();
            let shown = project_all(&self.input, &admitted.iter().map(|&i| news[i]).collect::<Vec<_>>())?;
            for (i, row) in admitted.into_iter().zip(shown) {
                let (owner, values) = news[i];
                window.insert(positions[i].clone(), key(&self.input, owner, values), row);
            }
            window.trim(self.capacity);
            if !window.complete && window.rows.len() < self.skip + self.fetch {
                // Rows beyond the kept ones may belong now: read them.
                let inner = window
                    .inner
                    .upgrade()
                    .ok_or_else(|| Error::Query("the database is closed".into()))?;
                let snapshot = {
                    let _writer = inner.writer.lock().unwrap_or_else(|p| p.into_inner());
                    inner.pin_snapshot()
                };
                let refilled = self.read_window(&inner, snapshot.get(), None)?;
                let changes = diff(&mut before, self.visible(&refilled));
                *window = refilled;
                let read_at = snapshot.seq.max(seq);
                per_commit.push((read_at, at, changes));
                return Ok(Applied {
                    per_commit,
                    read_at: Some(read_at),
                });
            }
            per_commit.push((seq, at, diff(&mut before, self.visible(window))));
        }
        Ok(per_commit.into())
    }
}

impl Stateful for TopN {
    type State = Window;

    fn table_ids(&self) -> Vec<u64> {
        vec![self.input.def.id]
    }

    fn cell(&self) -> &Mutex<Cell<Window>> {
        &self.cell
    }

    fn read(&self, inner: &Arc<Inner>, snapshot: &rocksdb::Snapshot<'_>, sub: &Sub) -> Result<Window> {
        self.read_window(inner, snapshot, Some(sub))
    }

    fn rows(&self, window: &Window) -> Result<KeyedRows> {
        Ok(self.visible(window))
    }

    fn apply(&self, window: &mut Window, commits: &[CommitRows<'_>]) -> Result<Applied> {
        self.changes(window, commits)
    }
}
