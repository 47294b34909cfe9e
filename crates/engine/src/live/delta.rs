//! What one commit means to one subscription: the filter is evaluated on the old and
//! the new image of every changed row (one Arrow batch each, so a 100,000-row
//! statement is two vectorised evaluations), and each row becomes an insert (starts
//! matching), update (matched and matches), delete (stops matching) or nothing.

use datafusion::arrow::array::{Array, BooleanArray};
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::live::manager::RowChange;
use crate::live::message::Change;
use crate::live::query::LiveQuery;
use crate::sql::scan::Batcher;
use crate::types::Value;

/// The subscription's changes for the row changes of one commit (already limited to
/// its table and to rows its user may see).
pub(crate) fn changes_for(query: &LiveQuery, rows: &[&RowChange]) -> Result<Vec<Change>> {
    let old_matches = matches(
        query,
        rows.iter()
            .filter_map(|c| Some((c.owner.as_deref(), c.old.as_deref()?))),
    )?;
    let new_matches = matches(
        query,
        rows.iter()
            .filter_map(|c| Some((c.owner.as_deref(), c.new.as_deref()?))),
    )?;
    let (mut old_at, mut new_at) = (0, 0);
    let mut changes = Vec::new();
    for row in rows {
        let old = row.old.as_ref().map(|values| {
            old_at += 1;
            (values, old_matches[old_at - 1])
        });
        let new = row.new.as_ref().map(|values| {
            new_at += 1;
            (values, new_matches[new_at - 1])
        });
        let owner = row.owner.as_deref();
        let change = match (old, new) {
            (Some((old, true)), Some((new, true))) => {
                let (row, old) = (project(query, owner, new), project(query, owner, old));
                // A change to columns the subscription does not show is no change to it.
                if row == old {
                    continue;
                }
                Change::Update {
                    key: key(query, owner, new),
                    row,
                    old,
                }
            }
            (_, Some((new, true))) => Change::Insert {
                key: key(query, owner, new),
                row: project(query, owner, new),
            },
            (Some((old, true)), _) => Change::Delete {
                key: key(query, owner, old),
                old: project(query, owner, old),
            },
            _ => continue,
        };
        changes.push(change);
    }
    Ok(changes)
}

/// Whether each row image satisfies the subscription's filter (NULL counts as no).
/// Images are copied into an Arrow batch only when there is a filter to evaluate.
pub(crate) fn matches<'a>(
    query: &LiveQuery,
    images: impl Iterator<Item = (Option<&'a str>, &'a [Value])>,
) -> Result<Vec<bool>> {
    let Some(predicate) = &query.predicate else {
        return Ok(images.map(|_| true).collect());
    };
    let all: Vec<usize> = (0..query.schema.fields().len()).collect();
    let mut batcher = Batcher::new(&query.schema, &query.types, &all, query.view.offset());
    for (owner, values) in images {
        batcher.push(owner.map(str::to_string), values.to_vec());
    }
    if batcher.len() == 0 {
        return Ok(Vec::new());
    }
    let batch = batcher.finish()?;
    let result = predicate
        .evaluate(&batch)
        .and_then(|v| v.into_array(batch.num_rows()))
        .map_err(|e| Error::Query(format!("live filter failed: {e}")))?;
    let mask = result
        .as_any()
        .downcast_ref::<BooleanArray>()
        .ok_or_else(|| Error::Query("the live filter is not a boolean expression".into()))?;
    Ok((0..mask.len()).map(|i| mask.is_valid(i) && mask.value(i)).collect())
}

fn cell(query: &LiveQuery, owner: Option<&str>, values: &[Value], index: usize) -> Json {
    let offset = query.view.offset();
    if index < offset {
        return owner.map(|o| Json::String(o.to_string())).unwrap_or(Json::Null);
    }
    values[index - offset].to_json(query.types[index])
}

/// The subscribed columns of a row.
pub(crate) fn project(query: &LiveQuery, owner: Option<&str>, values: &[Value]) -> Vec<Json> {
    query
        .projection
        .iter()
        .map(|&i| cell(query, owner, values, i))
        .collect()
}

/// The key of a row.
pub(crate) fn key(query: &LiveQuery, owner: Option<&str>, values: &[Value]) -> Vec<Json> {
    query.key.iter().map(|&i| cell(query, owner, values, i)).collect()
}
