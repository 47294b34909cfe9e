//! Column types and values: the SQL types of DESIGN §2, how each maps to Arrow, and
//! the `Value` a row holds in memory.

use std::fmt;

use datafusion::arrow::datatypes::{DataType, TimeUnit};
use datafusion::scalar::ScalarValue;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Default precision and scale of a bare `DECIMAL`.
const DEFAULT_DECIMAL: (u8, i8) = (38, 10);

/// A column type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SqlType {
    Boolean,
    Int,
    BigInt,
    Double,
    Decimal { precision: u8, scale: i8 },
    Text,
    Bytes,
    Date,
    Timestamp,
    Json,
}

impl SqlType {
    /// Parses a type as written in CREATE TABLE (`BIGINT`, `VARCHAR(20)`, `DECIMAL(10,2)`).
    pub fn parse(text: &str) -> Result<SqlType> {
        let upper = text.trim().to_ascii_uppercase();
        let (base, args) = match upper.find('(') {
            Some(i) => (upper[..i].trim(), Some(upper[i + 1..].trim_end_matches(')'))),
            None => (upper.as_str(), None),
        };
        let ty = match base {
            "BOOLEAN" | "BOOL" => SqlType::Boolean,
            "INT" | "INTEGER" | "INT4" | "SMALLINT" | "TINYINT" => SqlType::Int,
            "BIGINT" | "INT8" | "LONG" => SqlType::BigInt,
            "DOUBLE" | "DOUBLE PRECISION" | "FLOAT" | "FLOAT8" | "REAL" | "FLOAT4" => SqlType::Double,
            "DECIMAL" | "NUMERIC" => {
                let (precision, scale) = match args {
                    None => DEFAULT_DECIMAL,
                    Some(args) => {
                        let mut parts = args.split(',').map(|p| p.trim().parse::<i64>());
                        let p = parts.next().and_then(|p| p.ok());
                        let s = parts.next().map(|s| s.ok());
                        match (p, s) {
                            (Some(p), None) if (1..=38).contains(&p) => (p as u8, 0),
                            (Some(p), Some(Some(s))) if (1..=38).contains(&p) && (0..=p).contains(&s) => {
                                (p as u8, s as i8)
                            }
                            _ => {
                                return Err(Error::Unsupported(format!(
                                    "type {text}: DECIMAL precision must be 1..38 and scale 0..precision"
                                )))
                            }
                        }
                    }
                };
                return Ok(SqlType::Decimal { precision, scale });
            }
            "TEXT" | "VARCHAR" | "CHAR" | "STRING" | "CHARACTER VARYING" => SqlType::Text,
            "BYTES" | "BYTEA" | "BLOB" | "BINARY" | "VARBINARY" => SqlType::Bytes,
            "DATE" => SqlType::Date,
            "TIMESTAMP" | "DATETIME" => SqlType::Timestamp,
            "JSON" | "JSONB" => SqlType::Json,
            _ => {
                return Err(Error::Unsupported(format!(
                    "type {text}; use BOOLEAN, INT, BIGINT, DOUBLE, DECIMAL, TEXT, BYTES, DATE, TIMESTAMP or JSON"
                )))
            }
        };
        Ok(ty)
    }

    pub fn arrow(&self) -> DataType {
        match self {
            SqlType::Boolean => DataType::Boolean,
            SqlType::Int => DataType::Int32,
            SqlType::BigInt => DataType::Int64,
            SqlType::Double => DataType::Float64,
            SqlType::Decimal { precision, scale } => DataType::Decimal128(*precision, *scale),
            SqlType::Text | SqlType::Json => DataType::Utf8,
            SqlType::Bytes => DataType::Binary,
            SqlType::Date => DataType::Date32,
            SqlType::Timestamp => DataType::Timestamp(TimeUnit::Microsecond, None),
        }
    }

    /// Whether the type can be part of a primary key.
    pub fn is_keyable(&self) -> bool {
        !matches!(self, SqlType::Json)
    }
}

impl fmt::Display for SqlType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SqlType::Boolean => f.write_str("BOOLEAN"),
            SqlType::Int => f.write_str("INT"),
            SqlType::BigInt => f.write_str("BIGINT"),
            SqlType::Double => f.write_str("DOUBLE"),
            SqlType::Decimal { precision, scale } => write!(f, "DECIMAL({precision},{scale})"),
            SqlType::Text => f.write_str("TEXT"),
            SqlType::Bytes => f.write_str("BYTES"),
            SqlType::Date => f.write_str("DATE"),
            SqlType::Timestamp => f.write_str("TIMESTAMP"),
            SqlType::Json => f.write_str("JSON"),
        }
    }
}

/// One value of a row. Decimals are stored unscaled (the scale is the column's).
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Boolean(bool),
    Int(i32),
    BigInt(i64),
    Double(f64),
    Decimal(i128),
    Text(String),
    Bytes(Vec<u8>),
    /// Days since 1970-01-01.
    Date(i32),
    /// Microseconds since 1970-01-01 00:00:00 UTC.
    Timestamp(i64),
    Json(String),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Whether two values are stored alike: NULL is the same as NULL, and doubles are
    /// compared by their bits (NaN is the same as NaN, -0.0 is not 0.0).
    pub fn same(&self, other: &Value) -> bool {
        match (self, other) {
            (Value::Double(a), Value::Double(b)) => a.to_bits() == b.to_bits(),
            (a, b) => a == b,
        }
    }

    /// Converts a DataFusion scalar (already cast to the column's Arrow type) into a value
    /// of `ty`; `column` names the column in the error.
    pub fn from_scalar(scalar: &ScalarValue, ty: SqlType, column: &str) -> Result<Value> {
        if scalar.is_null() {
            return Ok(Value::Null);
        }
        let scalar = if scalar.data_type() == ty.arrow() {
            scalar.clone()
        } else {
            scalar.cast_to(&ty.arrow()).map_err(|_| Error::TypeMismatch {
                column: column.to_string(),
                expected: ty.to_string(),
                found: match scalar {
                    ScalarValue::Utf8(Some(s)) | ScalarValue::Utf8View(Some(s)) | ScalarValue::LargeUtf8(Some(s)) => {
                        format!("'{s}'")
                    }
                    other => format!("{other} ({})", other.data_type()),
                },
            })?
        };
        let value = match (ty, scalar) {
            (SqlType::Boolean, ScalarValue::Boolean(Some(v))) => Value::Boolean(v),
            (SqlType::Int, ScalarValue::Int32(Some(v))) => Value::Int(v),
            (SqlType::BigInt, ScalarValue::Int64(Some(v))) => Value::BigInt(v),
            (SqlType::Double, ScalarValue::Float64(Some(v))) => Value::Double(v),
            (SqlType::Decimal { .. }, ScalarValue::Decimal128(Some(v), _, _)) => Value::Decimal(v),
            (SqlType::Text, ScalarValue::Utf8(Some(v))) => Value::Text(v),
            (SqlType::Json, ScalarValue::Utf8(Some(v))) => Value::json(v, column)?,
            (SqlType::Bytes, ScalarValue::Binary(Some(v))) => Value::Bytes(v),
            (SqlType::Date, ScalarValue::Date32(Some(v))) => Value::Date(v),
            (SqlType::Timestamp, ScalarValue::TimestampMicrosecond(Some(v), _)) => Value::Timestamp(v),
            (ty, other) => {
                return Err(Error::TypeMismatch {
                    column: column.to_string(),
                    expected: ty.to_string(),
                    found: other.data_type().to_string(),
                })
            }
        };
        Ok(value)
    }

    /// A statement parameter given as JSON (`/v1/sql`, `tidepool sql --param`): a
    /// number is a BIGINT when it is an integer that fits, else a DOUBLE; a string is
    /// TEXT; an array or object is JSON. The statement converts it to the type it
    /// expects there.
    pub fn from_param_json(json: &serde_json::Value) -> Value {
        match json {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Boolean(*b),
            serde_json::Value::Number(n) => match n.as_i64() {
                Some(i) => Value::BigInt(i),
                None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
            },
            serde_json::Value::String(s) => Value::Text(s.clone()),
            other => Value::Json(other.to_string()),
        }
    }

    /// A JSON column value: the text must parse as JSON.
    pub fn json(text: String, column: &str) -> Result<Value> {
        match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(_) => Ok(Value::Json(text)),
            Err(e) => Err(Error::TypeMismatch {
                column: column.to_string(),
                expected: "JSON".into(),
                found: format!("text that is not JSON ({e})"),
            }),
        }
    }

    /// The value as a DataFusion scalar of the column's Arrow type.
    pub fn to_scalar(&self, ty: SqlType) -> ScalarValue {
        match (self, ty) {
            (Value::Null, ty) => ScalarValue::try_from(&ty.arrow()).unwrap_or(ScalarValue::Null),
            (Value::Boolean(v), _) => ScalarValue::Boolean(Some(*v)),
            (Value::Int(v), _) => ScalarValue::Int32(Some(*v)),
            (Value::BigInt(v), _) => ScalarValue::Int64(Some(*v)),
            (Value::Double(v), _) => ScalarValue::Float64(Some(*v)),
            (Value::Decimal(v), SqlType::Decimal { precision, scale }) => {
                ScalarValue::Decimal128(Some(*v), precision, scale)
            }
            (Value::Decimal(v), _) => ScalarValue::Decimal128(Some(*v), 38, 0),
            (Value::Text(v) | Value::Json(v), _) => ScalarValue::Utf8(Some(v.clone())),
            (Value::Bytes(v), _) => ScalarValue::Binary(Some(v.clone())),
            (Value::Date(v), _) => ScalarValue::Date32(Some(*v)),
            (Value::Timestamp(v), _) => ScalarValue::TimestampMicrosecond(Some(*v), None),
        }
    }

    /// Converts a JSON value (from the typed API or IPC) into a value of `ty`.
    pub fn from_json(json: &serde_json::Value, ty: SqlType, column: &str) -> Result<Value> {
        use serde_json::Value as J;
        let mismatch = || Error::TypeMismatch {
            column: column.to_string(),
            expected: ty.to_string(),
            found: json.to_string(),
        };
        if json.is_null() {
            return Ok(Value::Null);
        }
        // Strings are parsed as SQL literals of the column type (dates, decimals, ...).
        let via_scalar = |s: ScalarValue| Value::from_scalar(&s, ty, column).map_err(|_| mismatch());
        match (ty, json) {
            (SqlType::Boolean, J::Bool(b)) => Ok(Value::Boolean(*b)),
            (SqlType::Int, J::Number(n)) => n
                .as_i64()
                .and_then(|v| i32::try_from(v).ok())
                .map(Value::Int)
                .ok_or_else(mismatch),
            (SqlType::BigInt, J::Number(n)) => n.as_i64().map(Value::BigInt).ok_or_else(mismatch),
            (SqlType::Double, J::Number(n)) => n.as_f64().map(Value::Double).ok_or_else(mismatch),
            (SqlType::Double, J::String(s)) => match non_finite(s) {
                Some(v) => Ok(Value::Double(v)),
                None => via_scalar(ScalarValue::Utf8(Some(s.clone()))),
            },
            (SqlType::Decimal { .. }, J::Number(n)) => via_scalar(ScalarValue::Utf8(Some(n.to_string()))),
            (SqlType::Json, J::String(s)) => Value::json(s.clone(), column),
            (SqlType::Json, other) => Ok(Value::Json(other.to_string())),
            (SqlType::Text, J::String(s)) => Ok(Value::Text(s.clone())),
            (SqlType::Bytes, J::String(s)) => decode_hex(s).map(Value::Bytes).ok_or_else(mismatch),
            (_, J::String(s)) => via_scalar(ScalarValue::Utf8(Some(s.clone()))),
            _ => Err(mismatch()),
        }
    }

    /// The value as JSON: numbers stay numbers (decimals and 64-bit ints that JavaScript
    /// cannot hold exactly stay exact as numbers too), dates and timestamps are ISO text,
    /// bytes are hex, JSON columns are embedded as JSON.
    pub fn to_json(&self, ty: SqlType) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Boolean(v) => J::Bool(*v),
            Value::Int(v) => J::from(*v),
            Value::BigInt(v) => J::from(*v),
            Value::Double(v) => double_json(*v),
            Value::Json(v) => serde_json::from_str(v).unwrap_or_else(|_| J::String(v.clone())),
            Value::Text(v) => J::String(v.clone()),
            Value::Bytes(v) => J::String(encode_hex(v)),
            // ISO text (`2024-02-29T13:45:00.123456`), as query results show it.
            Value::Date(_) | Value::Timestamp(_) => iso_text(self, ty),
            other => {
                let text = other.to_scalar(ty).to_string();
                match other {
                    Value::Decimal(_) => text
                        .parse::<serde_json::Number>()
                        .map(J::Number)
                        .unwrap_or(J::String(text)),
                    _ => J::String(text),
                }
            }
        }
    }
}

fn iso_text(value: &Value, ty: SqlType) -> serde_json::Value {
    let text = value
        .to_scalar(ty)
        .to_array()
        .ok()
        .and_then(|array| datafusion::arrow::util::display::array_value_to_string(&array, 0).ok());
    text.map(serde_json::Value::String).unwrap_or(serde_json::Value::Null)
}

impl fmt::Display for Value {
    /// SQL-literal-like rendering, used in error messages about keys.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("NULL"),
            Value::Boolean(v) => write!(f, "{v}"),
            Value::Int(v) => write!(f, "{v}"),
            Value::BigInt(v) => write!(f, "{v}"),
            Value::Double(v) => write!(f, "{v}"),
            Value::Decimal(v) => write!(f, "{v}"),
            Value::Text(v) | Value::Json(v) => write!(f, "'{}'", v.replace('\'', "''")),
            Value::Bytes(v) => write!(f, "X'{}'", encode_hex(v)),
            Value::Date(_) | Value::Timestamp(_) => {
                let ty = if matches!(self, Value::Date(_)) {
                    SqlType::Date
                } else {
                    SqlType::Timestamp
                };
                write!(f, "'{}'", self.to_scalar(ty))
            }
        }
    }
}

pub(crate) fn encode_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn decode_hex(text: &str) -> Option<Vec<u8>> {
    let text = text.strip_prefix("0x").unwrap_or(text);
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// A double as JSON: a number when finite; JSON has no NaN or infinities, so those are
/// the strings `"NaN"`, `"Infinity"` and `"-Infinity"` (as PostgreSQL writes them), never
/// `null`, which is SQL's NULL. -0.0 is written 0.0: JSON numbers compare equal (so live
/// changes would not tell the two apart) and JavaScript shows both as 0.
pub fn double_json(v: f64) -> serde_json::Value {
    let v = if v == 0.0 { 0.0 } else { v };
    match serde_json::Number::from_f64(v) {
        Some(n) => serde_json::Value::Number(n),
        None if v.is_nan() => serde_json::Value::String("NaN".into()),
        None if v > 0.0 => serde_json::Value::String("Infinity".into()),
        None => serde_json::Value::String("-Infinity".into()),
    }
}

/// The double a `double_json` string stands for.
fn non_finite(text: &str) -> Option<f64> {
    match text {
        "NaN" => Some(f64::NAN),
        "Infinity" => Some(f64::INFINITY),
        "-Infinity" => Some(f64::NEG_INFINITY),
        _ => None,
    }
}
