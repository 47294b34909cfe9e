//! DataFusion's errors, turned back into the engine's: our own errors travel through
//! DataFusion boxed as `External` and come out unchanged; DataFusion's own are
//! classified so the user sees which object is unknown.

use datafusion::arrow::error::ArrowError;
use datafusion::common::SchemaError;
use datafusion::error::DataFusionError;

use crate::error::{Error, ObjectKind, Position};
use crate::sql::parse::syntax_error;
use crate::sql::provider::CATALOG_NAME;

pub(crate) fn from_df(error: &DataFusionError, at: Position) -> Error {
    match error {
        DataFusionError::External(inner) => from_boxed(inner.as_ref(), at),
        DataFusionError::Context(_, inner) | DataFusionError::Diagnostic(_, inner) => from_df(inner, at),
        DataFusionError::Shared(inner) => from_df(inner, at),
        DataFusionError::Collection(errors) if !errors.is_empty() => from_df(&errors[0], at),
        DataFusionError::ArrowError(arrow, _) => match arrow.as_ref() {
            ArrowError::ExternalError(inner) => from_boxed(inner.as_ref(), at),
            ArrowError::CastError(message) => Error::Query(format!("type mismatch: {message}")),
            other => Error::Query(other.to_string()),
        },
        DataFusionError::SQL(parser, _) => syntax_error(&parser.to_string(), at),
        DataFusionError::SchemaError(schema, _) => match schema.as_ref() {
            SchemaError::FieldNotFound { field, .. } => Error::not_found(ObjectKind::Column, field.flat_name()),
            other => Error::Query(other.to_string()),
        },
        DataFusionError::Plan(message) => plan_error(message),
        DataFusionError::NotImplemented(message) => Error::Unsupported(message.clone()),
        DataFusionError::ResourcesExhausted(message) => Error::ResourcesExhausted(format!(
            "the statement needs more memory than one statement may use: {message}"
        )),
        DataFusionError::ExecutionJoin(e) => Error::Query(format!("query task failed: {e}")),
        other => Error::Query(strip_prefixes(&other.to_string())),
    }
}

fn from_boxed(inner: &(dyn std::error::Error + Send + Sync + 'static), at: Position) -> Error {
    if let Some(ours) = inner.downcast_ref::<Error>() {
        ours.clone()
    } else if let Some(df) = inner.downcast_ref::<DataFusionError>() {
        from_df(df, at)
    } else {
        Error::Query(inner.to_string())
    }
}

/// "table 'tidepool.app.x' not found" is a missing table (a bare name is looked up in
/// `default`; `Session::plan` says so when that namespace is missing); other planning errors keep
/// DataFusion's wording.
fn plan_error(message: &str) -> Error {
    if let Some(rest) = message.strip_prefix("table '") {
        if let Some(name) = rest.strip_suffix("' not found") {
            let name = name.strip_prefix(&format!("{CATALOG_NAME}.")).unwrap_or(name);
            return Error::not_found(ObjectKind::Table, name);
        }
    }
    Error::Query(message.to_string())
}

fn strip_prefixes(message: &str) -> String {
    message
        .trim_start_matches("Execution error: ")
        .trim_start_matches("Internal error: ")
        .to_string()
}
