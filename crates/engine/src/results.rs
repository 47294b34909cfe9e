//! Statement results as JSON, the shape every front door prints:
//! `{"columns":[...],"rows":[[...],...]}` for queries, `{"affected":N}` otherwise.

use datafusion::arrow::array::{Array, ArrayRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::arrow::util::display::array_value_to_string;
use datafusion::scalar::ScalarValue;
use serde_json::{json, Value as Json};

use crate::session::StatementResult;
use crate::sql::provider::TYPE_METADATA;
use crate::types::double_json;

impl StatementResult {
    pub fn to_json(&self) -> Json {
        match self {
            StatementResult::Rows { schema, batches } => json!({
                "columns": schema.fields().iter().map(|f| f.name().clone()).collect::<Vec<_>>(),
                "types": schema.fields().iter().map(|f| column_type_name(f)).collect::<Vec<_>>(),
                "rows": rows_json(batches),
            }),
            StatementResult::Affected(n) => json!({ "affected": n }),
            StatementResult::Done => json!({ "affected": 0 }),
            StatementResult::Subscription(s) => json!({ "subscription": s.id() }),
        }
    }
}

/// Every row of the batches as an array of JSON values.
pub fn rows_json(batches: &[RecordBatch]) -> Vec<Vec<Json>> {
    let mut rows = Vec::with_capacity(batches.iter().map(|b| b.num_rows()).sum());
    for batch in batches {
        let schema = batch.schema();
        let json_columns: Vec<bool> = schema
            .fields()
            .iter()
            .map(|f| f.metadata().get(TYPE_METADATA).map(String::as_str) == Some("JSON"))
            .collect();
        for row in 0..batch.num_rows() {
            rows.push(
                batch
                    .columns()
                    .iter()
                    .zip(&json_columns)
                    .map(|(c, &is_json)| match cell_json(c, row) {
                        Json::String(text) if is_json => serde_json::from_str(&text).unwrap_or(Json::String(text)),
                        other => other,
                    })
                    .collect(),
            );
        }
    }
    rows
}

/// One cell: numbers and booleans as JSON numbers and booleans, NULL as null, text as
/// strings, and everything else (dates, timestamps, bytes, lists) as its SQL text.
pub fn cell_json(array: &ArrayRef, row: usize) -> Json {
    if array.is_null(row) {
        return Json::Null;
    }
    let Ok(scalar) = ScalarValue::try_from_array(array, row) else {
        return Json::Null;
    };
    match scalar {
        ScalarValue::Boolean(Some(v)) => Json::Bool(v),
        ScalarValue::Int8(Some(v)) => json!(v),
        ScalarValue::Int16(Some(v)) => json!(v),
        ScalarValue::Int32(Some(v)) => json!(v),
        ScalarValue::Int64(Some(v)) => json!(v),
        ScalarValue::UInt8(Some(v)) => json!(v),
        ScalarValue::UInt16(Some(v)) => json!(v),
        ScalarValue::UInt32(Some(v)) => json!(v),
        ScalarValue::UInt64(Some(v)) => json!(v),
        ScalarValue::Float32(Some(v)) => double_json(v as f64),
        ScalarValue::Float64(Some(v)) => double_json(v),
        ScalarValue::Utf8(Some(v)) | ScalarValue::Utf8View(Some(v)) | ScalarValue::LargeUtf8(Some(v)) => {
            Json::String(v)
        }
        ScalarValue::Decimal128(Some(_), _, _) => {
            let text = scalar.to_string();
            text.parse::<serde_json::Number>()
                .map(Json::Number)
                .unwrap_or(Json::String(text))
        }
        // Dates and timestamps as ISO text, the way the table format shows them.
        ScalarValue::Date32(_)
        | ScalarValue::Date64(_)
        | ScalarValue::TimestampSecond(..)
        | ScalarValue::TimestampMillisecond(..)
        | ScalarValue::TimestampMicrosecond(..)
        | ScalarValue::TimestampNanosecond(..) => array_value_to_string(array, row)
            .map(Json::String)
            .unwrap_or(Json::Null),
        other => Json::String(other.to_string()),
    }
}

/// A result column's type as SQL: the table column's declared type when the column
/// comes straight from a table, else the SQL name of its Arrow type.
pub fn column_type_name(field: &datafusion::arrow::datatypes::Field) -> String {
    use datafusion::arrow::datatypes::DataType as D;
    if let Some(ty) = field.metadata().get(TYPE_METADATA) {
        return ty.clone();
    }
    match field.data_type() {
        D::Boolean => "BOOLEAN".into(),
        D::Int8 | D::Int16 | D::Int32 | D::UInt8 | D::UInt16 => "INT".into(),
        D::Int64 | D::UInt32 | D::UInt64 => "BIGINT".into(),
        D::Float16 | D::Float32 | D::Float64 => "DOUBLE".into(),
        D::Decimal128(p, s) | D::Decimal256(p, s) => format!("DECIMAL({p},{s})"),
        D::Utf8 | D::LargeUtf8 | D::Utf8View => "TEXT".into(),
        D::Binary | D::LargeBinary | D::BinaryView | D::FixedSizeBinary(_) => "BYTES".into(),
        D::Date32 | D::Date64 => "DATE".into(),
        D::Timestamp(_, _) => "TIMESTAMP".into(),
        other => other.to_string().to_uppercase(),
    }
}
