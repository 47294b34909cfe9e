//! Printing results (from the engine, or as JSON from a server) as tables, JSON lines
//! or CSV, and errors with a caret under the spot.

use std::io::Write;
use std::time::Duration;

use serde_json::Value as Json;
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

    /// Prints a statement result a server sent (`{"columns","rows"}` or
    /// `{"affected"}`) the way a local one is printed.
    pub fn print_json(&self, result: &Json, elapsed: Duration) {
        let mut out = std::io::stdout().lock();
        let _ = match self.format {
            Format::Json => writeln!(out, "{result}"),
            Format::Table => write_json_table(&mut out, result, elapsed),
            Format::Csv => write_json_csv(&mut out, result),
        };
        let _ = out.flush();
    }
}

/// `(column names, rows)` of a JSON query result.
fn json_rows(result: &Json) -> Option<(Vec<String>, Vec<Vec<String>>)> {
    let columns = result.get("columns")?.as_array()?;
    let rows = result.get("rows")?.as_array()?;
    let names = columns
        .iter()
        .map(|c| c.as_str().unwrap_or_default().to_string())
        .collect();
    let cell = |v: &Json| match v {
        Json::Null => String::new(),
        Json::String(s) => s.clone(),
        other => other.to_string(),
    };
    let rows = rows
        .iter()
        .map(|row| row.as_array().map(|r| r.iter().map(cell).collect()).unwrap_or_default())
        .collect();
    Some((names, rows))
}

fn write_json_table(out: &mut impl Write, result: &Json, elapsed: Duration) -> std::io::Result<()> {
    let ms = elapsed.as_secs_f64() * 1000.0;
    let Some((names, rows)) = json_rows(result) else {
        let n = result.get("affected").and_then(Json::as_u64).unwrap_or(0);
        return writeln!(out, "{n} row{} affected ({ms:.1} ms)", if n == 1 { "" } else { "s" });
    };
    let mut widths: Vec<usize> = names.iter().map(|n| n.chars().count()).collect();
    for row in &rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let rule: String = widths
        .iter()
        .map(|w| format!("+{}", "-".repeat(w + 2)))
        .collect::<String>()
        + "+";
    let line = |cells: &[String]| -> String {
        cells
            .iter()
            .zip(&widths)
            .map(|(c, w)| format!("| {c}{} ", " ".repeat(w - c.chars().count())))
            .collect::<String>()
            + "|"
    };
    writeln!(out, "{rule}\n{}\n{rule}", line(&names))?;
    for row in &rows {
        writeln!(out, "{}", line(row))?;
    }
    writeln!(out, "{rule}")?;
    let n = rows.len();
    writeln!(out, "({n} row{}, {ms:.1} ms)", if n == 1 { "" } else { "s" })
}

fn write_json_csv(out: &mut impl Write, result: &Json) -> std::io::Result<()> {
    let Some((names, rows)) = json_rows(result) else {
        return Ok(());
    };
    let field = |s: &String| {
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s.clone()
        }
    };
    for row in std::iter::once(&names).chain(&rows) {
        writeln!(out, "{}", row.iter().map(field).collect::<Vec<_>>().join(","))?;
    }
    Ok(())
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
    print_error_at(&error.to_string(), error.position().map(|p| (p.line, p.column)), script);
}

/// Prints `message` on stderr and, given a (line, column), that line with a caret.
pub fn print_error_at(message: &str, position: Option<(u64, u64)>, script: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "error: {message}");
    if let Some((line, column)) = position {
        if let Some(text) = script.lines().nth(line.saturating_sub(1) as usize) {
            let number = line.to_string();
            let _ = writeln!(err, "  {number} | {text}");
            let _ = writeln!(
                err,
                "  {} | {}^",
                " ".repeat(number.len()),
                " ".repeat(column.saturating_sub(1) as usize)
            );
        }
    }
}
