//! A pane's rows in order, kept in memory by the app so the grid can ask for any window
//! by position. The order is the query's ORDER BY when the subscription names one (then
//! the key breaks ties), else the key's. Rows live in chunks of at most `CHUNK_MAX`
//! entries: finding a position walks the chunk lengths (a thousand chunks for a million
//! rows), inserting or deleting moves at most one chunk's entries.

use std::cmp::Ordering;
use std::collections::BTreeMap;

use serde_json::Value as Json;

const CHUNK_MAX: usize = 1024;

pub type Key = Vec<Json>;

/// One ORDER BY term over a shown column: its position in the row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortTerm {
    pub column: usize,
    pub descending: bool,
    pub nulls_first: bool,
}

#[derive(Debug, Default)]
pub struct OrderedRows {
    order: Vec<SortTerm>,
    chunks: Vec<Vec<(Key, Vec<Json>)>>,
    /// With an order, each row's sort values by key: a change names its row by key
    /// only, and the row is found where its old values placed it.
    sorted_by: BTreeMap<OrdKey, Vec<Json>>,
    len: usize,
}

impl OrderedRows {
    /// Rows kept in `order` (key order when it is empty).
    pub fn new(order: Vec<SortTerm>) -> OrderedRows {
        OrderedRows {
            order,
            ..OrderedRows::default()
        }
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.sorted_by.clear();
        self.len = 0;
    }

    /// Inserts or replaces the row with this key; returns whether it was new.
    pub fn upsert(&mut self, key: Key, row: Vec<Json>) -> bool {
        let sort = self.sort_values(&row);
        if !self.order.is_empty() {
            let old = self.sorted_by.insert(OrdKey(key.clone()), sort.clone());
            if let Some(old) = old.filter(|old| *old != sort) {
                // Its place may have moved: take it out from where it was.
                self.take(&old, &key);
                self.put(&sort, key, row);
                return false;
            }
        }
        self.put(&sort, key, row)
    }

    /// Removes the row with this key; returns whether it was there.
    pub fn remove(&mut self, key: &[Json]) -> bool {
        if self.order.is_empty() {
            return self.take(&[], key);
        }
        match self.sorted_by.remove(&OrdKey(key.to_vec())) {
            Some(sort) => self.take(&sort, key),
            None => false,
        }
    }

    /// The position of a key in the pane.
    pub fn position(&self, key: &[Json]) -> Option<usize> {
        if self.chunks.is_empty() {
            return None;
        }
        let sort = match self.order.is_empty() {
            true => Vec::new(),
            false => self.sorted_by.get(&OrdKey(key.to_vec()))?.clone(),
        };
        let c = self.chunk_for(&sort, key);
        let i = self.find(c, &sort, key).ok()?;
        Some(self.chunks[..c].iter().map(Vec::len).sum::<usize>() + i)
    }

    /// Up to `count` rows from position `start`.
    pub fn window(&self, start: usize, count: usize) -> impl Iterator<Item = &(Key, Vec<Json>)> + '_ {
        let mut skip = start;
        let mut first = self.chunks.len();
        for (c, chunk) in self.chunks.iter().enumerate() {
            if skip < chunk.len() {
                first = c;
                break;
            }
            skip -= chunk.len();
        }
        self.chunks[first.min(self.chunks.len())..]
            .iter()
            .flatten()
            .skip(skip)
            .take(count)
    }

    /// Places the row at (`sort`, `key`), replacing one already there; returns whether
    /// it was new.
    fn put(&mut self, sort: &[Json], key: Key, row: Vec<Json>) -> bool {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::with_capacity(CHUNK_MAX));
        }
        let c = self.chunk_for(sort, &key);
        match self.find(c, sort, &key) {
            Ok(i) => {
                self.chunks[c][i].1 = row;
                false
            }
            Err(i) => {
                let chunk = &mut self.chunks[c];
                chunk.insert(i, (key, row));
                self.len += 1;
                if chunk.len() > CHUNK_MAX {
                    let tail = chunk.split_off(chunk.len() / 2);
                    self.chunks.insert(c + 1, tail);
                }
                true
            }
        }
    }

    /// Removes the row at (`sort`, `key`); returns whether it was there.
    fn take(&mut self, sort: &[Json], key: &[Json]) -> bool {
        if self.chunks.is_empty() {
            return false;
        }
        let c = self.chunk_for(sort, key);
        let Ok(i) = self.find(c, sort, key) else {
            return false;
        };
        self.chunks[c].remove(i);
        self.len -= 1;
        if self.chunks[c].is_empty() {
            self.chunks.remove(c);
        }
        true
    }

    fn find(&self, c: usize, sort: &[Json], key: &[Json]) -> Result<usize, usize> {
        self.chunks[c].binary_search_by(|(k, row)| self.cmp_entry(k, row, sort, key))
    }

    /// The chunk that holds (`sort`, `key`) or should: the first whose last entry is
    /// not below it.
    fn chunk_for(&self, sort: &[Json], key: &[Json]) -> usize {
        let c = self.chunks.partition_point(|chunk| {
            chunk
                .last()
                .is_some_and(|(last, row)| self.cmp_entry(last, row, sort, key) == Ordering::Less)
        });
        c.min(self.chunks.len().saturating_sub(1))
    }

    /// The row's values of the ORDER BY columns.
    fn sort_values(&self, row: &[Json]) -> Vec<Json> {
        self.order
            .iter()
            .map(|t| row.get(t.column).cloned().unwrap_or(Json::Null))
            .collect()
    }

    /// An entry against a place in the order: the ORDER BY terms, then the key.
    fn cmp_entry(&self, key: &[Json], row: &[Json], sort: &[Json], other: &[Json]) -> Ordering {
        self.order
            .iter()
            .zip(sort)
            .map(|(term, b)| cmp_term(term, row.get(term.column).unwrap_or(&Json::Null), b))
            .find(|o| o.is_ne())
            .unwrap_or_else(|| cmp_key(key, other))
    }
}

/// A key as a map key, in key order.
#[derive(Debug)]
struct OrdKey(Key);

impl Ord for OrdKey {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_key(&self.0, &other.0)
    }
}

impl PartialOrd for OrdKey {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl PartialEq for OrdKey {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other).is_eq()
    }
}

impl Eq for OrdKey {}

/// One ORDER BY term: NULLs where the query put them, other values as keys compare,
/// reversed when descending.
fn cmp_term(term: &SortTerm, a: &Json, b: &Json) -> Ordering {
    match (a, b) {
        (Json::Null, Json::Null) => Ordering::Equal,
        (Json::Null, _) if term.nulls_first => Ordering::Less,
        (Json::Null, _) => Ordering::Greater,
        (_, Json::Null) if term.nulls_first => Ordering::Greater,
        (_, Json::Null) => Ordering::Less,
        _ if term.descending => cmp_json(b, a),
        _ => cmp_json(a, b),
    }
}

/// Key order as the engine stores it: NULL < booleans < numbers < text, numbers by
/// value, text by bytes.
pub fn cmp_key(a: &[Json], b: &[Json]) -> Ordering {
    a.iter()
        .zip(b)
        .map(|(x, y)| cmp_json(x, y))
        .find(|o| o.is_ne())
        .unwrap_or_else(|| a.len().cmp(&b.len()))
}

fn cmp_json(a: &Json, b: &Json) -> Ordering {
    fn rank(v: &Json) -> u8 {
        match v {
            Json::Null => 0,
            Json::Bool(_) => 1,
            Json::Number(_) => 2,
            Json::String(_) => 3,
            Json::Array(_) => 4,
            Json::Object(_) => 5,
        }
    }
    match (a, b) {
        (Json::Bool(x), Json::Bool(y)) => x.cmp(y),
        (Json::Number(x), Json::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x.cmp(&y),
            _ => x.as_f64().unwrap_or(0.0).total_cmp(&y.as_f64().unwrap_or(0.0)),
        },
        (Json::String(x), Json::String(y)) => x.as_bytes().cmp(y.as_bytes()),
        _ => rank(a).cmp(&rank(b)).then_with(|| a.to_string().cmp(&b.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(i: i64) -> Key {
        vec![json!(i)]
    }

    #[test]
    fn keeps_key_order_across_chunk_splits_and_removals() {
        let mut rows = OrderedRows::default();
        // Odd keys first, then even ones in between, in reverse: every chunk splits.
        for i in (1..10_000).step_by(2) {
            assert!(rows.upsert(key(i), vec![json!(i)]));
        }
        for i in (0..5_000).rev().map(|i| i * 2) {
            assert!(rows.upsert(key(i), vec![json!(i)]));
        }
        assert!(!rows.upsert(key(5), vec![json!("five")]));
        assert_eq!(rows.len(), 10_000);
        let all: Vec<i64> = rows
            .window(0, usize::MAX)
            .map(|(k, _)| k[0].as_i64().unwrap())
            .collect();
        assert_eq!(all, (0..10_000).collect::<Vec<_>>());
        assert_eq!(rows.window(5, 1).next().unwrap().1, vec![json!("five")]);
        for i in (0..10_000).filter(|i| i % 3 == 0) {
            assert!(rows.remove(&key(i)));
        }
        assert!(!rows.remove(&key(3)));
        let left: Vec<i64> = (0..10_000).filter(|i| i % 3 != 0).collect();
        assert_eq!(rows.len(), left.len());
        for (pos, i) in left.iter().enumerate().step_by(97) {
            assert_eq!(rows.position(&key(*i)), Some(pos));
            let got: Vec<i64> = rows.window(pos, 3).map(|(k, _)| k[0].as_i64().unwrap()).collect();
            assert_eq!(got, left[pos..(pos + 3).min(left.len())]);
        }
        assert_eq!(rows.window(left.len(), 10).count(), 0);
        assert_eq!(rows.position(&key(3)), None);
    }

    fn desc(column: usize, nulls_first: bool) -> SortTerm {
        SortTerm {
            column,
            descending: true,
            nulls_first,
        }
    }

    fn keys_of(rows: &OrderedRows) -> Vec<i64> {
        rows.window(0, usize::MAX)
            .map(|(k, _)| k[0].as_i64().unwrap())
            .collect()
    }

    #[test]
    fn keeps_the_order_by_with_the_key_breaking_ties() {
        // ORDER BY n DESC NULLS LAST, label: rows are (label, n).
        let asc = SortTerm {
            column: 0,
            descending: false,
            nulls_first: false,
        };
        let mut rows = OrderedRows::new(vec![desc(1, false), asc]);
        assert!(rows.upsert(key(1), vec![json!("a"), json!(5)]));
        assert!(rows.upsert(key(2), vec![json!("b"), json!(null)]));
        assert!(rows.upsert(key(3), vec![json!("c"), json!(7.5)]));
        assert!(rows.upsert(key(4), vec![json!("a"), json!(5)]));
        assert!(rows.upsert(key(5), vec![json!("b"), json!(5)]));
        assert_eq!(keys_of(&rows), [3, 1, 4, 5, 2]);
        // An update moves its row; one that keeps its values stays in place.
        assert!(!rows.upsert(key(2), vec![json!("b"), json!(9)]));
        assert!(!rows.upsert(key(4), vec![json!("a"), json!(5)]));
        assert_eq!(keys_of(&rows), [2, 3, 1, 4, 5]);
        assert!(!rows.upsert(key(3), vec![json!("c"), json!(-1)]));
        assert_eq!(keys_of(&rows), [2, 1, 4, 5, 3]);
        assert_eq!(rows.position(&key(5)), Some(3));
        assert!(rows.remove(&key(1)));
        assert!(!rows.remove(&key(1)));
        assert_eq!(keys_of(&rows), [2, 4, 5, 3]);
        assert_eq!(rows.position(&key(1)), None);
        assert_eq!(rows.len(), 4);
        rows.clear();
        assert!(rows.is_empty());
        assert!(rows.upsert(key(1), vec![json!("a"), json!(null)]));
        assert!(rows.upsert(key(2), vec![json!("b"), json!(1)]));
        assert_eq!(keys_of(&rows), [2, 1], "the order outlives clear");
    }

    #[test]
    fn puts_nulls_where_the_query_does() {
        let values = [json!(2), json!(null), json!(1)];
        let order = |descending, nulls_first| {
            let mut rows = OrderedRows::new(vec![SortTerm {
                column: 0,
                descending,
                nulls_first,
            }]);
            for (i, v) in values.iter().enumerate() {
                rows.upsert(key(i as i64), vec![v.clone()]);
            }
            rows.window(0, 3).map(|(_, row)| row[0].clone()).collect::<Vec<_>>()
        };
        assert_eq!(order(false, false), [json!(1), json!(2), json!(null)]);
        assert_eq!(order(false, true), [json!(null), json!(1), json!(2)]);
        assert_eq!(order(true, true), [json!(null), json!(2), json!(1)]);
        assert_eq!(order(true, false), [json!(2), json!(1), json!(null)]);
    }

    /// Many upserts and removals across chunk splits against a vector sorted anew.
    #[test]
    fn ordered_rows_match_a_sorted_model() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: u64| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed % n
        };
        let term = desc(1, true);
        let mut rows = OrderedRows::new(vec![term]);
        let mut model: BTreeMap<i64, Vec<Json>> = BTreeMap::new();
        for step in 0..20_000 {
            let k = next(3_000) as i64;
            if next(4) == 0 {
                assert_eq!(rows.remove(&key(k)), model.remove(&k).is_some());
            } else {
                let n = match next(10) {
                    0 => json!(null),
                    1 => json!(format!("t{}", next(5))),
                    _ => json!(next(50) as i64 - 25),
                };
                let row = vec![json!(k), n];
                assert_eq!(rows.upsert(key(k), row.clone()), model.insert(k, row).is_none());
            }
            if step % 1_000 == 999 {
                let mut expected: Vec<(i64, &Vec<Json>)> = model.iter().map(|(k, r)| (*k, r)).collect();
                expected.sort_by(|a, b| cmp_term(&term, &a.1[1], &b.1[1]).then(a.0.cmp(&b.0)));
                let expected: Vec<i64> = expected.into_iter().map(|(k, _)| k).collect();
                assert_eq!(keys_of(&rows), expected);
                assert_eq!(rows.len(), expected.len());
                for (pos, k) in expected.iter().enumerate().step_by(37) {
                    assert_eq!(rows.position(&key(*k)), Some(pos));
                }
            }
        }
    }

    #[test]
    fn orders_like_the_engine() {
        let ordered = [
            json!(null),
            json!(false),
            json!(true),
            json!(-5),
            json!(2.5),
            json!(10),
            json!("B"),
            json!("a"),
        ];
        for pair in ordered.windows(2) {
            assert_eq!(cmp_json(&pair[0], &pair[1]), Ordering::Less, "{pair:?}");
        }
        assert_eq!(
            cmp_key(&[json!("alice"), json!(2)], &[json!("bob"), json!(1)]),
            Ordering::Less
        );
    }
}
