//! `SNOWFLAKE_ID()`: time-ordered unique 64-bit ids (milliseconds since 2020 in the
//! high bits, a counter in the low 22), strictly increasing within the process.

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use datafusion::arrow::array::Int64Array;
use datafusion::arrow::datatypes::DataType;
use datafusion::error::Result as DfResult;
use datafusion::logical_expr::{
    ColumnarValue, Expr, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature, Volatility,
};

const EPOCH_2020_MS: i64 = 1_577_836_800_000;
static LAST_ID: AtomicI64 = AtomicI64::new(0);

pub fn next_snowflake_id() -> i64 {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    let candidate = (now_ms - EPOCH_2020_MS).max(0) << 22;
    let mut last = LAST_ID.load(Ordering::Relaxed);
    loop {
        let next = candidate.max(last + 1);
        match LAST_ID.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(seen) => last = seen,
        }
    }
}

#[derive(Debug, PartialEq, Eq, Hash)]
struct SnowflakeId {
    signature: Signature,
}

impl ScalarUDFImpl for SnowflakeId {
    fn name(&self) -> &str {
        "snowflake_id"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> DfResult<DataType> {
        Ok(DataType::Int64)
    }

    fn invoke_with_args(&self, args: ScalarFunctionArgs) -> DfResult<ColumnarValue> {
        let ids: Int64Array = (0..args.number_rows).map(|_| Some(next_snowflake_id())).collect();
        Ok(ColumnarValue::Array(Arc::new(ids)))
    }
}

pub(crate) fn snowflake_id_udf() -> ScalarUDF {
    ScalarUDF::new_from_impl(SnowflakeId {
        signature: Signature::nullary(Volatility::Volatile),
    })
}

pub(crate) fn snowflake_id_expr() -> Expr {
    snowflake_id_udf().call(vec![])
}
