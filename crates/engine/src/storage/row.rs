//! The stored form of a row: the commit time (microseconds, used by STREAM TTL) and
//! one tagged value per column in table order. Columns added by ALTER TABLE after the
//! row was written are simply absent and read as the column's fill value.

use crate::error::{Error, Result};
use crate::types::Value;

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const INT: u8 = 3;
const BIGINT: u8 = 4;
const DOUBLE: u8 = 5;
const DECIMAL: u8 = 6;
const TEXT: u8 = 7;
const BYTES: u8 = 8;
const DATE: u8 = 9;
const TIMESTAMP: u8 = 10;
const JSON: u8 = 11;

pub(crate) fn encode_row(committed_micros: i64, values: &[Value]) -> Vec<u8> {
    let mut out = Vec::with_capacity(16 + values.len() * 9);
    out.extend_from_slice(&committed_micros.to_le_bytes());
    out.extend_from_slice(&(values.len() as u32).to_le_bytes());
    for value in values {
        match value {
            Value::Null => out.push(NULL),
            Value::Boolean(false) => out.push(FALSE),
            Value::Boolean(true) => out.push(TRUE),
            Value::Int(v) => tagged(&mut out, INT, &v.to_le_bytes()),
            Value::BigInt(v) => tagged(&mut out, BIGINT, &v.to_le_bytes()),
            Value::Double(v) => tagged(&mut out, DOUBLE, &v.to_le_bytes()),
            Value::Decimal(v) => tagged(&mut out, DECIMAL, &v.to_le_bytes()),
            Value::Date(v) => tagged(&mut out, DATE, &v.to_le_bytes()),
            Value::Timestamp(v) => tagged(&mut out, TIMESTAMP, &v.to_le_bytes()),
            Value::Text(v) => sized(&mut out, TEXT, v.as_bytes()),
            Value::Json(v) => sized(&mut out, JSON, v.as_bytes()),
            Value::Bytes(v) => sized(&mut out, BYTES, v),
        }
    }
    out
}

fn tagged(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    out.extend_from_slice(bytes);
}

fn sized(out: &mut Vec<u8>, tag: u8, bytes: &[u8]) {
    out.push(tag);
    out.extend_from_slice(&(bytes.len() as u32).to_le_bytes());
    out.extend_from_slice(bytes);
}

/// The commit time of a stored row, without decoding its values.
pub(crate) fn row_time(bytes: &[u8]) -> Result<i64> {
    Ok(i64::from_le_bytes(fixed(bytes, 0)?))
}

/// How many values a stored row has, without decoding them.
pub(crate) fn row_width(bytes: &[u8]) -> Result<usize> {
    Ok(u32::from_le_bytes(fixed(bytes, 8)?) as usize)
}

/// Decodes a stored row into its commit time and values.
pub(crate) fn decode_row(bytes: &[u8]) -> Result<(i64, Vec<Value>)> {
    let committed = row_time(bytes)?;
    let values = values(bytes)?.map(|v| v.map(Stored::to_value)).collect::<Result<_>>()?;
    Ok((committed, values))
}

/// A stored value, borrowed from the row's bytes.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Stored<'a> {
    Null,
    Boolean(bool),
    Int(i32),
    BigInt(i64),
    Double(f64),
    Decimal(i128),
    Text(&'a str),
    Json(&'a str),
    Bytes(&'a [u8]),
    Date(i32),
    Timestamp(i64),
}

impl Stored<'_> {
    pub fn to_value(self) -> Value {
        match self {
            Stored::Null => Value::Null,
            Stored::Boolean(v) => Value::Boolean(v),
            Stored::Int(v) => Value::Int(v),
            Stored::BigInt(v) => Value::BigInt(v),
            Stored::Double(v) => Value::Double(v),
            Stored::Decimal(v) => Value::Decimal(v),
            Stored::Text(v) => Value::Text(v.to_string()),
            Stored::Json(v) => Value::Json(v.to_string()),
            Stored::Bytes(v) => Value::Bytes(v.to_vec()),
            Stored::Date(v) => Value::Date(v),
            Stored::Timestamp(v) => Value::Timestamp(v),
        }
    }
}

/// The values of a stored row, in column order, borrowed from its bytes.
pub(crate) fn values(bytes: &[u8]) -> Result<impl Iterator<Item = Result<Stored<'_>>> + '_> {
    Ok(values_where(bytes, |_| true)?.map(|v| v.map(|v| v.unwrap_or(Stored::Null))))
}

/// The values of a stored row that `wanted` asks for (by column index), borrowed from
/// its bytes; the others are stepped over unread (`None`) — a scan's columns that the
/// query does not read cost no UTF-8 check.
pub(crate) fn values_where<'a>(
    bytes: &'a [u8],
    wanted: impl Fn(usize) -> bool + 'a,
) -> Result<impl Iterator<Item = Result<Option<Stored<'a>>>> + 'a> {
    let count = row_width(bytes)?;
    let mut at = 12;
    Ok((0..count).map(move |i| {
        let skip = !wanted(i);
        let tag = *bytes.get(at).ok_or_else(corrupt)?;
        at += 1;
        Ok(Some(match tag {
            NULL => Stored::Null,
            FALSE => Stored::Boolean(false),
            TRUE => Stored::Boolean(true),
            INT => Stored::Int(i32::from_le_bytes(take(bytes, &mut at)?)),
            DATE => Stored::Date(i32::from_le_bytes(take(bytes, &mut at)?)),
            BIGINT => Stored::BigInt(i64::from_le_bytes(take(bytes, &mut at)?)),
            TIMESTAMP => Stored::Timestamp(i64::from_le_bytes(take(bytes, &mut at)?)),
            DOUBLE => Stored::Double(f64::from_le_bytes(take(bytes, &mut at)?)),
            DECIMAL => Stored::Decimal(i128::from_le_bytes(take(bytes, &mut at)?)),
            TEXT | JSON | BYTES => {
                let len = u32::from_le_bytes(take(bytes, &mut at)?) as usize;
                let raw = bytes.get(at..at + len).ok_or_else(corrupt)?;
                at += len;
                if skip {
                    return Ok(None);
                }
                match tag {
                    BYTES => Stored::Bytes(raw),
                    TEXT => Stored::Text(std::str::from_utf8(raw).map_err(|_| corrupt())?),
                    _ => Stored::Json(std::str::from_utf8(raw).map_err(|_| corrupt())?),
                }
            }
            _ => return Err(corrupt()),
        }))
    }))
}

fn fixed<const N: usize>(bytes: &[u8], at: usize) -> Result<[u8; N]> {
    bytes
        .get(at..at + N)
        .and_then(|s| s.try_into().ok())
        .ok_or_else(corrupt)
}

fn take<const N: usize>(bytes: &[u8], at: &mut usize) -> Result<[u8; N]> {
    let out = fixed(bytes, *at)?;
    *at += N;
    Ok(out)
}

fn corrupt() -> Error {
    Error::Storage("corrupt row".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_round_trip() {
        let values = vec![
            Value::Null,
            Value::Boolean(true),
            Value::Int(-3),
            Value::BigInt(1 << 40),
            Value::Double(2.5),
            Value::Decimal(-12345),
            Value::Text("héllo".into()),
            Value::Bytes(vec![0, 1, 2]),
            Value::Date(19000),
            Value::Timestamp(1_700_000_000_000_000),
            Value::Json("{\"a\":1}".into()),
        ];
        let bytes = encode_row(42, &values);
        assert_eq!(decode_row(&bytes).unwrap(), (42, values));
    }

    #[test]
    fn truncated_rows_are_errors_not_panics() {
        let bytes = encode_row(1, &[Value::Text("abc".into())]);
        for len in 0..bytes.len() {
            assert!(decode_row(&bytes[..len]).is_err());
        }
    }
}
