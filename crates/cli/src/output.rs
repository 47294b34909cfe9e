//! Printing results as tables, JSON lines or CSV, and errors with a caret under the spot.

use std::io::Write;
use std::time::Duration;

use tidepool_engine::arrow::csv::WriterBuilder;
use tidepool_engine::arrow::util::pretty::pretty_format_batches_with_schema;
use tidepool_engine::{Error, StatementResult};

use crate::Format;

pub struct Printer {
    format: Format,
}

impl Printer {
    pub fn new(format: Format) -> Printer {
        Printer { format }
    }

    pub fn print(&self, result: &StatementResult, elapsed: Duration) {
        let mut out = std::io::stdout().lock();
        // A closed stdout (e.g. piped into `head`) is not an error worth reporting.
        let _ = match self.format {
            Format::Json => writeln!(out, "{}", result.to_json()),
            Format::Table => write_table(&mut out, result, elapsed),
            Format::Csv => write_csv(&mut out, result),
        };
        let _ = out.flush();
    }
}

fn write_table(out: &mut impl Write, result: &StatementResult, elapsed: Duration) -> std::io::Result<()> {
    let ms = elapsed.as_secs_f64() * 1000.0;
    match result {
        StatementResult::Rows { schema, batches } => {
            match pretty_format_batches_with_schema(schema.clone(), batches) {
                Ok(table) => writeln!(out, "{table}")?,
                Err(e) => writeln!(out, "(cannot display: {e})")?,
            }
            let n = result.row_count();
            writeln!(out, "({n} row{}, {ms:.1} ms)", if n == 1 { "" } else { "s" })
        }
        StatementResult::Affected(n) => {
            writeln!(out, "{n} row{} affected ({ms:.1} ms)", if *n == 1 { "" } else { "s" })
        }
        StatementResult::Done => writeln!(out, "OK ({ms:.1} ms)"),
        StatementResult::Subscription(s) => writeln!(out, "subscribed {}", s.id()),
    }
}

/// CSV has a header row per query; writes and DDL print nothing, so the output stays
/// machine-readable.
fn write_csv(out: &mut impl Write, result: &StatementResult) -> std::io::Result<()> {
    let StatementResult::Rows { schema, batches } = result else {
        return Ok(());
    };
    let mut buffer = Vec::new();
    {
        let mut writer = WriterBuilder::new().with_header(true).build(&mut buffer);
        if batches.is_empty() {
            let names: Vec<&str> = schema.fields().iter().map(|f| f.name().as_str()).collect();
            writeln!(out, "{}", names.join(","))?;
        }
        for batch in batches {
            if let Err(e) = writer.write(batch) {
                return writeln!(std::io::stderr(), "error: cannot write CSV: {e}");
            }
        }
    }
    out.write_all(&buffer)
}

/// Prints an error on stderr; syntax errors show the line and a caret.
pub fn print_error(error: &Error, script: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {error}");
    if let Some(position) = error.position() {
        if let Some(line) = script.lines().nth(position.line.saturating_sub(1) as usize) {
            let number = position.line.to_string();
            let _ = writeln!(err, "  {number} | {line}");
            let _ = writeln!(
                err,
                "  {} | {}^",
                " ".repeat(number.len()),
                " ".repeat(position.column.saturating_sub(1) as usize)
            );
        }
    }
}
