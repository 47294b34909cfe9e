//! Between rows of `Value`s and Arrow record batches.

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::scalar::ScalarValue;

use crate::error::{Error, Result};
use crate::types::{SqlType, Value};

/// Builds one Arrow column of type `ty` from values (which must be of that type or NULL).
pub(crate) fn build_array<'a>(ty: SqlType, values: impl ExactSizeIterator<Item = &'a Value>) -> Result<ArrayRef> {
    let n = values.len();
    let wrong = |v: &Value| Error::Storage(format!("stored value {v} does not match column type {ty}"));
    macro_rules! build {
        ($builder:expr, $($pat:pat => $val:expr),+) => {{
            let mut b = $builder;
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    $($pat => b.append_value($val),)+
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(b.finish()) as ArrayRef
        }};
    }
    let array = match ty {
        SqlType::Boolean => build!(BooleanBuilder::with_capacity(n), Value::Boolean(v) => *v),
        SqlType::Int => build!(Int32Builder::with_capacity(n), Value::Int(v) => *v),
        SqlType::BigInt => build!(Int64Builder::with_capacity(n), Value::BigInt(v) => *v),
        SqlType::Double => build!(Float64Builder::with_capacity(n), Value::Double(v) => *v),
        SqlType::Decimal { precision, scale } => {
            let mut b = Decimal128Builder::with_capacity(n);
            for v in values {
                match v {
                    Value::Null => b.append_null(),
                    Value::Decimal(d) => b.append_value(*d),
                    other => return Err(wrong(other)),
                }
            }
            Arc::new(
                b.finish()
                    .with_precision_and_scale(precision, scale)
                    .map_err(|e| Error::Storage(e.to_string()))?,
            )
        }
        SqlType::Text | SqlType::Json => build!(
            StringBuilder::with_capacity(n, n * 16),
            Value::Text(s) => s,
            Value::Json(s) => s
        ),
        SqlType::Bytes => build!(BinaryBuilder::with_capacity(n, n * 16), Value::Bytes(v) => v),
        SqlType::Date => build!(Date32Builder::with_capacity(n), Value::Date(v) => *v),
        SqlType::Timestamp => {
            build!(TimestampMicrosecondBuilder::with_capacity(n), Value::Timestamp(v) => *v)
        }
    };
    Ok(array)
}

/// A record batch of `schema` from column-major values.
pub(crate) fn batch_from_columns(
    schema: &SchemaRef,
    types: &[SqlType],
    columns: &[Vec<Value>],
    rows: usize,
) -> Result<RecordBatch> {
    let arrays = types
        .iter()
        .zip(columns)
        .map(|(ty, values)| build_array(*ty, values.iter()))
        .collect::<Result<Vec<_>>>()?;
    let options = datafusion::arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows));
    RecordBatch::try_new_with_options(schema.clone(), arrays, &options).map_err(|e| Error::Storage(e.to_string()))
}

/// The value at `row` of `array`, as a value of the column type.
pub(crate) fn value_at(array: &ArrayRef, row: usize, ty: SqlType, column: &str) -> Result<Value> {
    if array.is_null(row) {
        return Ok(Value::Null);
    }
    let scalar = ScalarValue::try_from_array(array, row).map_err(|e| Error::Query(e.to_string()))?;
    Value::from_scalar(&scalar, ty, column)
}
