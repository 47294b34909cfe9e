//! GROUP BY kept incrementally: `SELECT <group columns and aggregates> FROM <one table>
//! [WHERE ...] GROUP BY ... [HAVING ...] [ORDER BY ...]` with `count`, `sum`, `avg`,
//! `min`, `max` and `count(DISTINCT ...)`.
//!
//! The subscription keeps, per group, the row count and one accumulator per aggregate
//! (`min`/`max` keep every value with its multiplicity, so deleting the current minimum
//! finds the next; `count(DISTINCT)` keeps each value's count). A commit's changed
//! rows go through the WHERE (old and new image), are grouped, and retract from and add
//! to their groups; each group a commit touched is then compared before and after
//! through the HAVING and the SELECT list (evaluated by DataFusion's own physical
//! expressions on the aggregate rows, so results are the query's to the bit for
//! integers, decimals and text): it enters, leaves, changes or stays. Work per commit
//! follows the number of changed rows, not the table.
//!
//! A float `sum`/`avg` kept this way is a running sum: after deletes it may differ from
//! a fresh sum in the last bits, as two fresh sums in different orders do.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};
use datafusion::common::{DFSchema, ScalarValue};
use datafusion::logical_expr::{Expr, LogicalPlan};
use datafusion::physical_expr::PhysicalExpr;
use serde_json::Value as Json;

use crate::engine::Inner;
use crate::error::{Error, Result};
use crate::live::capture::RowChange;
use crate::live::delta::{filter_and_show, images_of, passing, CommitRows};
use crate::live::message::Change;
use crate::live::query::{row_exprs, row_local, scan_rows, RowsQuery};
use crate::live::stateful::{Applied, Cell, KeyedRows, PerCommit, Stateful};
use crate::live::subscription::{for_each_chunk, Sub};
use crate::session::Session;
use crate::sql::errors::from_df;
use crate::sql::parse::SqlStatement;
use crate::sql::scan::Batcher;
use crate::types::Value;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Count,
    CountDistinct,
    Sum,
    Avg,
    Min,
    Max,
}

#[derive(Debug)]
struct Aggregation {
    kind: Kind,
    /// The argument, over the input rows; `None` for `count(*)`.
    arg: Option<Arc<dyn PhysicalExpr>>,
    /// The type DataFusion gives the result.
    output: DataType,
    /// A `min` or `max` of the same argument as an earlier aggregate reads that one's
    /// values (they are kept once).
    shares: Option<usize>,
}

/// A value ordered as DataFusion's min/max order it (floats by total order).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Ordered(pub ScalarValue);

impl Eq for Ordered {}

impl PartialOrd for Ordered {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered {
    fn cmp(&self, other: &Self) -> Ordering {
        match (&self.0, &other.0) {
            (ScalarValue::Float64(Some(a)), ScalarValue::Float64(Some(b))) => a.total_cmp(b),
            (ScalarValue::Float32(Some(a)), ScalarValue::Float32(Some(b))) => a.total_cmp(b),
            (a, b) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
        }
    }
}

/// One aggregate's running state in one group.
#[derive(Debug, Clone)]
enum Accumulator {
    Count(i64),
    /// Exact sum of integers or decimals, and how many values it has.
    SumExact(i128, i64),
    SumFloat(f64, i64),
    Values(BTreeMap<Ordered, i64>),
    Distinct(HashMap<ScalarValue, i64>),
}

impl Accumulator {
    fn new(aggregation: &Aggregation) -> Accumulator {
        match aggregation.kind {
            Kind::Count => Accumulator::Count(0),
            Kind::CountDistinct => Accumulator::Distinct(HashMap::new()),
            Kind::Min | Kind::Max => Accumulator::Values(BTreeMap::new()),
            Kind::Avg => Accumulator::SumFloat(0.0, 0),
            Kind::Sum => match aggregation.output {
                DataType::Float64 | DataType::Float32 => Accumulator::SumFloat(0.0, 0),
                _ => Accumulator::SumExact(0, 0),
            },
        }
    }

    /// Adds (`sign` 1) or retracts (`sign` -1) a value; NULLs count for `count(*)` only.
    fn add(&mut self, value: Option<&ScalarValue>, sign: i64) {
        let Some(value) = value else {
            if let Accumulator::Count(n) = self {
                *n += sign;
            }
            return;
        };
        if value.is_null() {
            return;
        }
        match self {
            Accumulator::Count(n) => *n += sign,
            Accumulator::SumExact(sum, n) => {
                let v: i128 = match value {
                    ScalarValue::Int8(Some(v)) => *v as i128,
                    ScalarValue::Int16(Some(v)) => *v as i128,
                    ScalarValue::Int32(Some(v)) => *v as i128,
                    ScalarValue::Int64(Some(v)) => *v as i128,
                    ScalarValue::UInt8(Some(v)) => *v as i128,
                    ScalarValue::UInt16(Some(v)) => *v as i128,
                    ScalarValue::UInt32(Some(v)) => *v as i128,
                    ScalarValue::UInt64(Some(v)) => *v as i128,
                    ScalarValue::Decimal128(Some(v), _, _) => *v,
                    _ => 0,
                };
                *sum = sum.wrapping_add(v.wrapping_mul(sign as i128));
                *n += sign;
            }
            Accumulator::SumFloat(sum, n) => {
                let v = match value {
                    ScalarValue::Float64(Some(v)) => *v,
                    ScalarValue::Float32(Some(v)) => *v as f64,
                    other => other
                        .clone()
                        .cast_to(&DataType::Float64)
                        .ok()
                        .and_then(|v| match v {
                            ScalarValue::Float64(v) => v,
                            _ => None,
                        })
                        .unwrap_or_default(),
                };
                *sum += v * sign as f64;
                *n += sign;
            }
            Accumulator::Values(values) => bump(values, Ordered(value.clone()), sign),
            Accumulator::Distinct(values) => {
                let count = values.entry(value.clone()).or_default();
                *count += sign;
                if *count <= 0 {
                    values.remove(value);
                }
            }
        }
    }

    /// The aggregate's value, as DataFusion types it.
    fn value(&self, aggregation: &Aggregation) -> Result<ScalarValue> {
        let null = || ScalarValue::try_from(&aggregation.output).map_err(|e| Error::Query(e.to_string()));
        Ok(match (self, aggregation.kind) {
            (Accumulator::Count(n), _) => ScalarValue::Int64(Some(*n)),
            (Accumulator::Distinct(values), _) => ScalarValue::Int64(Some(values.len() as i64)),
            (Accumulator::SumExact(_, 0) | Accumulator::SumFloat(_, 0), _) => null()?,
            (Accumulator::SumFloat(sum, n), Kind::Avg) => ScalarValue::Float64(Some(sum / *n as f64)),
            (Accumulator::SumFloat(sum, _), _) => ScalarValue::Float64(Some(*sum))
                .cast_to(&aggregation.output)
                .map_err(|e| Error::Query(e.to_string()))?,
            (Accumulator::SumExact(sum, _), _) => match &aggregation.output {
                DataType::Int64 => ScalarValue::Int64(Some(*sum as i64)),
                DataType::UInt64 => ScalarValue::UInt64(Some(*sum as u64)),
                DataType::Decimal128(p, s) => ScalarValue::Decimal128(Some(*sum), *p, *s),
                other => return Err(Error::Query(format!("a live sum of type {other}"))),
            },
            (Accumulator::Values(values), Kind::Min) => match values.keys().next() {
                Some(v) => v.0.clone(),
                None => null()?,
            },
            (Accumulator::Values(values), _) => match values.keys().next_back() {
                Some(v) => v.0.clone(),
                None => null()?,
            },
        })
    }
}

fn bump(values: &mut BTreeMap<Ordered, i64>, value: Ordered, sign: i64) {
    let count = values.entry(value.clone()).or_default();
    *count += sign;
    if *count <= 0 {
        values.remove(&value);
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Group {
    rows: i64,
    accumulators: Vec<Accumulator>,
}

pub(crate) type Groups = HashMap<Vec<ScalarValue>, Group>;

/// Input rows' group keys, and each aggregate's argument values (`None`: `count(*)`).
type Evaluated = (Vec<Vec<ScalarValue>>, Vec<Option<ArrayRef>>);

pub(crate) struct Aggregate {
    /// The rows that feed it: one table's rows through the WHERE.
    pub input: RowsQuery,
    /// GROUP BY expressions, over the input rows.
    group: Vec<Arc<dyn PhysicalExpr>>,
    aggregations: Vec<Aggregation>,
    /// Group columns then aggregates, as DataFusion's Aggregate produces them.
    output: SchemaRef,
    having: Option<Arc<dyn PhysicalExpr>>,
    /// The SELECT list, over `output`.
    projection: Vec<Arc<dyn PhysicalExpr>>,
    /// Result columns that make the key (the GROUP BY columns).
    key: Vec<usize>,
    cell: Mutex<Cell<Groups>>,
}

impl std::fmt::Debug for Aggregate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Aggregate")
            .field("table", &self.input.def.full_name())
            .field("aggregations", &self.aggregations)
            .finish()
    }
}

/// The aggregate shape of an analyzed plan (`Projection → [Filter] → Aggregate → rows of
/// one table`, optionally under an ORDER BY), compiled; `None` for any other shape.
pub(crate) fn compile(
    session: &Session,
    statement: &SqlStatement,
    plan: &LogicalPlan,
    key: &[usize],
) -> Result<Option<Aggregate>> {
    let plan = match plan {
        LogicalPlan::Sort(sort) if sort.fetch.is_none() => sort.input.as_ref(),
        other => other,
    };
    if let LogicalPlan::Distinct(datafusion::logical_expr::Distinct::All(input)) = plan {
        return distinct(session, statement, input);
    }
    let LogicalPlan::Projection(projection) = plan else {
        return Ok(None);
    };
    let mut node = projection.input.as_ref();
    let mut having = None;
    if let LogicalPlan::Filter(filter) = node {
        having = Some(filter.predicate.clone());
        node = filter.input.as_ref();
    }
    let LogicalPlan::Aggregate(aggregate) = node else {
        return Ok(None);
    };
    let Some(input) = scan_rows(session, statement, aggregate.input.as_ref())? else {
        return Ok(None);
    };
    let at = statement.position;
    let state = session.ctx().state();
    let input_schema = aggregate.input.schema();
    let physical = |expr: &Expr, schema: &DFSchema| {
        state
            .create_physical_expr(expr.clone(), schema)
            .map_err(|e| from_df(&e, at))
    };
    let mut group = Vec::new();
    for expr in &aggregate.group_expr {
        if matches!(expr, Expr::GroupingSet(_)) || !row_local(expr) {
            return Ok(None);
        }
        group.push(physical(expr, input_schema)?);
    }
    let mut aggregations = Vec::new();
    for (i, expr) in aggregate.aggr_expr.iter().enumerate() {
        let expr = match expr {
            Expr::Alias(alias) => alias.expr.as_ref(),
            other => other,
        };
        let Expr::AggregateFunction(function) = expr else {
            return Ok(None);
        };
        let params = &function.params;
        if params.filter.is_some() || !params.order_by.is_empty() || params.args.len() > 1 {
            return Ok(None);
        }
        let kind = match (function.func.name(), params.distinct) {
            ("count", false) => Kind::Count,
            ("count", true) => Kind::CountDistinct,
            ("sum", false) => Kind::Sum,
            ("avg", false) => Kind::Avg,
            ("min", _) => Kind::Min,
            ("max", _) => Kind::Max,
            _ => return Ok(None),
        };
        let output = aggregate
            .schema
            .field(aggregate.group_expr.len() + i)
            .data_type()
            .clone();
        let supported = match kind {
            Kind::Count | Kind::CountDistinct | Kind::Min | Kind::Max => true,
            Kind::Sum => matches!(
                output,
                DataType::Int64 | DataType::UInt64 | DataType::Float64 | DataType::Decimal128(_, _)
            ),
            Kind::Avg => output == DataType::Float64,
        };
        if !supported {
            return Ok(None);
        }
        let arg = match params.args.first() {
            // count(*) is count(1) once analyzed: every row counts.
            Some(Expr::Literal(value, _)) if kind == Kind::Count && !value.is_null() => None,
            Some(arg) if row_local(arg) => Some(physical(arg, input_schema)?),
            Some(_) => return Ok(None),
            None if kind == Kind::Count => None,
            None => return Ok(None),
        };
        let shares = matches!(kind, Kind::Min | Kind::Max)
            .then(|| {
                aggregate.aggr_expr[..i].iter().position(|earlier| {
                    let earlier = match earlier {
                        Expr::Alias(alias) => alias.expr.as_ref(),
                        other => other,
                    };
                    matches!(earlier, Expr::AggregateFunction(f)
                        if matches!(f.func.name(), "min" | "max") && f.params.args == params.args)
                })
            })
            .flatten();
        aggregations.push(Aggregation {
            kind,
            arg,
            output,
            shares,
        });
    }
    let output_schema = aggregate.schema.as_ref();
    let having = match having {
        Some(expr) if !row_local(&expr) => return Ok(None),
        Some(expr) => Some(physical(&expr, output_schema)?),
        None => None,
    };
    let mut select = Vec::new();
    for expr in &projection.expr {
        if !row_local(expr) {
            return Ok(None);
        }
        select.push(physical(expr, output_schema)?);
    }
    Ok(Some(Aggregate {
        input,
        group,
        aggregations,
        output: Arc::new(output_schema.as_arrow().clone()),
        having,
        projection: select,
        key: key.to_vec(),
        cell: Mutex::new(Cell::default()),
    }))
}

/// `SELECT DISTINCT <expressions> FROM <one table> [WHERE ...]`: a GROUP BY of every
/// shown expression without aggregates, keyed by the whole row.
fn distinct(session: &Session, statement: &SqlStatement, input: &LogicalPlan) -> Result<Option<Aggregate>> {
    let LogicalPlan::Projection(projection) = input else {
        return Ok(None);
    };
    let Some(rows) = scan_rows(session, statement, projection.input.as_ref())? else {
        return Ok(None);
    };
    let Some(group) = row_exprs(session, statement, &projection.expr, projection.input.schema())? else {
        return Ok(None);
    };
    let output: SchemaRef = Arc::new(projection.schema.as_arrow().clone());
    let select = output
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            Arc::new(datafusion::physical_expr::expressions::Column::new(f.name(), i)) as Arc<dyn PhysicalExpr>
        })
        .collect();
    Ok(Some(Aggregate {
        input: rows,
        group,
        aggregations: Vec::new(),
        key: (0..output.fields().len()).collect(),
        output,
        having: None,
        projection: select,
        cell: Mutex::new(Cell::default()),
    }))
}

/// One touched group in one commit: its aggregate row before and after (`None`: the
/// group did not exist).
struct Touched {
    commit: usize,
    before: Option<Vec<ScalarValue>>,
    after: Option<Vec<ScalarValue>>,
}

impl Aggregate {
    fn is_global(&self) -> bool {
        self.group.is_empty()
    }

    fn empty_groups(&self) -> Groups {
        let mut groups = Groups::new();
        if self.is_global() {
            groups.insert(Vec::new(), self.new_group());
        }
        groups
    }

    fn new_group(&self) -> Group {
        Group {
            rows: 0,
            accumulators: self
                .aggregations
                .iter()
                .map(|a| match a.shares {
                    // Read from the aggregate it shares values with.
                    Some(_) => Accumulator::Count(0),
                    None => Accumulator::new(a),
                })
                .collect(),
        }
    }

    /// Group keys and aggregate arguments of input rows (already through the WHERE).
    fn evaluate(&self, images: &[(Option<&str>, &[Value])]) -> Result<Evaluated> {
        let rows = &self.input;
        let all: Vec<usize> = (0..rows.schema.fields().len()).collect();
        let mut batcher = Batcher::new(&rows.schema, &rows.types, &all, rows.view.offset());
        for (owner, values) in images {
            batcher.push(owner.map(str::to_string), values.to_vec());
        }
        let batch = batcher.finish()?;
        let n = batch.num_rows();
        let run = |expr: &Arc<dyn PhysicalExpr>| {
            expr.evaluate(&batch)
                .and_then(|v| v.into_array(n))
                .map_err(|e| Error::Query(format!("live aggregate failed: {e}")))
        };
        let group_arrays = self.group.iter().map(run).collect::<Result<Vec<_>>>()?;
        let mut keys = Vec::with_capacity(n);
        for row in 0..n {
            keys.push(
                group_arrays
                    .iter()
                    .map(|a| ScalarValue::try_from_array(a, row).map_err(|e| Error::Query(e.to_string())))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        let args = self
            .aggregations
            .iter()
            .map(|a| a.arg.as_ref().map(run).transpose())
            .collect::<Result<Vec<_>>>()?;
        Ok((keys, args))
    }

    /// Adds (or retracts) evaluated rows to their groups; returns each row's group key.
    fn fold(
        &self,
        groups: &mut Groups,
        keys: Vec<Vec<ScalarValue>>,
        args: &[Option<ArrayRef>],
        sign: i64,
        mut touched: impl FnMut(&Vec<ScalarValue>, Option<&Group>),
    ) -> Result<()> {
        for (row, key) in keys.into_iter().enumerate() {
            touched(&key, groups.get(&key));
            let group = groups.entry(key).or_insert_with(|| self.new_group());
            group.rows += sign;
            for ((accumulator, arg), aggregation) in group.accumulators.iter_mut().zip(args).zip(&self.aggregations) {
                if aggregation.shares.is_some() {
                    continue;
                }
                let value = match arg {
                    Some(array) => {
                        Some(ScalarValue::try_from_array(array, row).map_err(|e| Error::Query(e.to_string()))?)
                    }
                    None => None,
                };
                accumulator.add(value.as_ref(), sign);
            }
        }
        Ok(())
    }

    /// A group's aggregate row (group values then aggregate values), or `None` when
    /// it has no rows (a global aggregate always has its one row).
    fn aggregate_row(&self, key: &[ScalarValue], group: Option<&Group>) -> Result<Option<Vec<ScalarValue>>> {
        let Some(group) = group.filter(|g| g.rows > 0 || self.is_global()) else {
            return Ok(None);
        };
        let mut row = key.to_vec();
        for (accumulator, aggregation) in group.accumulators.iter().zip(&self.aggregations) {
            let accumulator = aggregation.shares.map_or(accumulator, |i| &group.accumulators[i]);
            row.push(accumulator.value(aggregation)?);
        }
        Ok(Some(row))
    }

    /// The result rows (through HAVING and the SELECT list) of aggregate rows: `None`
    /// for a row the HAVING rejects.
    fn results(&self, rows: &[&Vec<ScalarValue>]) -> Result<Vec<Option<Vec<Json>>>> {
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let fail = |e: datafusion::error::DataFusionError| Error::Query(format!("live aggregate failed: {e}"));
        let columns = self
            .output
            .fields()
            .iter()
            .enumerate()
            .map(|(i, field)| {
                let array = ScalarValue::iter_to_array(rows.iter().map(|r| r[i].clone())).map_err(fail)?;
                if array.data_type() == field.data_type() {
                    Ok(array)
                } else {
                    datafusion::arrow::compute::cast(&array, field.data_type()).map_err(|e| Error::Query(e.to_string()))
                }
            })
            .collect::<Result<Vec<_>>>()?;
        let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
        let schema = Arc::new(datafusion::arrow::datatypes::Schema::new(
            self.output
                .fields()
                .iter()
                .map(|f| f.as_ref().clone().with_nullable(true))
                .collect::<Vec<_>>(),
        ));
        let batch =
            RecordBatch::try_new_with_options(schema, columns, &options).map_err(|e| Error::Query(e.to_string()))?;
        filter_and_show(&batch, self.having.as_ref(), &self.projection)
    }

    fn key_of(&self, row: &[Json]) -> Vec<Json> {
        self.key.iter().map(|&i| row[i].clone()).collect()
    }

    /// The changes of consecutive commits, applied to `groups`.
    fn changes(&self, groups: &mut Groups, commits: &[CommitRows<'_>]) -> Result<PerCommit> {
        let table = self.input.def.id;
        let owner = self.input.view.owner.as_deref();
        let mine = |c: &&RowChange| c.table_id == table && (owner.is_none() || c.owner.as_deref() == owner);
        // Each changed row, and the commit it is in.
        let (commit_of, rows): (Vec<usize>, Vec<&RowChange>) = commits
            .iter()
            .enumerate()
            .flat_map(|(i, (_, _, changes))| changes.iter().filter(mine).map(move |c| (i, c)))
            .unzip();
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        // Old and new images through the WHERE, all at once, with their commits.
        let (olds, news) = images_of(&self.input, &rows)?;
        let in_commits = |images| -> Vec<(usize, Option<&str>, &[Value])> {
            passing(images)
                .into_iter()
                .map(|(row, (owner, values))| (commit_of[row], owner, values))
                .collect()
        };
        let (olds, news) = (in_commits(olds), in_commits(news));
        let evaluated = |list: &[(usize, Option<&str>, &[Value])]| {
            if list.is_empty() {
                return Ok((Vec::new(), vec![None; self.aggregations.len()]));
            }
            let images: Vec<_> = list.iter().map(|(_, o, v)| (*o, *v)).collect();
            self.evaluate(&images)
        };
        let (old_keys, old_args) = evaluated(&olds)?;
        let (new_keys, new_args) = evaluated(&news)?;

        // Per commit: retract its old images, add its new ones, and note each touched
        // group's aggregate row before (first touch) and after.
        let mut touched: Vec<Touched> = Vec::new();
        let (mut old_at, mut new_at) = (0, 0);
        for commit in 0..commits.len() {
            let mut before: HashMap<Vec<ScalarValue>, Option<Vec<ScalarValue>>> = HashMap::new();
            let mut order: Vec<Vec<ScalarValue>> = Vec::new();
            let mut note = |key: &Vec<ScalarValue>, group: Option<&Group>| -> Result<()> {
                if !before.contains_key(key) {
                    before.insert(key.clone(), self.aggregate_row(key, group)?);
                    order.push(key.clone());
                }
                Ok(())
            };
            let old_end = old_at + olds[old_at..].iter().take_while(|(i, _, _)| *i == commit).count();
            let new_end = new_at + news[new_at..].iter().take_while(|(i, _, _)| *i == commit).count();
            let mut failed = None;
            for (range, keys, args, sign) in [
                (old_at..old_end, &old_keys, &old_args, -1),
                (new_at..new_end, &new_keys, &new_args, 1),
            ] {
                if range.is_empty() {
                    continue;
                }
                let slice_args: Vec<Option<ArrayRef>> = args
                    .iter()
                    .map(|a| a.as_ref().map(|a| a.slice(range.start, range.len())))
                    .collect();
                self.fold(groups, keys[range.clone()].to_vec(), &slice_args, sign, |key, group| {
                    if let Err(e) = note(key, group) {
                        failed.get_or_insert(e);
                    }
                })?;
            }
            if let Some(e) = failed {
                return Err(e);
            }
            (old_at, new_at) = (old_end, new_end);
            for key in order {
                let after = self.aggregate_row(&key, groups.get(&key))?;
                if after.is_none() {
                    groups.remove(&key);
                }
                let before = before.remove(&key).flatten();
                if before != after {
                    touched.push(Touched { commit, before, after });
                }
            }
        }

        // Through HAVING and the SELECT list, all at once.
        let befores: Vec<&Vec<ScalarValue>> = touched.iter().filter_map(|t| t.before.as_ref()).collect();
        let afters: Vec<&Vec<ScalarValue>> = touched.iter().filter_map(|t| t.after.as_ref()).collect();
        let mut befores = self.results(&befores)?.into_iter();
        let mut afters = self.results(&afters)?.into_iter();
        let mut per_commit: Vec<(u64, i64, Vec<Change>)> =
            commits.iter().map(|(seq, at, _)| (*seq, *at, Vec::new())).collect();
        for t in &touched {
            let old = if t.before.is_some() {
                befores.next().flatten()
            } else {
                None
            };
            let new = if t.after.is_some() {
                afters.next().flatten()
            } else {
                None
            };
            let change = match (old, new) {
                (Some(old), Some(row)) if old == row => continue,
                (Some(old), Some(row)) => Change::Update {
                    key: self.key_of(&row),
                    row,
                    old,
                },
                (None, Some(row)) => Change::Insert {
                    key: self.key_of(&row),
                    row,
                },
                (Some(old), None) => Change::Delete {
                    key: self.key_of(&old),
                    old,
                },
                (None, None) => continue,
            };
            per_commit[t.commit].2.push(change);
        }
        Ok(per_commit)
    }
}

impl Stateful for Aggregate {
    type State = Groups;

    fn table_ids(&self) -> Vec<u64> {
        vec![self.input.def.id]
    }

    fn cell(&self) -> &Mutex<Cell<Groups>> {
        &self.cell
    }

    fn read(&self, inner: &Arc<Inner>, snapshot: &rocksdb::Snapshot<'_>, sub: &Sub) -> Result<Groups> {
        let mut groups = self.empty_groups();
        for_each_chunk(inner, &self.input, snapshot, |images| {
            let (keys, args) = self.evaluate(images)?;
            self.fold(&mut groups, keys, &args, 1, |_, _| {})?;
            Ok(!sub.is_closed())
        })?;
        Ok(groups)
    }

    /// Groups in the order of their GROUP BY values.
    fn rows(&self, groups: &Groups) -> Result<KeyedRows> {
        let mut keys: Vec<&Vec<ScalarValue>> = groups.keys().collect();
        keys.sort_by(|a, b| {
            a.iter()
                .zip(b.iter())
                .map(|(x, y)| Ordered(x.clone()).cmp(&Ordered(y.clone())))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        });
        let aggregate_rows = keys
            .iter()
            .map(|k| self.aggregate_row(k, groups.get(*k)))
            .collect::<Result<Vec<_>>>()?;
        let aggregate_rows: Vec<&Vec<ScalarValue>> = aggregate_rows.iter().flatten().collect();
        Ok(self
            .results(&aggregate_rows)?
            .into_iter()
            .flatten()
            .map(|row| (self.key_of(&row), row))
            .collect())
    }

    fn apply(&self, groups: &mut Groups, commits: &[CommitRows<'_>]) -> Result<Applied> {
        self.changes(groups, commits).map(Applied::from)
    }
}
