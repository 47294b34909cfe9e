//! Primary-key filters become RocksDB key ranges. Comparisons, IN lists, BETWEEN and
//! OR/AND of them on the first key column (`_user` for an admin reading a USER table,
//! otherwise the first primary-key column) are turned into intervals over the
//! order-preserving key encoding; the scan then seeks instead of reading the table.
//! The filters stay in the plan as well (pushdown is `Inexact`), so a range only ever
//! narrows what is read.

use std::fmt::Write as _;
use std::ops::Bound;

use datafusion::logical_expr::expr::InList;
use datafusion::logical_expr::{Between, BinaryExpr, Expr, Operator};
use datafusion::scalar::ScalarValue;

use crate::catalog::{TableDef, USER_COLUMN};
use crate::sql::provider::View;
use crate::storage::keys::{self, encode_key_value, prefix_end};
use crate::types::{SqlType, Value};

/// An interval of first-key-column values, as encoded bytes.
type Interval = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// The key ranges a scan reads, in key order.
#[derive(Debug, Clone)]
pub(crate) struct KeyRanges {
    pub ranges: Vec<(Vec<u8>, Vec<u8>)>,
    /// For EXPLAIN: `full` or the intervals in SQL terms.
    pub description: String,
    /// Every row of the table: no key filter, and every owner's rows.
    pub whole_table: bool,
    /// Every row the session sees: no key filter (a user's scan of a USER table reads
    /// all of that user's rows).
    pub unfiltered: bool,
}

impl KeyRanges {
    /// Whether `filter` narrows the key range.
    pub fn can_push(def: &TableDef, view: &View, filter: &Expr) -> bool {
        let (name, ty) = first_key_column(def, view);
        intervals(filter, &name, ty).is_some()
    }

    pub fn from_filters(def: &TableDef, view: &View, filters: &[Expr]) -> KeyRanges {
        let (name, ty) = first_key_column(def, view);
        let mut prefix = keys::data_prefix(def.id);
        if let Some(owner) = &view.owner {
            encode_key_value(&mut prefix, &Value::Text(owner.clone()));
        }
        let mut set: Vec<Interval> = vec![(Bound::Unbounded, Bound::Unbounded)];
        let mut described = Vec::new();
        for filter in filters {
            if let Some(narrow) = intervals(filter, &name, ty) {
                set = intersect(&set, &narrow);
                described.push(filter.to_string());
            }
        }
        let ranges = set
            .iter()
            .map(|(lo, hi)| {
                let start = match lo {
                    Bound::Unbounded => prefix.clone(),
                    Bound::Included(v) => [prefix.as_slice(), v].concat(),
                    Bound::Excluded(v) => prefix_end(&[prefix.as_slice(), v].concat()),
                };
                let end = match hi {
                    Bound::Unbounded => prefix_end(&prefix),
                    Bound::Included(v) => prefix_end(&[prefix.as_slice(), v].concat()),
                    Bound::Excluded(v) => [prefix.as_slice(), v].concat(),
                };
                (start, end)
            })
            .filter(|(start, end)| start < end)
            .collect();
        let ranges = disjoint(ranges);
        let mut description = String::new();
        let whole_table = described.is_empty() && view.owner.is_none();
        if let Some(owner) = &view.owner {
            let _ = write!(description, "owner={owner}, ");
        }
        if described.is_empty() {
            description.push_str("key=full");
        } else {
            let _ = write!(description, "key=[{}]", described.join(" AND "));
        }
        KeyRanges {
            ranges,
            description,
            whole_table,
            unfiltered: described.is_empty(),
        }
    }
}

fn first_key_column(def: &TableDef, view: &View) -> (String, SqlType) {
    if view.owner_column {
        (USER_COLUMN.to_string(), SqlType::Text)
    } else {
        let c = &def.columns[def.primary_key[0]];
        (c.name.clone(), c.ty)
    }
}

/// The union of intervals `filter` allows for column `name`, if it only constrains it.
fn intervals(filter: &Expr, name: &str, ty: SqlType) -> Option<Vec<Interval>> {
    match filter {
        Expr::BinaryExpr(BinaryExpr { left, op, right }) => match op {
            Operator::And => Some(intersect(&intervals(left, name, ty)?, &intervals(right, name, ty)?)),
            Operator::Or => {
                let mut both = intervals(left, name, ty)?;
                both.extend(intervals(right, name, ty)?);
                Some(both)
            }
            _ => {
                let (op, value) = match (
                    column_of(left, name),
                    literal(right, ty),
                    column_of(right, name),
                    literal(left, ty),
                ) {
                    (true, Some(v), _, _) => (*op, v),
                    (_, _, true, Some(v)) => (op.swap()?, v),
                    _ => return None,
                };
                let interval = match op {
                    Operator::Eq => (Bound::Included(value.clone()), Bound::Included(value)),
                    Operator::Lt => (Bound::Unbounded, Bound::Excluded(value)),
                    Operator::LtEq => (Bound::Unbounded, Bound::Included(value)),
                    Operator::Gt => (Bound::Excluded(value), Bound::Unbounded),
                    Operator::GtEq => (Bound::Included(value), Bound::Unbounded),
                    _ => return None,
                };
                Some(vec![interval])
            }
        },
        Expr::InList(InList {
            expr,
            list,
            negated: false,
        }) if column_of(expr, name) => list
            .iter()
            .map(|item| literal(item, ty).map(|v| (Bound::Included(v.clone()), Bound::Included(v))))
            .collect(),
        Expr::Between(Between {
            expr,
            negated: false,
            low,
            high,
        }) if column_of(expr, name) => Some(vec![(
            Bound::Included(literal(low, ty)?),
            Bound::Included(literal(high, ty)?),
        )]),
        _ => None,
    }
}

fn column_of(expr: &Expr, name: &str) -> bool {
    matches!(expr, Expr::Column(c) if c.name == name)
}

/// A literal of the column's type, encoded as a key value (doubles compare as IEEE
/// numbers in DataFusion, so -0.0 and 0.0 share a key, as they do in storage).
fn literal(expr: &Expr, ty: SqlType) -> Option<Vec<u8>> {
    let Expr::Literal(scalar, _) = expr else {
        return None;
    };
    let same_type = scalar.data_type() == ty.arrow()
        || (ty == SqlType::Text
            && matches!(
                scalar,
                ScalarValue::Utf8(_) | ScalarValue::Utf8View(_) | ScalarValue::LargeUtf8(_)
            ));
    if !same_type || scalar.is_null() {
        return None;
    }
    let value = Value::from_scalar(scalar, ty, "").ok()?;
    let mut out = Vec::new();
    encode_key_value(&mut out, &value);
    Some(out)
}

/// Sorts key ranges and merges those that overlap or touch: `id = 1 OR id = 1`,
/// `id IN (1, 1)` or `id < 5 OR id < 3` must read each row once.
fn disjoint(mut ranges: Vec<(Vec<u8>, Vec<u8>)>) -> Vec<(Vec<u8>, Vec<u8>)> {
    ranges.sort();
    let mut merged: Vec<(Vec<u8>, Vec<u8>)> = Vec::with_capacity(ranges.len());
    for (start, end) in ranges {
        match merged.last_mut() {
            Some((_, last_end)) if start <= *last_end => {
                if end > *last_end {
                    *last_end = end;
                }
            }
            _ => merged.push((start, end)),
        }
    }
    merged
}

fn intersect(a: &[Interval], b: &[Interval]) -> Vec<Interval> {
    let mut out = Vec::new();
    for (alo, ahi) in a {
        for (blo, bhi) in b {
            let lo = max_lower(alo, blo);
            let hi = min_upper(ahi, bhi);
            if !empty(&lo, &hi) {
                out.push((lo, hi));
            }
        }
    }
    out
}

fn max_lower(a: &Bound<Vec<u8>>, b: &Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x.clone(),
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.max(y).clone()),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.max(y).clone()),
        (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
            if i > e {
                Bound::Included(i.clone())
            } else {
                Bound::Excluded(e.clone())
            }
        }
    }
}

fn min_upper(a: &Bound<Vec<u8>>, b: &Bound<Vec<u8>>) -> Bound<Vec<u8>> {
    match (a, b) {
        (Bound::Unbounded, x) | (x, Bound::Unbounded) => x.clone(),
        (Bound::Included(x), Bound::Included(y)) => Bound::Included(x.min(y).clone()),
        (Bound::Excluded(x), Bound::Excluded(y)) => Bound::Excluded(x.min(y).clone()),
        (Bound::Included(i), Bound::Excluded(e)) | (Bound::Excluded(e), Bound::Included(i)) => {
            if i < e {
                Bound::Included(i.clone())
            } else {
                Bound::Excluded(e.clone())
            }
        }
    }
}

fn empty(lo: &Bound<Vec<u8>>, hi: &Bound<Vec<u8>>) -> bool {
    match (lo, hi) {
        (Bound::Included(l), Bound::Included(h)) => l > h,
        (Bound::Included(l) | Bound::Excluded(l), Bound::Excluded(h)) | (Bound::Excluded(l), Bound::Included(h)) => {
            l >= h
        }
        _ => false,
    }
}
