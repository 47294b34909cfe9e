//! What one commit means to one subscription: the filter is evaluated on the old and
//! the new image of every changed row (one Arrow batch each, so a 100,000-row
//! statement is two vectorised evaluations), and each row becomes an insert (starts
//! matching), update (matched and matches), delete (stops matching) or nothing.
//! The fan-out hands over the commits it takes together, so a burst of one-row
//! commits is evaluated at once too.

use std::sync::Arc;

use datafusion::arrow::array::{Array, BooleanArray};
use serde_json::Value as Json;

use crate::error::{Error, Result};
use crate::live::capture::RowChange;
use crate::live::message::Change;
use crate::live::query::RowsQuery;
use crate::sql::scan::Batcher;
use crate::types::Value;

/// Changes of consecutive commits as one subscription sees them, shared by every
/// subscription with the same query: at most `max_rows` changes unless one commit
/// alone has more, and never part of a commit.
#[derive(Debug)]
pub(crate) struct Segment {
    /// (seq, commit time, index in `changes` of its first change) of each commit that
    /// has changes here, oldest first; never empty.
    pub commits: Vec<(u64, i64, usize)>,
    pub changes: Arc<Vec<Change>>,
}

impl Segment {
    pub fn last_seq(&self) -> u64 {
        self.commits[self.commits.len() - 1].0
    }

    /// Commit time of the oldest commit.
    pub fn committed_at(&self) -> i64 {
        self.commits[0].1
    }
}

/// One commit: its seq, commit time and row changes (of any tables).
pub(crate) type CommitRows<'a> = (u64, i64, &'a [RowChange]);

/// What `commits` (consecutive, oldest first) mean to a subscription with `query` and
/// its user's view, in segments of at most `max_rows` changes. The filter is evaluated
/// once for all of them.
pub(crate) fn segments_of(query: &RowsQuery, commits: &[CommitRows<'_>], max_rows: usize) -> Result<Vec<Segment>> {
    let mut rows: Vec<&RowChange> = Vec::new();
    // Where each commit's rows end in `rows`.
    let mut ends = Vec::with_capacity(commits.len());
    for (_, _, changes) in commits {
        rows.extend(
            changes
                .iter()
                .filter(|c| c.table_id == query.def.id)
                .filter(|c| query.view.owner.is_none() || c.owner == query.view.owner),
        );
        ends.push(rows.len());
    }
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let mut changes = changes_for(query, &rows)?.into_iter().peekable();
    let per_commit = commits
        .iter()
        .zip(&ends)
        .map(|(&(seq, committed_at, _), &end)| {
            let mut list = Vec::new();
            while let Some((_, change)) = changes.next_if(|(row, _)| *row < end) {
                list.push(change);
            }
            (seq, committed_at, list)
        })
        .collect();
    Ok(segments_from(per_commit, max_rows))
}

/// Each commit's changes (oldest first) as segments of at most `max_rows` changes
/// unless one commit alone has more; commits without changes are left out.
pub(crate) fn segments_from(per_commit: Vec<(u64, i64, Vec<Change>)>, max_rows: usize) -> Vec<Segment> {
    let mut segments = Vec::new();
    // The segment being filled: its commits and its changes.
    let (mut seqs, mut list) = (Vec::new(), Vec::new());
    for (seq, committed_at, changes) in per_commit {
        if changes.is_empty() {
            continue;
        }
        let count = changes.len();
        if !list.is_empty() && list.len() + count > max_rows {
            segments.push(Segment {
                commits: std::mem::take(&mut seqs),
                changes: Arc::new(std::mem::take(&mut list)),
            });
        }
        seqs.push((seq, committed_at, list.len()));
        list.extend(changes);
    }
    if !seqs.is_empty() {
        segments.push(Segment {
            commits: seqs,
            changes: Arc::new(list),
        });
    }
    segments
}

/// An image of a changed row: its owner (USER tables) and values.
pub(crate) type Image<'a> = (Option<&'a str>, &'a [Value]);

/// The old and the new images of changed rows, each with whether it passes the
/// query's filter (evaluated once for all of them).
#[allow(clippy::type_complexity)]
pub(crate) fn images_of<'a>(
    query: &RowsQuery,
    rows: &[&'a RowChange],
) -> Result<(Vec<(usize, Image<'a>, bool)>, Vec<(usize, Image<'a>, bool)>)> {
    let images = |new: bool| -> Vec<(usize, Image<'a>)> {
        rows.iter()
            .enumerate()
            .filter_map(|(i, c)| {
                let values = if new { c.new.as_deref() } else { c.old.as_deref() }?;
                Some((i, (c.owner.as_deref(), values)))
            })
            .collect()
    };
    let with_matches = |images: Vec<(usize, Image<'a>)>| -> Result<Vec<(usize, Image<'a>, bool)>> {
        let matched = matches(query, images.iter().map(|(_, image)| *image))?;
        Ok(images
            .into_iter()
            .zip(matched)
            .map(|((i, image), m)| (i, image, m))
            .collect())
    };
    Ok((with_matches(images(false))?, with_matches(images(true))?))
}

/// The images that pass the filter, each with its row's index.
pub(crate) fn passing<'a>(images: Vec<(usize, Image<'a>, bool)>) -> Vec<(usize, Image<'a>)> {
    images
        .into_iter()
        .filter(|(_, _, m)| *m)
        .map(|(i, image, _)| (i, image))
        .collect()
}

/// Rows of `batch` through an optional filter (NULL counts as no) and a SELECT list:
/// `None` for a row the filter rejects.
pub(crate) fn filter_and_show(
    batch: &datafusion::arrow::record_batch::RecordBatch,
    filter: Option<&Arc<dyn datafusion::physical_expr::PhysicalExpr>>,
    select: &[Arc<dyn datafusion::physical_expr::PhysicalExpr>],
) -> Result<Vec<Option<Vec<Json>>>> {
    let n = batch.num_rows();
    let fail = |e: datafusion::error::DataFusionError| Error::Query(format!("live query failed: {e}"));
    let keep: Vec<bool> = match filter {
        Some(filter) => {
            let mask = filter.evaluate(batch).and_then(|v| v.into_array(n)).map_err(fail)?;
            let mask = mask
                .as_any()
                .downcast_ref::<BooleanArray>()
                .ok_or_else(|| Error::Query("the condition is not a boolean expression".into()))?;
            (0..n).map(|i| mask.is_valid(i) && mask.value(i)).collect()
        }
        None => vec![true; n],
    };
    let arrays = select
        .iter()
        .map(|e| e.evaluate(batch).and_then(|v| v.into_array(n)).map_err(fail))
        .collect::<Result<Vec<_>>>()?;
    Ok((0..n)
        .map(|row| keep[row].then(|| arrays.iter().map(|a| crate::results::cell_json(a, row)).collect()))
        .collect())
}

/// The subscription's changes for changed rows (already limited to its table and to
/// rows its user may see), each with the index of the row it comes from.
pub(crate) fn changes_for(query: &RowsQuery, rows: &[&RowChange]) -> Result<Vec<(usize, Change)>> {
    let (olds, news) = images_of(query, rows)?;
    let old_matches: Vec<bool> = olds.iter().map(|(_, _, m)| *m).collect();
    let new_matches: Vec<bool> = news.iter().map(|(_, _, m)| *m).collect();
    // The matching images' shown rows, computed together.
    let shown = |images: Vec<(usize, Image<'_>, bool)>| {
        let kept: Vec<Image<'_>> = passing(images).into_iter().map(|(_, image)| image).collect();
        project_all(query, &kept).map(|rows| rows.into_iter())
    };
    let mut old_rows = shown(olds)?;
    let mut new_rows = shown(news)?;
    let (mut old_at, mut new_at) = (0, 0);
    let mut changes = Vec::new();
    for (index, row) in rows.iter().enumerate() {
        let old = row.old.as_ref().and_then(|values| {
            old_at += 1;
            old_matches[old_at - 1].then(|| (values, old_rows.next().unwrap_or_default()))
        });
        let new = row.new.as_ref().and_then(|values| {
            new_at += 1;
            new_matches[new_at - 1].then(|| (values, new_rows.next().unwrap_or_default()))
        });
        let owner = row.owner.as_deref();
        let change = match (old, new) {
            (Some((_, old)), Some((values, row))) => {
                // A change to columns the subscription does not show is no change to it.
                if row == old {
                    continue;
                }
                Change::Update {
                    key: key(query, owner, values),
                    row,
                    old,
                }
            }
            (None, Some((values, row))) => Change::Insert {
                key: key(query, owner, values),
                row,
            },
            (Some((values, old)), None) => Change::Delete {
                key: key(query, owner, values),
                old,
            },
            (None, None) => continue,
        };
        changes.push((index, change));
    }
    Ok(changes)
}

/// The shown rows of row images: their columns, or the SELECT list's expressions
/// evaluated on them all at once.
pub(crate) fn project_all(query: &RowsQuery, images: &[(Option<&str>, &[Value])]) -> Result<Vec<Vec<Json>>> {
    let Some(computed) = &query.computed else {
        return Ok(images
            .iter()
            .map(|(owner, values)| project(query, *owner, values))
            .collect());
    };
    if images.is_empty() {
        return Ok(Vec::new());
    }
    let all: Vec<usize> = (0..query.schema.fields().len()).collect();
    let mut batcher = Batcher::new(&query.schema, &query.types, &all, query.view.offset());
    for (owner, values) in images {
        batcher.push(owner.map(str::to_string), values.to_vec());
    }
    let batch = batcher.finish()?;
    let n = batch.num_rows();
    let arrays = computed
        .iter()
        .map(|e| {
            e.evaluate(&batch)
                .and_then(|v| v.into_array(n))
                .map_err(|e| Error::Query(format!("live query failed: {e}")))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok((0..n)
        .map(|row| arrays.iter().map(|a| crate::results::cell_json(a, row)).collect())
        .collect())
}

/// Whether each row image satisfies the subscription's filter (NULL counts as no).
/// Images are copied into an Arrow batch only when there is a filter to evaluate.
pub(crate) fn matches<'a>(
    query: &RowsQuery,
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

fn cell(query: &RowsQuery, owner: Option<&str>, values: &[Value], index: usize) -> Json {
    let offset = query.view.offset();
    if index < offset {
        return owner.map(|o| Json::String(o.to_string())).unwrap_or(Json::Null);
    }
    values[index - offset].to_json(query.types[index])
}

/// The subscribed columns of a row.
pub(crate) fn project(query: &RowsQuery, owner: Option<&str>, values: &[Value]) -> Vec<Json> {
    query
        .projection
        .iter()
        .map(|&i| cell(query, owner, values, i))
        .collect()
}

/// The key of a row.
pub(crate) fn key(query: &RowsQuery, owner: Option<&str>, values: &[Value]) -> Vec<Json> {
    query.key.iter().map(|&i| cell(query, owner, values, i)).collect()
}
