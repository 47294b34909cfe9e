//! Key layout and the order-preserving encoding of key values.
//!
//! Everything lives in RocksDB's default column family, separated by a one-byte tag:
//!
//! | key | value |
//! |---|---|
//! | `m` `seq` | last committed sequence number (u64 BE) |
//! | `m` `next_table` | next table id (u64 BE) |
//! | `m` `event:` name | when a one-time event happened (i64 BE micros) |
//! | `c` `n` name | namespace definition (JSON) |
//! | `c` `t` table id | table definition (JSON) |
//! | `k` token id | API token: user, label, SHA-256 of the token (JSON) |
//! | `n` table id | row count of the table (i64 BE) |
//! | `d` table id [user] pk... | a row (see `row.rs`) |
//! | `x` table id commit-time pk... | STREAM insertion-time index (empty value) |
//!
//! Key values are encoded so that byte order equals value order; a primary-key range
//! is therefore one RocksDB seek plus an upper bound.

use crate::error::{Error, Result};
use crate::types::Value;

pub(crate) const SEQ: &[u8] = b"mseq";
pub(crate) const NEXT_TABLE_ID: &[u8] = b"mnext_table";
pub(crate) const NAMESPACE_PREFIX: &[u8] = b"cn";
pub(crate) const TABLE_PREFIX: &[u8] = b"ct";
pub(crate) const TOKEN_PREFIX: &[u8] = b"k";

const COUNT_TAG: u8 = b'n';
const DATA_TAG: u8 = b'd';
const STREAM_INDEX_TAG: u8 = b'x';
const UNIQUE_INDEX_TAG: u8 = b'u';

pub(crate) fn namespace_key(name: &str) -> Vec<u8> {
    [NAMESPACE_PREFIX, name.as_bytes()].concat()
}

pub(crate) fn table_def_key(table_id: u64) -> Vec<u8> {
    [TABLE_PREFIX, &table_id.to_be_bytes()].concat()
}

/// Marks a one-time event (`Engine::first_time`).
pub(crate) fn event_key(name: &str) -> Vec<u8> {
    [b"mevent:".as_slice(), name.as_bytes()].concat()
}

pub(crate) fn token_key(id: &str) -> Vec<u8> {
    [TOKEN_PREFIX, id.as_bytes()].concat()
}

pub(crate) fn count_key(table_id: u64) -> Vec<u8> {
    tagged(COUNT_TAG, table_id)
}

/// The prefix of every row of a table.
pub(crate) fn data_prefix(table_id: u64) -> Vec<u8> {
    tagged(DATA_TAG, table_id)
}

/// The prefix of every STREAM index entry of a table.
pub(crate) fn stream_index_prefix(table_id: u64) -> Vec<u8> {
    tagged(STREAM_INDEX_TAG, table_id)
}

/// A STREAM index entry: insertion time first, so the oldest rows come first.
pub(crate) fn stream_index_key(table_id: u64, inserted_micros: i64, row_key: &[u8]) -> Vec<u8> {
    let mut key = stream_index_prefix(table_id);
    key.extend_from_slice(&(inserted_micros as u64).to_be_bytes());
    key.extend_from_slice(&row_key[data_prefix_len()..]);
    key
}

/// The prefix of every UNIQUE index entry of a table.
pub(crate) fn unique_index_prefix(table_id: u64) -> Vec<u8> {
    tagged(UNIQUE_INDEX_TAG, table_id)
}

/// A UNIQUE index entry: the constraint's number, the owner (USER tables) and the
/// constrained values; its value is the key of the row that holds them.
pub(crate) fn unique_index_key<'v>(
    table_id: u64,
    constraint: usize,
    owner: Option<&str>,
    values: impl IntoIterator<Item = &'v Value>,
) -> Vec<u8> {
    let mut key = unique_index_prefix(table_id);
    key.extend_from_slice(&(constraint as u16).to_be_bytes());
    if let Some(owner) = owner {
        encode_key_value(&mut key, &Value::Text(owner.to_string()));
    }
    for value in values {
        encode_key_value(&mut key, value);
    }
    key
}

/// The row key an index entry points at.
pub(crate) fn row_key_of_index_entry(index_key: &[u8]) -> Vec<u8> {
    let table_id = &index_key[1..9];
    let mut key = vec![DATA_TAG];
    key.extend_from_slice(table_id);
    key.extend_from_slice(&index_key[17..]);
    key
}

/// Insertion time of an index entry.
pub(crate) fn index_entry_time(index_key: &[u8]) -> i64 {
    let mut ts = [0u8; 8];
    ts.copy_from_slice(&index_key[9..17]);
    u64::from_be_bytes(ts) as i64
}

pub(crate) fn data_prefix_len() -> usize {
    9
}

/// The table a row key belongs to; `None` for keys that are not rows.
pub(crate) fn data_table_id(key: &[u8]) -> Option<u64> {
    match key {
        [DATA_TAG, id @ ..] if id.len() >= 8 => Some(u64::from_be_bytes(id[..8].try_into().ok()?)),
        _ => None,
    }
}

fn tagged(tag: u8, table_id: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(32);
    key.push(tag);
    key.extend_from_slice(&table_id.to_be_bytes());
    key
}

/// The smallest key greater than every key starting with `prefix`.
pub(crate) fn prefix_end(prefix: &[u8]) -> Vec<u8> {
    let mut end = prefix.to_vec();
    while let Some(last) = end.pop() {
        if last < 0xff {
            end.push(last + 1);
            return end;
        }
    }
    vec![0xff; prefix.len() + 1]
}

/// Appends `value` in an encoding whose byte order is the value order.
pub(crate) fn encode_key_value(out: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => out.push(0),
        Value::Boolean(v) => out.push(*v as u8),
        Value::Int(v) | Value::Date(v) => out.extend_from_slice(&((*v as u32) ^ (1 << 31)).to_be_bytes()),
        Value::BigInt(v) | Value::Timestamp(v) => out.extend_from_slice(&((*v as u64) ^ (1 << 63)).to_be_bytes()),
        Value::Double(v) => {
            let v = if *v == 0.0 { 0.0 } else { *v };
            let bits = v.to_bits();
            let ordered = if bits >> 63 == 1 { !bits } else { bits ^ (1 << 63) };
            out.extend_from_slice(&ordered.to_be_bytes());
        }
        Value::Decimal(v) => out.extend_from_slice(&((*v as u128) ^ (1 << 127)).to_be_bytes()),
        Value::Text(v) | Value::Json(v) => encode_bytes(out, v.as_bytes()),
        Value::Bytes(v) => encode_bytes(out, v),
    }
}

/// Byte strings: 0x00 is escaped as 0x00 0xff and the end is marked by 0x00 0x01, so
/// a prefix sorts before its extensions and embedded zeros keep their order.
fn encode_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    for &b in bytes {
        out.push(b);
        if b == 0 {
            out.push(0xff);
        }
    }
    out.extend_from_slice(&[0, 1]);
}

/// Decodes a text value written by `encode_key_value` at the start of `input`,
/// returning it and the number of bytes it took.
pub(crate) fn decode_key_text(input: &[u8]) -> Result<(String, usize)> {
    let mut bytes = Vec::new();
    let mut i = 0;
    loop {
        match (input.get(i), input.get(i + 1)) {
            (Some(0), Some(1)) => break,
            (Some(0), Some(0xff)) => {
                bytes.push(0);
                i += 2;
            }
            (Some(&b), _) if b != 0 => {
                bytes.push(b);
                i += 1;
            }
            _ => return Err(Error::Storage("corrupt text in key".into())),
        }
    }
    let text = String::from_utf8(bytes).map_err(|_| Error::Storage("key text is not UTF-8".into()))?;
    Ok((text, i + 2))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enc(v: &Value) -> Vec<u8> {
        let mut out = Vec::new();
        encode_key_value(&mut out, v);
        out
    }

    #[test]
    fn encoding_preserves_order() {
        let ordered = [
            vec![
                Value::BigInt(i64::MIN),
                Value::BigInt(-1),
                Value::BigInt(0),
                Value::BigInt(7),
                Value::BigInt(i64::MAX),
            ],
            vec![Value::Int(-5), Value::Int(0), Value::Int(3)],
            vec![
                Value::Double(f64::NEG_INFINITY),
                Value::Double(-2.5),
                Value::Double(-0.0),
                Value::Double(1e-9),
                Value::Double(3.0),
            ],
            vec![Value::Decimal(-100), Value::Decimal(0), Value::Decimal(99)],
            vec![
                Value::Text("".into()),
                Value::Text("a".into()),
                Value::Text("a\0".into()),
                Value::Text("a\0b".into()),
                Value::Text("ab".into()),
                Value::Text("b".into()),
            ],
        ];
        for values in ordered {
            for pair in values.windows(2) {
                assert!(enc(&pair[0]) < enc(&pair[1]), "{:?} < {:?}", pair[0], pair[1]);
            }
        }
    }

    #[test]
    fn text_round_trips() {
        for s in ["", "alice", "with\0zero", "ünïcode"] {
            let mut out = enc(&Value::Text(s.into()));
            out.extend_from_slice(b"rest");
            let (decoded, used) = decode_key_text(&out).unwrap();
            assert_eq!(decoded, s);
            assert_eq!(&out[used..], b"rest");
        }
    }

    #[test]
    fn prefix_end_bounds_the_prefix() {
        assert_eq!(prefix_end(&[1, 2]), vec![1, 3]);
        assert_eq!(prefix_end(&[1, 0xff]), vec![2]);
    }
}
