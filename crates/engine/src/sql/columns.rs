//! Stored rows straight into Arrow columns, for scans: each stored value of a projected
//! column is appended to that column's builder as it is read from the row's bytes, and
//! the others are stepped over — no `Value`, no string copied twice, nothing decoded
//! that the query does not read. (`storage::row` has the format; `decode_row` is the
//! general decoder the rest of the engine uses.)

use std::sync::Arc;

use datafusion::arrow::array::{
    ArrayRef, BinaryBuilder, BooleanBuilder, Date32Builder, Decimal128Builder, Float64Builder, Int32Builder,
    Int64Builder, StringBuilder, TimestampMicrosecondBuilder,
};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::arrow::record_batch::{RecordBatch, RecordBatchOptions};

use crate::catalog::TableDef;
use crate::error::{Error, Result};
use crate::storage::row;
use crate::types::{SqlType, Value};

enum Builder {
    Boolean(BooleanBuilder),
    Int(Int32Builder),
    BigInt(Int64Builder),
    Double(Float64Builder),
    Decimal(Decimal128Builder, u8, i8),
    Text(StringBuilder),
    Bytes(BinaryBuilder),
    Date(Date32Builder),
    Timestamp(TimestampMicrosecondBuilder),
}

impl Builder {
    fn new(ty: SqlType, capacity: usize) -> Builder {
        match ty {
            SqlType::Boolean => Builder::Boolean(BooleanBuilder::with_capacity(capacity)),
            SqlType::Int => Builder::Int(Int32Builder::with_capacity(capacity)),
            SqlType::BigInt => Builder::BigInt(Int64Builder::with_capacity(capacity)),
            SqlType::Double => Builder::Double(Float64Builder::with_capacity(capacity)),
            SqlType::Decimal { precision, scale } => {
                Builder::Decimal(Decimal128Builder::with_capacity(capacity), precision, scale)
            }
            SqlType::Text | SqlType::Json => Builder::Text(StringBuilder::with_capacity(capacity, capacity * 32)),
            SqlType::Bytes => Builder::Bytes(BinaryBuilder::with_capacity(capacity, capacity * 32)),
            SqlType::Date => Builder::Date(Date32Builder::with_capacity(capacity)),
            SqlType::Timestamp => Builder::Timestamp(TimestampMicrosecondBuilder::with_capacity(capacity)),
        }
    }

    fn append_null(&mut self) {
        match self {
            Builder::Boolean(b) => b.append_null(),
            Builder::Int(b) => b.append_null(),
            Builder::BigInt(b) => b.append_null(),
            Builder::Double(b) => b.append_null(),
            Builder::Decimal(b, ..) => b.append_null(),
            Builder::Text(b) => b.append_null(),
            Builder::Bytes(b) => b.append_null(),
            Builder::Date(b) => b.append_null(),
            Builder::Timestamp(b) => b.append_null(),
        }
    }

    /// Appends one stored value (its tag and payload); a value of another type than
    /// the column's is corrupt.
    fn append(&mut self, value: row::Stored<'_>) -> Result<()> {
        use row::Stored as S;
        match (self, value) {
            (builder, S::Null) => builder.append_null(),
            (Builder::Boolean(b), S::Boolean(v)) => b.append_value(v),
            (Builder::Int(b), S::Int(v)) => b.append_value(v),
            (Builder::BigInt(b), S::BigInt(v)) => b.append_value(v),
            (Builder::Double(b), S::Double(v)) => b.append_value(v),
            (Builder::Decimal(b, ..), S::Decimal(v)) => b.append_value(v),
            (Builder::Text(b), S::Text(v) | S::Json(v)) => b.append_value(v),
            (Builder::Bytes(b), S::Bytes(v)) => b.append_value(v),
            (Builder::Date(b), S::Date(v)) => b.append_value(v),
            (Builder::Timestamp(b), S::Timestamp(v)) => b.append_value(v),
            _ => return Err(Error::Storage("a stored value does not match its column's type".into())),
        }
        Ok(())
    }

    fn append_value(&mut self, value: &Value) -> Result<()> {
        let stored = match value {
            Value::Null => row::Stored::Null,
            Value::Boolean(v) => row::Stored::Boolean(*v),
            Value::Int(v) => row::Stored::Int(*v),
            Value::BigInt(v) => row::Stored::BigInt(*v),
            Value::Double(v) => row::Stored::Double(*v),
            Value::Decimal(v) => row::Stored::Decimal(*v),
            Value::Text(v) => row::Stored::Text(v),
            Value::Json(v) => row::Stored::Json(v),
            Value::Bytes(v) => row::Stored::Bytes(v),
            Value::Date(v) => row::Stored::Date(*v),
            Value::Timestamp(v) => row::Stored::Timestamp(*v),
        };
        self.append(stored)
    }

    fn finish(&mut self) -> Result<ArrayRef> {
        Ok(match self {
            Builder::Boolean(b) => Arc::new(b.finish()),
            Builder::Int(b) => Arc::new(b.finish()),
            Builder::BigInt(b) => Arc::new(b.finish()),
            Builder::Double(b) => Arc::new(b.finish()),
            Builder::Decimal(b, precision, scale) => Arc::new(
                b.finish()
                    .with_precision_and_scale(*precision, *scale)
                    .map_err(|e| Error::Storage(e.to_string()))?,
            ),
            Builder::Text(b) => Arc::new(b.finish()),
            Builder::Bytes(b) => Arc::new(b.finish()),
            Builder::Date(b) => Arc::new(b.finish()),
            Builder::Timestamp(b) => Arc::new(b.finish()),
        })
    }
}

/// Decodes stored rows of one table into record batches of a projection of the
/// session's schema (`_user` first for an admin on a USER table).
pub(crate) struct ColumnDecoder {
    schema: SchemaRef,
    /// For each table column, in stored order, the output columns it fills.
    targets: Vec<Vec<usize>>,
    /// The output columns of `_user`, read from the key.
    owner: Vec<usize>,
    /// What rows written before a column was added read as, per table column.
    fills: Vec<Value>,
    types: Vec<SqlType>,
    builders: Vec<Builder>,
    capacity: usize,
    rows: usize,
}

impl ColumnDecoder {
    /// `projection` indexes the session schema, whose first column is `_user` when
    /// `offset` is 1; `types` are the projected columns' types.
    pub fn new(
        def: &TableDef,
        schema: SchemaRef,
        types: &[SqlType],
        projection: &[usize],
        offset: usize,
        capacity: usize,
    ) -> ColumnDecoder {
        let mut targets = vec![Vec::new(); def.columns.len()];
        let mut owner = Vec::new();
        for (out, &i) in projection.iter().enumerate() {
            match i.checked_sub(offset) {
                Some(c) => targets[c].push(out),
                None => owner.push(out),
            }
        }
        ColumnDecoder {
            schema,
            targets,
            owner,
            fills: def.columns.iter().map(|c| c.fill_value()).collect(),
            types: types.to_vec(),
            builders: types.iter().map(|&ty| Builder::new(ty, capacity)).collect(),
            capacity,
            rows: 0,
        }
    }

    /// Whether the owner is read: the caller then passes it to `push`.
    pub fn wants_owner(&self) -> bool {
        !self.owner.is_empty()
    }

    pub fn len(&self) -> usize {
        self.rows
    }

    /// Appends one stored row.
    pub fn push(&mut self, bytes: &[u8], owner: Option<&str>) -> Result<()> {
        let mut seen = 0;
        let targets = &self.targets;
        let wanted = |i: usize| targets.get(i).is_some_and(|outs| !outs.is_empty());
        for (i, value) in row::values_where(bytes, wanted)?.enumerate() {
            seen = i + 1;
            let Some(value) = value? else {
                continue;
            };
            if let Some(outs) = targets.get(i) {
                for &out in outs {
                    self.builders[out].append(value)?;
                }
            }
        }
        for i in seen..self.targets.len() {
            for &out in &self.targets[i] {
                self.builders[out].append_value(&self.fills[i])?;
            }
        }
        for &out in &self.owner {
            match owner {
                Some(user) => self.builders[out].append(row::Stored::Text(user))?,
                None => self.builders[out].append_null(),
            }
        }
        self.rows += 1;
        Ok(())
    }

    /// The rows appended so far as a batch; the decoder starts over.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let columns = self
            .builders
            .iter_mut()
            .map(Builder::finish)
            .collect::<Result<Vec<_>>>()?;
        self.builders = self.types.iter().map(|&ty| Builder::new(ty, self.capacity)).collect();
        let options = RecordBatchOptions::new().with_row_count(Some(self.rows));
        self.rows = 0;
        RecordBatch::try_new_with_options(self.schema.clone(), columns, &options)
            .map_err(|e| Error::Storage(e.to_string()))
    }
}
