//! A pane's rows in key order, kept in memory by the app so the grid can ask for any
//! window by position. Rows live in chunks of at most `CHUNK_MAX` entries: finding a
//! position walks the chunk lengths (a thousand chunks for a million rows), inserting
//! or deleting moves at most one chunk's entries.

use std::cmp::Ordering;

use serde_json::Value as Json;

const CHUNK_MAX: usize = 1024;

pub type Key = Vec<Json>;

#[derive(Debug, Default)]
pub struct OrderedRows {
    chunks: Vec<Vec<(Key, Vec<Json>)>>,
    len: usize,
}

impl OrderedRows {
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub fn clear(&mut self) {
        self.chunks.clear();
        self.len = 0;
    }

    /// Inserts or replaces the row with this key; returns whether it was new.
    pub fn upsert(&mut self, key: Key, row: Vec<Json>) -> bool {
        if self.chunks.is_empty() {
            self.chunks.push(Vec::with_capacity(CHUNK_MAX));
        }
        let c = self.chunk_for(&key);
        let chunk = &mut self.chunks[c];
        match chunk.binary_search_by(|(k, _)| cmp_key(k, &key)) {
            Ok(i) => {
                chunk[i].1 = row;
                false
            }
            Err(i) => {
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

    /// Removes the row with this key; returns whether it was there.
    pub fn remove(&mut self, key: &[Json]) -> bool {
        if self.chunks.is_empty() {
            return false;
        }
        let c = self.chunk_for(key);
        let chunk = &mut self.chunks[c];
        match chunk.binary_search_by(|(k, _)| cmp_key(k, key)) {
            Ok(i) => {
                chunk.remove(i);
                self.len -= 1;
                if chunk.is_empty() {
                    self.chunks.remove(c);
                }
                true
            }
            Err(_) => false,
        }
    }

    /// The position of a key in the pane.
    pub fn position(&self, key: &[Json]) -> Option<usize> {
        if self.chunks.is_empty() {
            return None;
        }
        let c = self.chunk_for(key);
        let i = self.chunks[c].binary_search_by(|(k, _)| cmp_key(k, key)).ok()?;
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

    /// The chunk that holds `key` or should: the first whose last key is not below it.
    fn chunk_for(&self, key: &[Json]) -> usize {
        let c = self.chunks.partition_point(|chunk| {
            chunk
                .last()
                .is_some_and(|(last, _)| cmp_key(last, key) == Ordering::Less)
        });
        c.min(self.chunks.len().saturating_sub(1))
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
