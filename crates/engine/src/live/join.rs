//! Inner and left equi-joins of tables kept incrementally:
//! `SELECT ... FROM t0 [LEFT] JOIN t1 ON <equalities> [[LEFT] JOIN t2 ON ...] [WHERE ...]`,
//! where each join's equalities relate the new table to one table before it.
//!
//! The subscription keeps every row of the joined tables that passes their own filter,
//! indexed by each join key (an arrangement, as incremental view engines call it),
//! and the result rows by key: the tuple of the joined rows' keys (NULLs for the
//! missing side of a LEFT JOIN). Every result row grows from one row of the first
//! table (its root). A commit's changed rows lead, through the join keys, to the
//! roots whose result rows they were or become part of; only those roots' result rows
//! are built again — from memory, at exactly that commit — and compared with what the
//! subscriber has. Work per commit follows the changed rows and the rows they join
//! with; memory follows the joined tables' rows.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::ArrayRef;
use datafusion::arrow::datatypes::{Schema, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{DFSchema, NullEquality, ScalarValue};
use datafusion::logical_expr::utils::split_conjunction;
use datafusion::logical_expr::{BinaryExpr, Expr, JoinType, LogicalPlan, Operator};
use datafusion::physical_expr::PhysicalExpr;
use serde_json::Value as Json;

use crate::convert::build_array;
use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::live::capture::RowChange;
use crate::live::delta::{filter_and_show, key, matches, CommitRows};
use crate::live::message::Change;
use crate::live::query::{row_local, scan_rows, RowsQuery};
use crate::live::reevaluate::{diff, Shown};
use crate::live::stateful::{Applied, Cell, KeyedRows, PerCommit, Stateful};
use crate::live::subscription::{for_each_chunk, Sub};
use crate::session::Session;
use crate::sql::errors::from_df;
use crate::sql::parse::SqlStatement;
use crate::sql::scan::Batcher;
use crate::types::Value;

/// One joined table (a FROM item).
struct Leaf {
    rows: RowsQuery,
    /// Which of its session columns the WHERE and the SELECT list read: only those are
    /// kept in memory (the others are NULL in the joined rows, which nothing reads).
    used: Vec<bool>,
    /// Qualified names of its key columns, for `subscribed`.
    key_names: Vec<String>,
}

/// How table `child` joins the tables before it: through `parent`.
struct Edge {
    parent: usize,
    child: usize,
    /// LEFT JOIN: a parent row without a match keeps a row of NULLs for the child.
    optional: bool,
    /// The equalities' two sides, over the parent's and the child's session schema.
    parent_keys: Vec<Arc<dyn PhysicalExpr>>,
    child_keys: Vec<Arc<dyn PhysicalExpr>>,
}

/// A kept row of one table: its key and its session-schema values (`_user` first
/// when shown), and its join key values per edge it takes part in (`None`: a NULL
/// in the key, which matches nothing).
#[derive(Clone)]
struct Stored {
    key: Vec<Json>,
    values: Vec<Value>,
    edge_keys: Vec<(usize, Option<Vec<ScalarValue>>)>,
}

type Index = HashMap<Vec<ScalarValue>, HashSet<String>>;

#[derive(Default)]
pub(crate) struct Arrangements {
    /// Per table: its kept rows by key (as JSON text).
    tables: Vec<HashMap<String, Stored>>,
    /// Per edge: (parent rows by their join key, child rows by theirs).
    indexes: Vec<(Index, Index)>,
    /// The result rows shown, by result key (JSON text), and which belong to each root.
    shown: Shown,
    by_root: HashMap<String, HashSet<String>>,
}

pub(crate) struct Join {
    leaves: Vec<Leaf>,
    edges: Vec<Edge>,
    /// The joined row's schema (every table's session columns, in FROM order).
    schema: SchemaRef,
    filter: Option<Arc<dyn PhysicalExpr>>,
    projection: Vec<Arc<dyn PhysicalExpr>>,
    cell: Mutex<Cell<Arrangements>>,
}

impl std::fmt::Debug for Join {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let tables: Vec<String> = self.leaves.iter().map(|l| l.rows.def.full_name()).collect();
        f.debug_struct("Join").field("tables", &tables).finish()
    }
}

/// The join shape of an analyzed plan, compiled; `None` for any other shape.
pub(crate) fn compile(session: &Session, statement: &SqlStatement, plan: &LogicalPlan) -> Result<Option<Join>> {
    let at = statement.position;
    let LogicalPlan::Projection(projection) = plan else {
        return Ok(None);
    };
    let mut node = projection.input.as_ref();
    let mut conditions: Vec<Expr> = Vec::new();
    if let LogicalPlan::Filter(filter) = node {
        conditions.push(filter.predicate.clone());
        node = filter.input.as_ref();
    }
    let LogicalPlan::Join(top) = node else {
        return Ok(None);
    };
    let joined_schema = top.schema.clone();
    // Unfold the left-deep tree: FROM items in order, each join's equalities.
    let mut joins = Vec::new();
    while let LogicalPlan::Join(join) = node {
        joins.push(join);
        node = join.left.as_ref();
    }
    joins.reverse();
    let mut leaf_plans: Vec<&LogicalPlan> = vec![node];
    leaf_plans.extend(joins.iter().map(|j| j.right.as_ref()));
    let mut leaves = Vec::new();
    for plan in &leaf_plans {
        let Some(rows) = scan_rows(session, statement, plan)? else {
            return Ok(None);
        };
        let qualifier = plan.schema().qualified_field(0).0.map(|q| q.to_string());
        let key_names = rows
            .key
            .iter()
            .map(|&i| {
                let name = rows.schema.field(i).name();
                match &qualifier {
                    Some(q) => format!("{q}.{name}"),
                    None => name.clone(),
                }
            })
            .collect();
        let used = vec![false; rows.schema.fields().len()];
        leaves.push(Leaf { rows, used, key_names });
    }
    let leaf_of = |expr: &Expr| -> Option<usize> {
        let mut found = None;
        for column in expr.column_refs() {
            let leaf = leaf_plans.iter().position(|p| p.schema().has_column(column))?;
            if found.is_some_and(|f| f != leaf) {
                return None;
            }
            found = Some(leaf);
        }
        found
    };
    let state = session.ctx().state();
    let physical = |expr: &Expr, schema: &DFSchema| {
        state
            .create_physical_expr(expr.clone(), schema)
            .map_err(|e| from_df(&e, at))
    };
    let mut edges = Vec::new();
    for (j, join) in joins.iter().enumerate() {
        let child = j + 1;
        let optional = match join.join_type {
            JoinType::Inner => false,
            JoinType::Left => true,
            _ => return Ok(None),
        };
        if join.null_equality != NullEquality::NullEqualsNothing {
            return Ok(None);
        }
        let mut pairs: Vec<(Expr, Expr)> = join.on.clone();
        if let Some(filter) = &join.filter {
            for conjunct in split_conjunction(filter) {
                let pair = match conjunct {
                    Expr::BinaryExpr(BinaryExpr {
                        left,
                        op: Operator::Eq,
                        right,
                    }) => Some((left.as_ref().clone(), right.as_ref().clone())),
                    _ => None,
                };
                match pair {
                    Some((l, r)) if leaf_of(&r) == Some(child) && leaf_of(&l).is_some_and(|p| p < child) => {
                        pairs.push((l, r))
                    }
                    Some((l, r)) if leaf_of(&l) == Some(child) && leaf_of(&r).is_some_and(|p| p < child) => {
                        pairs.push((r, l))
                    }
                    // Another condition of an inner join filters the joined rows.
                    _ if !optional => conditions.push(conjunct.clone()),
                    _ => return Ok(None),
                }
            }
        }
        if pairs.is_empty() {
            return Ok(None);
        }
        let Some(parent) = leaf_of(&pairs[0].0) else {
            return Ok(None);
        };
        let mut parent_keys = Vec::new();
        let mut child_keys = Vec::new();
        for (l, r) in &pairs {
            if leaf_of(l) != Some(parent) || leaf_of(r) != Some(child) || !row_local(l) || !row_local(r) {
                return Ok(None);
            }
            parent_keys.push(physical(l, leaf_plans[parent].schema())?);
            child_keys.push(physical(r, leaf_plans[child].schema())?);
        }
        edges.push(Edge {
            parent,
            child,
            optional,
            parent_keys,
            child_keys,
        });
    }
    let filter = match conditions.into_iter().reduce(Expr::and) {
        Some(expr) if !row_local(&expr) => return Ok(None),
        Some(expr) => Some(physical(&expr, &joined_schema)?),
        None => None,
    };
    let mut select = Vec::new();
    for expr in &projection.expr {
        if !row_local(expr) {
            return Ok(None);
        }
        select.push(physical(expr, &joined_schema)?);
    }
    // The joined schema is every table's session columns in FROM order.
    let mut starts = Vec::new();
    let mut start = 0;
    for leaf in &leaves {
        starts.push(start);
        start += leaf.used.len();
    }
    for expr in filter.iter().chain(&select) {
        for column in datafusion::physical_expr::utils::collect_columns(expr) {
            let index = column.index();
            if let Some(l) = starts.iter().rposition(|&s| s <= index) {
                if let Some(used) = leaves[l].used.get_mut(index - starts[l]) {
                    *used = true;
                }
            }
        }
    }
    let schema = Arc::new(Schema::new(
        joined_schema
            .as_arrow()
            .fields()
            .iter()
            .map(|f| f.as_ref().clone().with_nullable(true))
            .collect::<Vec<_>>(),
    ));
    Ok(Some(Join {
        leaves,
        edges,
        schema,
        filter,
        projection: select,
        cell: Mutex::new(Cell::default()),
    }))
}

impl Join {
    /// The names of a result key's parts: each table's key columns, in FROM order.
    pub fn key_names(&self) -> Vec<String> {
        self.leaves.iter().flat_map(|l| l.key_names.clone()).collect()
    }

    /// Rows of leaf `l` (already through its filter) as kept rows.
    fn stored(&self, l: usize, images: &[(Option<&str>, &[Value])]) -> Result<Vec<Stored>> {
        if images.is_empty() {
            return Ok(Vec::new());
        }
        let rows = &self.leaves[l].rows;
        let all: Vec<usize> = (0..rows.schema.fields().len()).collect();
        let mut batcher = Batcher::new(&rows.schema, &rows.types, &all, rows.view.offset());
        for (owner, values) in images {
            batcher.push(owner.map(str::to_string), values.to_vec());
        }
        let batch = batcher.finish()?;
        let n = batch.num_rows();
        let run = |exprs: &[Arc<dyn PhysicalExpr>]| {
            exprs
                .iter()
                .map(|e| {
                    e.evaluate(&batch)
                        .and_then(|v| v.into_array(n))
                        .map_err(|e| Error::Query(format!("live join failed: {e}")))
                })
                .collect::<Result<Vec<ArrayRef>>>()
        };
        // Each edge this leaf takes part in: its side's key arrays.
        let mut edge_arrays = Vec::new();
        for (e, edge) in self.edges.iter().enumerate() {
            if edge.parent == l {
                edge_arrays.push((e, run(&edge.parent_keys)?));
            } else if edge.child == l {
                edge_arrays.push((e, run(&edge.child_keys)?));
            }
        }
        let offset = rows.view.offset();
        images
            .iter()
            .enumerate()
            .map(|(row, (owner, values))| {
                let mut edge_keys = Vec::with_capacity(edge_arrays.len());
                for (e, arrays) in &edge_arrays {
                    let mut key_values = Vec::with_capacity(arrays.len());
                    let mut null = false;
                    for array in arrays {
                        let v = ScalarValue::try_from_array(array, row).map_err(|e| Error::Query(e.to_string()))?;
                        null |= v.is_null();
                        key_values.push(v);
                    }
                    edge_keys.push((*e, (!null).then_some(key_values)));
                }
                let mut session_values = Vec::with_capacity(values.len() + offset);
                if offset == 1 {
                    session_values.push(owner.map(|o| Value::Text(o.to_string())).unwrap_or(Value::Null));
                }
                session_values.extend_from_slice(values);
                for (value, used) in session_values.iter_mut().zip(&self.leaves[l].used) {
                    if !used {
                        *value = Value::Null;
                    }
                }
                session_values.shrink_to_fit();
                Ok(Stored {
                    key: key(rows, *owner, values),
                    values: session_values,
                    edge_keys,
                })
            })
            .collect()
    }

    fn add(&self, arrangements: &mut Arrangements, l: usize, stored: Stored) {
        let text = Json::Array(stored.key.clone()).to_string();
        for (e, values) in &stored.edge_keys {
            if let Some(values) = values {
                let (parents, children) = &mut arrangements.indexes[*e];
                let index = if self.edges[*e].parent == l { parents } else { children };
                index.entry(values.clone()).or_default().insert(text.clone());
            }
        }
        arrangements.tables[l].insert(text, stored);
    }

    fn remove(&self, arrangements: &mut Arrangements, l: usize, text: &str) {
        let Some(stored) = arrangements.tables[l].remove(text) else {
            return;
        };
        for (e, values) in &stored.edge_keys {
            if let Some(values) = values {
                let (parents, children) = &mut arrangements.indexes[*e];
                let index = if self.edges[*e].parent == l { parents } else { children };
                if let Some(set) = index.get_mut(values) {
                    set.remove(text);
                    if set.is_empty() {
                        index.remove(values);
                    }
                }
            }
        }
    }

    /// The roots (first-table rows, by key) whose result rows the row `text` of
    /// leaf `l` is part of, through the current arrangements.
    fn roots_of(&self, arrangements: &Arrangements, l: usize, stored: &Stored, roots: &mut HashSet<String>) {
        if l == 0 {
            roots.insert(Json::Array(stored.key.clone()).to_string());
            return;
        }
        let Some((e, edge)) = self.edges.iter().enumerate().find(|(_, edge)| edge.child == l) else {
            return;
        };
        let Some((_, Some(values))) = stored.edge_keys.iter().find(|(edge, _)| *edge == e) else {
            return;
        };
        let Some(parents) = arrangements.indexes[e].0.get(values) else {
            return;
        };
        for parent in parents {
            if let Some(row) = arrangements.tables[edge.parent].get(parent) {
                self.roots_of(arrangements, edge.parent, row, roots);
            }
        }
    }

    /// Every joined tuple (a row per table, `None` for a LEFT JOIN's missing side)
    /// growing from root `root`.
    fn expand<'a>(&self, arrangements: &'a Arrangements, root: &'a Stored) -> Vec<Vec<Option<&'a Stored>>> {
        let mut tuples: Vec<Vec<Option<&Stored>>> = vec![vec![Some(root)]];
        for (e, edge) in self.edges.iter().enumerate() {
            let mut grown = Vec::new();
            for tuple in tuples {
                let matches: Vec<&Stored> = tuple[edge.parent]
                    .and_then(|parent| parent.edge_keys.iter().find(|(edge, _)| *edge == e))
                    .and_then(|(_, values)| values.clone())
                    .and_then(|values| arrangements.indexes[e].1.get(&values))
                    .map(|keys| {
                        let mut rows: Vec<&Stored> = keys
                            .iter()
                            .filter_map(|k| arrangements.tables[edge.child].get(k))
                            .collect();
                        rows.sort_by(|a, b| {
                            Json::Array(a.key.clone())
                                .to_string()
                                .cmp(&Json::Array(b.key.clone()).to_string())
                        });
                        rows
                    })
                    .unwrap_or_default();
                if matches.is_empty() {
                    if edge.optional {
                        let mut t = tuple.clone();
                        t.push(None);
                        grown.push(t);
                    }
                    continue;
                }
                for row in matches {
                    let mut t = tuple.clone();
                    t.push(Some(row));
                    grown.push(t);
                }
            }
            tuples = grown;
        }
        tuples
    }

    /// The result rows of joined tuples (through the WHERE and the SELECT list), with
    /// their keys.
    fn results(&self, tuples: &[Vec<Option<&Stored>>]) -> Result<Vec<(Vec<Json>, Vec<Json>)>> {
        if tuples.is_empty() {
            return Ok(Vec::new());
        }
        let null = Value::Null;
        let mut columns = Vec::with_capacity(self.schema.fields().len());
        for (l, leaf) in self.leaves.iter().enumerate() {
            for (c, ty) in leaf.rows.types.iter().enumerate() {
                let values: Vec<&Value> = tuples
                    .iter()
                    .map(|t| t[l].map_or(&null, |row| &row.values[c]))
                    .collect();
                columns.push(build_array(*ty, values.into_iter())?);
            }
        }
        let options = RecordBatchOptions::new().with_row_count(Some(tuples.len()));
        let batch = RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
            .map_err(|e| Error::Query(e.to_string()))?;
        let shown = filter_and_show(&batch, self.filter.as_ref(), &self.projection)?;
        Ok(tuples
            .iter()
            .zip(shown)
            .filter_map(|(tuple, row)| {
                let row = row?;
                let key = tuple
                    .iter()
                    .zip(&self.leaves)
                    .flat_map(|(row, leaf)| match row {
                        Some(row) => row.key.clone(),
                        None => vec![Json::Null; leaf.rows.key.len()],
                    })
                    .collect();
                Some((key, row))
            })
            .collect())
    }

    /// Builds the result rows of `roots` again: returns what they were (removed from
    /// the shown rows) and what they are now (added).
    fn rebuild(&self, arrangements: &mut Arrangements, roots: &HashSet<String>) -> Result<(Shown, KeyedRows)> {
        let mut before = Shown::new();
        for root in roots {
            for key in arrangements.by_root.remove(root).unwrap_or_default() {
                if let Some(row) = arrangements.shown.remove(&key) {
                    before.insert(key, row);
                }
            }
        }
        let mut after = Vec::new();
        let mut roots: Vec<&String> = roots.iter().collect();
        roots.sort();
        for root in roots {
            let Some(row) = arrangements.tables[0].get(root) else {
                continue;
            };
            let tuples = self.expand(arrangements, row);
            let results = self.results(&tuples)?;
            let keys: HashSet<String> = results
                .iter()
                .map(|(k, _)| Json::Array(k.clone()).to_string())
                .collect();
            after.extend(results);
            if !keys.is_empty() {
                arrangements.by_root.insert(root.clone(), keys);
            }
        }
        for (key, row) in &after {
            arrangements
                .shown
                .insert(Json::Array(key.clone()).to_string(), (key.clone(), row.clone()));
        }
        Ok((before, after))
    }

    /// One commit's changed rows applied: the result's changes.
    /// A leaf's row changes netted per key: each changed row's image before the first
    /// change and after the last (a key-changing update leaves one key and enters
    /// another), as (old images, new images).
    #[allow(clippy::type_complexity)]
    fn net<'a>(
        &self,
        l: usize,
        rows: &[&&'a RowChange],
    ) -> (Vec<(Option<&'a str>, &'a [Value])>, Vec<(Option<&'a str>, &'a [Value])>) {
        let query = &self.leaves[l].rows;
        type Image<'a> = Option<(Option<&'a str>, &'a [Value])>;
        let mut order: Vec<String> = Vec::new();
        let mut netted: HashMap<String, (Image<'a>, Image<'a>)> = HashMap::new();
        let mut event = |key: String, before: Image<'a>, after: Image<'a>| match netted.get_mut(&key) {
            Some(entry) => entry.1 = after,
            None => {
                order.push(key.clone());
                netted.insert(key, (before, after));
            }
        };
        for c in rows {
            let owner = c.owner.as_deref();
            let text = |values: &[Value]| Json::Array(key(query, owner, values)).to_string();
            let old = c.old.as_deref().map(|v| (owner, v));
            let new = c.new.as_deref().map(|v| (owner, v));
            match (old, new) {
                (Some(o), Some(n)) if text(o.1) == text(n.1) => event(text(n.1), Some(o), Some(n)),
                (o, n) => {
                    if let Some(o) = o {
                        event(text(o.1), Some(o), None);
                    }
                    if let Some(n) = n {
                        event(text(n.1), None, Some(n));
                    }
                }
            }
        }
        let (mut olds, mut news) = (Vec::new(), Vec::new());
        for key in order {
            let (before, after) = netted.remove(&key).unwrap_or_default();
            olds.extend(before);
            news.extend(after);
        }
        (olds, news)
    }

    /// Changed rows (of consecutive commits, oldest first) applied: the result's
    /// changes over all of them.
    fn apply_commit(&self, arrangements: &mut Arrangements, rows: &[&RowChange]) -> Result<Vec<Change>> {
        // Per leaf: the kept rows that go (old images) and come (new images).
        let mut gone: Vec<Vec<Stored>> = Vec::new();
        let mut come: Vec<Vec<Stored>> = Vec::new();
        for (l, leaf) in self.leaves.iter().enumerate() {
            let owner = leaf.rows.view.owner.as_deref();
            let mine: Vec<&&RowChange> = rows
                .iter()
                .filter(|c| c.table_id == leaf.rows.def.id && (owner.is_none() || c.owner.as_deref() == owner))
                .collect();
            let (olds, news) = self.net(l, &mine);
            let old_matches = matches(&leaf.rows, olds.iter().copied())?;
            let new_matches = matches(&leaf.rows, news.iter().copied())?;
            let olds: Vec<_> = olds
                .into_iter()
                .zip(old_matches)
                .filter(|(_, m)| *m)
                .map(|(i, _)| i)
                .collect();
            let news: Vec<_> = news
                .into_iter()
                .zip(new_matches)
                .filter(|(_, m)| *m)
                .map(|(i, _)| i)
                .collect();
            gone.push(self.stored(l, &olds)?);
            come.push(self.stored(l, &news)?);
        }
        // Roots reached before the change (through old images) and after (new ones).
        let mut roots = HashSet::new();
        for (l, rows) in gone.iter().enumerate() {
            for row in rows {
                self.roots_of(arrangements, l, row, &mut roots);
            }
        }
        for (l, rows) in gone.iter().enumerate() {
            for row in rows {
                self.remove(arrangements, l, &Json::Array(row.key.clone()).to_string());
            }
        }
        for (l, rows) in come.into_iter().enumerate() {
            for row in rows {
                self.add(arrangements, l, row);
            }
        }
        for l in 0..self.leaves.len() {
            let keys: Vec<String> = rows
                .iter()
                .filter(|c| c.table_id == self.leaves[l].rows.def.id)
                .filter_map(|c| {
                    let owner = c.owner.as_deref();
                    c.new
                        .as_deref()
                        .map(|v| Json::Array(key(&self.leaves[l].rows, owner, v)).to_string())
                })
                .collect();
            for text in keys {
                if let Some(row) = arrangements.tables[l].get(&text) {
                    self.roots_of(arrangements, l, row, &mut roots);
                }
            }
        }
        if roots.is_empty() {
            return Ok(Vec::new());
        }
        let (mut before, after) = self.rebuild(arrangements, &roots)?;
        Ok(diff(&mut before, after))
    }

    /// The commits taken together (the fan-out takes what arrived within a tick, more
    /// when it is behind): one batch ending at the last, whose changes are the net
    /// changes of all of them. Building result rows once per burst rather than once
    /// per commit is what lets a join keep up with thousands of commits a second.
    fn changes(&self, arrangements: &mut Arrangements, commits: &[CommitRows<'_>]) -> Result<PerCommit> {
        let tables: HashSet<u64> = self.leaves.iter().map(|l| l.rows.def.id).collect();
        let (Some(first), Some(last)) = (commits.first(), commits.last()) else {
            return Ok(Vec::new());
        };
        let rows: Vec<&RowChange> = commits
            .iter()
            .flat_map(|c| c.2.iter())
            .filter(|c| tables.contains(&c.table_id))
            .collect();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        Ok(vec![(last.0, first.1, self.apply_commit(arrangements, &rows)?)])
    }

    /// Reads every joined table at `snapshot` into arrangements and builds the result.
    fn read_arrangements(&self, inner: &Inner, snapshot: &rocksdb::Snapshot<'_>, sub: &Sub) -> Result<Arrangements> {
        let mut arrangements = Arrangements {
            tables: vec![HashMap::new(); self.leaves.len()],
            indexes: vec![(Index::new(), Index::new()); self.edges.len()],
            ..Arrangements::default()
        };
        for (l, leaf) in self.leaves.iter().enumerate() {
            for_each_chunk(inner, &leaf.rows, snapshot, |images| {
                for stored in self.stored(l, images)? {
                    self.add(&mut arrangements, l, stored);
                }
                Ok(!sub.is_closed())
            })?;
        }
        let roots: HashSet<String> = arrangements.tables[0].keys().cloned().collect();
        self.rebuild(&mut arrangements, &roots)?;
        Ok(arrangements)
    }
}

impl Stateful for Join {
    type State = Arrangements;

    fn table_ids(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.leaves.iter().map(|l| l.rows.def.id).collect();
        ids.dedup();
        ids
    }

    fn cell(&self) -> &Mutex<Cell<Arrangements>> {
        &self.cell
    }

    fn read(&self, inner: &Arc<Inner>, snapshot: &rocksdb::Snapshot<'_>, sub: &Sub) -> Result<Arrangements> {
        self.read_arrangements(inner, snapshot, sub)
    }

    /// In key order.
    fn rows(&self, arrangements: &Arrangements) -> Result<KeyedRows> {
        let mut rows: KeyedRows = arrangements.shown.values().cloned().collect();
        rows.sort_by(|a, b| {
            Json::Array(a.0.clone())
                .to_string()
                .cmp(&Json::Array(b.0.clone()).to_string())
        });
        Ok(rows)
    }

    fn apply(&self, arrangements: &mut Arrangements, commits: &[CommitRows<'_>]) -> Result<Applied> {
        self.changes(arrangements, commits).map(Applied::from)
    }
}
