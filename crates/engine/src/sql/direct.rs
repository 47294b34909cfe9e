//! The direct path: the statements people run most — `INSERT ... VALUES`, and SELECT,
//! UPDATE and DELETE of the row a whole primary key names — run straight against the
//! write transaction and the store, without DataFusion's planner and optimizer, which
//! cost hundreds of microseconds a statement (docs/sql-performance.md).
//!
//! It takes a statement only when its answer is certainly DataFusion's: one table that
//! is not a STREAM table (whose expired rows a scan hides), plain column names, values
//! that are literals or parameters needing no conversion beyond widening an integer,
//! and nothing else in the statement (the clauses are compared with a parsed template,
//! so a clause this module does not know sends the statement to DataFusion). The rows
//! are written by the same `Txn` calls, in the same order, as DataFusion's plans make
//! them (`sql::dml`), so constraint errors and live changes are the same too.
//! Everything else goes to DataFusion unchanged; `EngineOptions::sql_direct = false`
//! sends everything there, to compare the two (`tests/engine/direct.rs`, the fuzzer).

use std::sync::{Arc, LazyLock};

use datafusion::arrow::datatypes::{Field, Schema, SchemaRef};
use datafusion::arrow::record_batch::RecordBatch;
use datafusion::sql::sqlparser::ast::{
    AssignmentTarget, BinaryOperator, Delete, Expr as SqlExpr, FromTable, Insert, ObjectName, Query, Select,
    SelectItem, SetExpr, Statement, TableFactor, TableObject, TableWithJoins, UnaryOperator, Update, Value as SqlValue,
    Values, WildcardAdditionalOptions,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::catalog::{DefaultExpr, TableDef, TableKind, GENERATED_KEY_COLUMN, SYSTEM_NAMESPACE, USER_COLUMN};
use crate::convert::build_array;
use crate::engine::{decode_values, Inner};
use crate::error::Result;
use crate::session::StatementResult;
use crate::sql::ddl;
use crate::sql::functions::next_snowflake_id;
use crate::sql::parse::normalize_ident;
use crate::sql::provider::{session_schema, Scope, View};
use crate::types::{SqlType, Value};
use crate::write::{key_of, Txn};

/// A statement the direct path can run, compiled against the table it names.
#[derive(Debug, Clone)]
pub(crate) struct Direct {
    def: Arc<TableDef>,
    view: View,
    kind: Kind,
}

#[derive(Debug, Clone)]
enum Kind {
    /// Rows of slots, one per listed column; `columns[i]` is the session-schema column
    /// the i-th slot of a row fills.
    Insert {
        columns: Vec<usize>,
        rows: Vec<Vec<Slot>>,
    },
    /// The session-schema columns shown, under their output schema.
    Select {
        lookup: Lookup,
        columns: Vec<usize>,
        schema: SchemaRef,
    },
    /// (session-schema column, new value) pairs.
    Update {
        key: Key,
        set: Vec<(usize, Slot)>,
    },
    Delete {
        key: Key,
    },
}

/// The whole primary key: the owner's slot (an admin naming `_user` of a USER table)
/// and one slot per key column, in key order.
#[derive(Debug, Clone)]
struct Key {
    owner: Option<Slot>,
    columns: Vec<Slot>,
}

/// What a SELECT's WHERE names of the key: the owner's slot (as in `Key`), equalities
/// on the first key columns, then at most a range of the next one (each bound with
/// whether it is inclusive). Rows come in key order.
#[derive(Debug, Clone)]
struct Lookup {
    owner: Option<Slot>,
    equal: Vec<Slot>,
    lower: Option<(Slot, bool)>,
    upper: Option<(Slot, bool)>,
}

/// The stored keys a lookup reads: one key (`end` is `None`) when it names the whole
/// key, else the range `[start, end)`; and the owner of the rows when one is named.
struct Reads {
    owner: Option<String>,
    start: Vec<u8>,
    end: Option<Vec<u8>>,
}

/// A row read: its owner and stored bytes.
type Found = (Option<String>, Vec<u8>);

/// A comparison of a column with a literal or parameter.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Op {
    Eq,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Where a value comes from: a literal of the statement, or parameter `$n + 1`.
#[derive(Debug, Clone)]
enum Slot {
    Literal(Value),
    Param(usize),
}

impl Slot {
    fn value<'a>(&'a self, params: &'a [Value]) -> Option<&'a Value> {
        match self {
            Slot::Literal(value) => Some(value),
            Slot::Param(i) => params.get(*i),
        }
    }
}

/// `value` as a value of column type `ty`, when DataFusion's conversion gives exactly
/// this: the same type, an integer widened (or narrowed within range), NULL, or text
/// that is valid JSON for a JSON column. `None` for anything it might do differently.
fn exact(value: &Value, ty: SqlType) -> Option<Value> {
    let converted = match (value, ty) {
        (Value::Null, _) => Value::Null,
        (Value::Boolean(b), SqlType::Boolean) => Value::Boolean(*b),
        (Value::BigInt(i), SqlType::BigInt) => Value::BigInt(*i),
        (Value::BigInt(i), SqlType::Int) => Value::Int(i32::try_from(*i).ok()?),
        (Value::BigInt(i), SqlType::Double) => Value::Double(*i as f64),
        (Value::Int(i), SqlType::Int) => Value::Int(*i),
        (Value::Int(i), SqlType::BigInt) => Value::BigInt(i64::from(*i)),
        (Value::Int(i), SqlType::Double) => Value::Double(f64::from(*i)),
        (Value::Double(f), SqlType::Double) => Value::Double(*f),
        (Value::Text(s), SqlType::Text) => Value::Text(s.clone()),
        (Value::Text(s) | Value::Json(s), SqlType::Json) => {
            serde_json::from_str::<serde::de::IgnoredAny>(s).ok()?;
            Value::Json(s.clone())
        }
        (Value::Bytes(b), SqlType::Bytes) => Value::Bytes(b.clone()),
        (Value::Date(d), SqlType::Date) => Value::Date(*d),
        (Value::Timestamp(t), SqlType::Timestamp) => Value::Timestamp(*t),
        _ => return None,
    };
    Some(converted)
}

/// The types a key lookup compares exactly as DataFusion does (not DOUBLE, whose
/// -0.0 and NaN compare by value there but are stored by bits).
fn keyable(ty: SqlType) -> bool {
    matches!(ty, SqlType::Boolean | SqlType::Int | SqlType::BigInt | SqlType::Text)
}

/// A literal or parameter as a slot.
fn slot(expr: &SqlExpr) -> Option<Slot> {
    match expr {
        SqlExpr::Value(v) => match &v.value {
            SqlValue::Null => Some(Slot::Literal(Value::Null)),
            SqlValue::Boolean(b) => Some(Slot::Literal(Value::Boolean(*b))),
            SqlValue::SingleQuotedString(s) => Some(Slot::Literal(Value::Text(s.clone()))),
            SqlValue::Number(n, false) => number(n, false).map(Slot::Literal),
            SqlValue::Placeholder(p) => {
                let n: usize = p.strip_prefix('$')?.parse().ok()?;
                (n >= 1).then(|| Slot::Param(n - 1))
            }
            _ => None,
        },
        SqlExpr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => match expr.as_ref() {
            SqlExpr::Value(v) => match &v.value {
                SqlValue::Number(n, false) => number(n, true).map(Slot::Literal),
                _ => None,
            },
            _ => None,
        },
        _ => None,
    }
}

/// A statement with its literals taken out, so that statements which differ only in
/// their values share one compiled form (`Session` keeps them by this text): the text
/// with `$1`, `$2`, … where its numbers and strings were, and their values as `slot`
/// reads literals (a minus after `(`, `,`, `=`, `<` or `>` belongs to its number).
/// `None` for a text with parameters of its own, a comment or a `;`, or a literal read
/// another way (`E'…'`, `X'…'`, `DATE '…'`, `1abc`, a number beyond BIGINT).
pub(crate) fn literals_out(sql: &str) -> Option<(String, Vec<Value>)> {
    if sql.contains(['$', ';']) || sql.contains("--") || sql.contains("/*") {
        return None;
    }
    let bytes = sql.as_bytes();
    let mut out: Vec<u8> = Vec::with_capacity(sql.len() + 8);
    let mut values = Vec::new();
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80;
    // The previous byte that is not whitespace.
    let mut significant = b' ';
    let mut i = 0;
    let placeholder = |out: &mut Vec<u8>, values: &mut Vec<Value>, value: Value| {
        values.push(value);
        out.extend_from_slice(format!("${}", values.len()).as_bytes());
    };
    // The end of a number starting at `at`, when one does.
    let number_end = |at: usize| -> Option<usize> {
        let mut j = at;
        let digits = |j: &mut usize| {
            let start = *j;
            while bytes.get(*j).is_some_and(u8::is_ascii_digit) {
                *j += 1;
            }
            *j > start
        };
        let whole = digits(&mut j);
        let fraction = bytes.get(j) == Some(&b'.') && {
            j += 1;
            digits(&mut j) || whole
        };
        if !whole && !fraction {
            return None;
        }
        if matches!(bytes.get(j), Some(b'e' | b'E')) {
            let mut k = j + 1;
            if matches!(bytes.get(k), Some(b'+' | b'-')) {
                k += 1;
            }
            if bytes.get(k).is_some_and(u8::is_ascii_digit) {
                j = k;
                digits(&mut j);
            }
        }
        Some(j)
    };
    while i < bytes.len() {
        let c = bytes[i];
        let before = i.checked_sub(1).map(|p| bytes[p]);
        match c {
            b'\'' => {
                if before.is_some_and(word)
                    || significant.is_ascii_alphabetic() && before.is_some_and(|b| b.is_ascii_whitespace()) && {
                        // `DATE '…'`, `INTERVAL '…'`, `TIMESTAMP '…'`: a typed literal.
                        let text = std::str::from_utf8(&out).ok()?;
                        let last = text
                            .trim_end()
                            .rsplit(|ch: char| !ch.is_ascii_alphabetic())
                            .next()
                            .unwrap_or("");
                        ["DATE", "TIME", "TIMESTAMP", "INTERVAL"]
                            .iter()
                            .any(|k| k.eq_ignore_ascii_case(last))
                    }
                {
                    return None;
                }
                let mut text = Vec::new();
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return None,
                        Some(b'\'') if bytes.get(i + 1) == Some(&b'\'') => {
                            text.push(b'\'');
                            i += 2;
                        }
                        Some(b'\'') => {
                            i += 1;
                            break;
                        }
                        Some(&b) => {
                            text.push(b);
                            i += 1;
                        }
                    }
                }
                placeholder(&mut out, &mut values, Value::Text(String::from_utf8(text).ok()?));
                significant = b'0';
                continue;
            }
            b'"' => {
                out.push(c);
                i += 1;
                loop {
                    let b = *bytes.get(i)?;
                    out.push(b);
                    i += 1;
                    if b == b'"' {
                        if bytes.get(i) == Some(&b'"') {
                            out.push(b'"');
                            i += 1;
                            continue;
                        }
                        break;
                    }
                }
                significant = b'"';
                continue;
            }
            b'-' if matches!(significant, b'(' | b',' | b'=' | b'<' | b'>') => {
                let mut j = i + 1;
                while bytes.get(j).is_some_and(u8::is_ascii_whitespace) {
                    j += 1;
                }
                if let Some(end) = number_end(j) {
                    if bytes.get(end).is_some_and(|&b| word(b) || b == b'.') {
                        return None;
                    }
                    placeholder(&mut out, &mut values, number(&sql[j..end], true)?);
                    significant = b'0';
                    i = end;
                    continue;
                }
            }
            b'0'..=b'9' | b'.' if !before.is_some_and(|b| word(b) || b == b'"' || b == b'.') => {
                if let Some(end) = number_end(i) {
                    if bytes.get(end).is_some_and(|&b| word(b) || b == b'.') {
                        return None;
                    }
                    placeholder(&mut out, &mut values, number(&sql[i..end], false)?);
                    significant = b'0';
                    i = end;
                    continue;
                }
            }
            _ => {}
        }
        out.push(c);
        if !c.is_ascii_whitespace() {
            significant = c;
        }
        i += 1;
    }
    Some((String::from_utf8(out).ok()?, values))
}

/// A numeric literal as DataFusion reads it: BIGINT when it fits, else DOUBLE (one that
/// fits an unsigned 64-bit integer is UInt64 there, and is left to it).
fn number(text: &str, negative: bool) -> Option<Value> {
    if let Ok(i) = text.parse::<i64>() {
        return Some(Value::BigInt(if negative { i.checked_neg()? } else { i }));
    }
    if text.parse::<u64>().is_ok() || !text.bytes().all(|b| b.is_ascii_digit() || b".eE+-".contains(&b)) {
        return None;
    }
    let f = text.parse::<f64>().ok().filter(|f| f.is_finite())?;
    Some(Value::Double(if negative { -f } else { f }))
}

/// A plain column name (one identifier), normalized.
fn column_name(expr: &SqlExpr) -> Option<String> {
    match expr {
        SqlExpr::Identifier(ident) => Some(normalize_ident(&ident.value, ident.quote_style.is_some())),
        _ => None,
    }
}

fn object_column(name: &ObjectName) -> Option<String> {
    match name.0.as_slice() {
        [part] => part
            .as_ident()
            .map(|i| normalize_ident(&i.value, i.quote_style.is_some())),
        _ => None,
    }
}

/// Statements parsed once, against which a statement's clauses are compared: a
/// statement is plain when it equals its template once the parts this module reads are
/// copied over (AST equality ignores source positions).
struct Templates {
    insert: Insert,
    select: (Query, Select, TableWithJoins),
    update: Update,
    delete: Delete,
}

static TEMPLATES: LazyLock<Option<Templates>> = LazyLock::new(|| {
    let parse = |sql: &str| Parser::parse_sql(&GenericDialect {}, sql).ok()?.pop();
    let Some(Statement::Insert(insert)) = parse("INSERT INTO t (a) VALUES (1)") else {
        return None;
    };
    let Some(Statement::Query(query)) = parse("SELECT a FROM t WHERE a = 1") else {
        return None;
    };
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let select = (*query.clone(), (**select).clone(), select.from.first()?.clone());
    let Some(Statement::Update(update)) = parse("UPDATE t SET a = 1 WHERE a = 1") else {
        return None;
    };
    let Some(Statement::Delete(delete)) = parse("DELETE FROM t WHERE a = 1") else {
        return None;
    };
    Some(Templates {
        insert,
        select,
        update,
        delete,
    })
});

/// Whether `value` equals `template` once `copy` has copied the parts read elsewhere
/// from `value` into the template.
fn plain<T: Clone + PartialEq>(value: &T, template: &T, copy: impl FnOnce(&T, &mut T)) -> bool {
    let mut expected = template.clone();
    copy(value, &mut expected);
    *value == expected
}

/// A one-table FROM item without alias, joins or anything else, and the table it names.
fn single_table(from: &TableWithJoins, template: &TableWithJoins) -> Option<ObjectName> {
    let TableFactor::Table { name, .. } = &from.relation else {
        return None;
    };
    let is_plain = plain(from, template, |_, expected| {
        if let TableFactor::Table { name: n, .. } = &mut expected.relation {
            *n = name.clone();
        }
    });
    is_plain.then(|| name.clone())
}

/// Compiles `statement` for the direct path, or `None` when DataFusion must run it.
///
/// `statement` is borrowed mutably only to set a long VALUES list aside while the rest
/// is compared with its template; it is left as it was.
pub(crate) fn compile(scope: &Scope, statement: &mut Statement) -> Option<Direct> {
    if scope.file_access || scope.snapshot.lock().map(|s| s.is_some()).unwrap_or(true) {
        return None;
    }
    let templates = TEMPLATES.as_ref()?;
    match statement {
        Statement::Insert(insert) => compile_insert(scope, insert, &templates.insert),
        Statement::Query(query) => compile_select(scope, query, &templates.select),
        Statement::Update(update) => compile_update(scope, update, &templates.update),
        Statement::Delete(delete) => compile_delete(scope, delete, &templates.delete),
        _ => None,
    }
}

/// The table a statement names, as the session sees it: one the direct path serves.
fn target(scope: &Scope, name: &ObjectName) -> Option<(Arc<TableDef>, View)> {
    let name = ddl::table_name(name).ok()?;
    if name.namespace == SYSTEM_NAMESPACE
        || scope
            .external
            .lock()
            .map(|external| external.contains_key(&name))
            .unwrap_or(true)
    {
        return None;
    }
    let def = scope.inner.table(&name).ok()?;
    if def.kind == TableKind::Stream {
        return None;
    }
    let view = View::of(&def, &scope.actor);
    Some((def, view))
}

/// The session-schema index of a named column (`_user` only where the session shows it).
fn session_column(def: &TableDef, view: &View, name: &str) -> Option<usize> {
    if view.owner_column && name == USER_COLUMN {
        return Some(0);
    }
    def.columns
        .iter()
        .position(|c| c.name == name)
        .map(|i| i + view.offset())
}

fn column_type(def: &TableDef, view: &View, index: usize) -> SqlType {
    match index.checked_sub(view.offset()) {
        Some(i) => def.columns[i].ty,
        None => SqlType::Text,
    }
}

fn compile_insert(scope: &Scope, insert: &mut Insert, template: &Insert) -> Option<Direct> {
    // The rows are set aside while the rest is compared with the template (not copied
    // for it), then put back.
    let empty = || {
        Box::new(SetExpr::Values(Values {
            explicit_row: false,
            value_keyword: false,
            rows: Vec::new(),
        }))
    };
    let mut source = insert.source.take()?;
    let body = std::mem::replace(&mut source.body, empty());
    let is_plain = plain(&*insert, template, |insert, expected| {
        expected.table = insert.table.clone();
        expected.columns = insert.columns.clone();
        expected.source = None;
    });
    let plain_source = template
        .source
        .as_deref()
        .is_some_and(|template| plain(source.as_ref(), template, |_, expected| expected.body = empty()));
    source.body = body;
    insert.source = Some(source);
    let (TableObject::TableName(name), Some(source)) = (&insert.table, insert.source.as_deref()) else {
        return None;
    };
    let SetExpr::Values(values) = source.body.as_ref() else {
        return None;
    };
    let plain_source = plain_source && !values.explicit_row && !values.value_keyword;
    if !is_plain || !plain_source || insert.columns.is_empty() {
        return None;
    }
    let (def, view) = target(scope, name)?;
    let mut columns = Vec::with_capacity(insert.columns.len());
    for column in &insert.columns {
        let index = session_column(&def, &view, &object_column(column)?)?;
        if columns.contains(&index) {
            return None;
        }
        columns.push(index);
    }
    // An admin writing a USER table names each row's owner.
    if view.owner_column && !columns.contains(&0) {
        return None;
    }
    let mut rows = Vec::with_capacity(values.rows.len());
    for row in &values.rows {
        if row.len() != columns.len() {
            return None;
        }
        let slots = row.iter().map(slot).collect::<Option<Vec<_>>>()?;
        for (slot, &column) in slots.iter().zip(&columns) {
            if let Slot::Literal(value) = slot {
                insert_value(&def, &view, column, value)?;
            }
        }
        rows.push(slots);
    }
    Some(Direct {
        def,
        view,
        kind: Kind::Insert { columns, rows },
    })
}

/// The value an INSERT writes into session-schema column `column`: the owner must be a
/// non-empty text (DataFusion's plan reports the others).
fn insert_value(def: &TableDef, view: &View, column: usize, value: &Value) -> Option<Value> {
    if view.owner_column && column == 0 {
        return match value {
            Value::Text(user) if !user.is_empty() => Some(value.clone()),
            _ => None,
        };
    }
    exact(value, column_type(def, view, column))
}

/// `a = 1 AND b > 'x' AND c BETWEEN 1 AND 2` as (column, comparison, slot) terms.
fn terms(expr: &SqlExpr, out: &mut Vec<(String, Op, Slot)>) -> Option<()> {
    match expr {
        SqlExpr::BinaryOp {
            left,
            op: BinaryOperator::And,
            right,
        } => {
            terms(left, out)?;
            terms(right, out)
        }
        SqlExpr::BinaryOp { left, op, right } => {
            let op = match op {
                BinaryOperator::Eq => Op::Eq,
                BinaryOperator::Lt => Op::Lt,
                BinaryOperator::LtEq => Op::Le,
                BinaryOperator::Gt => Op::Gt,
                BinaryOperator::GtEq => Op::Ge,
                _ => return None,
            };
            let term = match (column_name(left), column_name(right)) {
                (Some(name), None) => (name, op, slot(right)?),
                // `1 < a` is `a > 1`.
                (None, Some(name)) => {
                    let flipped = match op {
                        Op::Lt => Op::Gt,
                        Op::Le => Op::Ge,
                        Op::Gt => Op::Lt,
                        Op::Ge => Op::Le,
                        Op::Eq => Op::Eq,
                    };
                    (name, flipped, slot(left)?)
                }
                _ => return None,
            };
            out.push(term);
            Some(())
        }
        SqlExpr::Between {
            expr,
            negated: false,
            low,
            high,
        } => {
            let name = column_name(expr)?;
            out.push((name.clone(), Op::Ge, slot(low)?));
            out.push((name, Op::Le, slot(high)?));
            Some(())
        }
        _ => None,
    }
}

/// A WHERE whose every term compares a key column (in key order: equalities, then at
/// most a range) with a literal of a type compared exactly, or a parameter; for an
/// admin on a USER table `_user` must be equal to one.
fn lookup_of_where(def: &TableDef, view: &View, selection: Option<&SqlExpr>) -> Option<Lookup> {
    let mut pending = Vec::new();
    terms(selection?, &mut pending)?;
    let checked = |slot: Slot, ty: SqlType| -> Option<Slot> {
        if let Slot::Literal(value) = &slot {
            exact(value, ty).filter(|v| !v.is_null())?;
        }
        Some(slot)
    };
    let mut take = |name: &str, op: Op| -> Option<Slot> {
        let at = pending.iter().position(|(n, o, _)| n == name && *o == op)?;
        Some(pending.swap_remove(at).2)
    };
    let owner = match view.owner_column {
        true => Some(checked(take(USER_COLUMN, Op::Eq)?, SqlType::Text)?),
        false => None,
    };
    let mut lookup = Lookup {
        owner,
        equal: Vec::new(),
        lower: None,
        upper: None,
    };
    for &i in &def.primary_key {
        let column = &def.columns[i];
        if !keyable(column.ty) {
            return None;
        }
        if let Some(slot) = take(&column.name, Op::Eq) {
            lookup.equal.push(checked(slot, column.ty)?);
            continue;
        }
        for (op, inclusive, upper) in [
            (Op::Ge, true, false),
            (Op::Gt, false, false),
            (Op::Le, true, true),
            (Op::Lt, false, true),
        ] {
            if let Some(slot) = take(&column.name, op) {
                let bound = if upper { &mut lookup.upper } else { &mut lookup.lower };
                if bound.is_some() {
                    return None;
                }
                *bound = Some((checked(slot, column.ty)?, inclusive));
            }
        }
        break;
    }
    pending.is_empty().then_some(lookup)
}

/// A WHERE that names exactly the whole key (and `_user` for an admin on a USER
/// table), each equal to a literal of a type compared exactly, or a parameter.
fn key_of_where(def: &TableDef, view: &View, selection: Option<&SqlExpr>) -> Option<Key> {
    let lookup = lookup_of_where(def, view, selection)?;
    let whole = lookup.equal.len() == def.primary_key.len() && lookup.lower.is_none() && lookup.upper.is_none();
    whole.then_some(Key {
        owner: lookup.owner,
        columns: lookup.equal,
    })
}

fn compile_select(scope: &Scope, query: &Query, template: &(Query, Select, TableWithJoins)) -> Option<Direct> {
    let SetExpr::Select(select) = query.body.as_ref() else {
        return None;
    };
    let is_plain = plain(query, &template.0, |query, expected| expected.body = query.body.clone())
        && plain(select.as_ref(), &template.1, |select, expected| {
            expected.projection = select.projection.clone();
            expected.from = select.from.clone();
            expected.selection = select.selection.clone();
        });
    let [from] = select.from.as_slice() else {
        return None;
    };
    if !is_plain {
        return None;
    }
    let (def, view) = target(scope, &single_table(from, &template.2)?)?;
    let lookup = lookup_of_where(&def, &view, select.selection.as_ref())?;
    let (session, _) = session_schema(&def, &view);
    let mut columns = Vec::new();
    let mut fields = Vec::new();
    let hidden = def.generated_key().then_some(GENERATED_KEY_COLUMN);
    for item in &select.projection {
        match item {
            SelectItem::Wildcard(options) if *options == WildcardAdditionalOptions::default() => {
                for (i, field) in session.fields().iter().enumerate() {
                    if Some(field.name().as_str()) != hidden {
                        columns.push(i);
                        fields.push(field.as_ref().clone());
                    }
                }
            }
            SelectItem::UnnamedExpr(expr) => {
                let index = session_column(&def, &view, &column_name(expr)?)?;
                columns.push(index);
                fields.push(session.field(index).clone());
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                let index = session_column(&def, &view, &column_name(expr)?)?;
                columns.push(index);
                let name = normalize_ident(&alias.value, alias.quote_style.is_some());
                fields.push(session.field(index).clone().with_name(name));
            }
            _ => return None,
        }
    }
    // DataFusion refuses two output columns of one name.
    let names: std::collections::HashSet<&str> = fields.iter().map(|f: &Field| f.name().as_str()).collect();
    if names.len() != fields.len() || fields.is_empty() {
        return None;
    }
    let schema = Arc::new(Schema::new(fields));
    Some(Direct {
        def,
        view,
        kind: Kind::Select {
            lookup,
            columns,
            schema,
        },
    })
}

fn compile_update(scope: &Scope, update: &Update, template: &Update) -> Option<Direct> {
    let is_plain = plain(update, template, |update, expected| {
        expected.table = update.table.clone();
        expected.assignments = update.assignments.clone();
        expected.selection = update.selection.clone();
    });
    if !is_plain {
        return None;
    }
    let (def, view) = target(scope, &single_table(&update.table, &template.table)?)?;
    let key = key_of_where(&def, &view, update.selection.as_ref())?;
    let mut set: Vec<(usize, Slot)> = Vec::with_capacity(update.assignments.len());
    for assignment in &update.assignments {
        let AssignmentTarget::ColumnName(name) = &assignment.target else {
            return None;
        };
        let index = session_column(&def, &view, &object_column(name)?)?;
        if index < view.offset() || set.iter().any(|(i, _)| *i == index) {
            return None;
        }
        let value = slot(&assignment.value)?;
        if let Slot::Literal(value) = &value {
            exact(value, column_type(&def, &view, index))?;
        }
        set.push((index, value));
    }
    Some(Direct {
        def,
        view,
        kind: Kind::Update { key, set },
    })
}

fn compile_delete(scope: &Scope, delete: &Delete, template: &Delete) -> Option<Direct> {
    let is_plain = plain(delete, template, |delete, expected| {
        expected.from = delete.from.clone();
        expected.selection = delete.selection.clone();
    });
    let FromTable::WithFromKeyword(from) = &delete.from else {
        return None;
    };
    let FromTable::WithFromKeyword(template_from) = &template.from else {
        return None;
    };
    let ([from], [template_from]) = (from.as_slice(), template_from.as_slice()) else {
        return None;
    };
    if !is_plain {
        return None;
    }
    let (def, view) = target(scope, &single_table(from, template_from)?)?;
    let key = key_of_where(&def, &view, delete.selection.as_ref())?;
    Some(Direct {
        def,
        view,
        kind: Kind::Delete { key },
    })
}

impl Direct {
    /// Whether the statement writes (and so takes the writer lock).
    pub fn writes(&self) -> bool {
        !matches!(self.kind, Kind::Select { .. })
    }

    /// The highest parameter the statement refers to (`$n` gives n), 0 for none.
    pub fn params(&self) -> usize {
        let slots: Box<dyn Iterator<Item = &Slot>> = match &self.kind {
            Kind::Insert { rows, .. } => Box::new(rows.iter().flatten()),
            Kind::Select { lookup, .. } => Box::new(lookup.slots()),
            Kind::Delete { key } => Box::new(key.slots()),
            Kind::Update { key, set } => Box::new(key.slots().chain(set.iter().map(|(_, s)| s))),
        };
        slots
            .filter_map(|s| match s {
                Slot::Param(i) => Some(i + 1),
                Slot::Literal(_) => None,
            })
            .max()
            .unwrap_or(0)
    }

    /// Runs a SELECT. `None` when a parameter's value is one DataFusion must convert.
    pub fn read(&self, inner: &Inner, params: &[Value]) -> Option<Result<StatementResult>> {
        let Kind::Select {
            lookup,
            columns,
            schema,
        } = &self.kind
        else {
            return None;
        };
        let Reads { owner, start, end } = self.range(lookup, params)?;
        let mut values: Vec<Vec<Value>> = vec![Vec::new(); columns.len()];
        let mut read = || -> Result<()> {
            let found: Box<dyn Iterator<Item = Result<Found>>> = match &end {
                None => Box::new(
                    inner
                        .store
                        .get(&start)?
                        .map(|bytes| Ok((owner.clone(), bytes)))
                        .into_iter(),
                ),
                Some(end) => Box::new(inner.store.range(&start, end).map(|item| {
                    let (key, bytes) = item?;
                    let owner = match (&owner, self.def.kind) {
                        (Some(owner), _) => Some(owner.clone()),
                        (None, TableKind::User) => Some(
                            crate::storage::keys::decode_key_text(&key[crate::storage::keys::data_prefix_len()..])?.0,
                        ),
                        (None, _) => None,
                    };
                    Ok((owner, bytes.into_vec()))
                })),
            };
            for item in found {
                let (owner, bytes) = item?;
                let row = decode_values(&self.def, &bytes)?;
                for (out, &i) in values.iter_mut().zip(columns) {
                    out.push(match i.checked_sub(self.view.offset()) {
                        Some(c) => row[c].clone(),
                        None => owner.clone().map_or(Value::Null, Value::Text),
                    });
                }
            }
            Ok(())
        };
        if let Err(e) = read() {
            return Some(Err(e));
        }
        Some(self.batch(columns, schema, &values))
    }

    fn batch(&self, columns: &[usize], schema: &SchemaRef, values: &[Vec<Value>]) -> Result<StatementResult> {
        let rows = values.first().map_or(0, Vec::len);
        if rows == 0 {
            return Ok(StatementResult::Rows {
                schema: schema.clone(),
                batches: Vec::new(),
            });
        }
        let arrays = columns
            .iter()
            .zip(values)
            .map(|(&i, values)| build_array(column_type(&self.def, &self.view, i), values.iter()))
            .collect::<Result<Vec<_>>>()?;
        let batch =
            RecordBatch::try_new(schema.clone(), arrays).map_err(|e| crate::error::Error::Query(e.to_string()))?;
        Ok(StatementResult::Rows {
            schema: schema.clone(),
            batches: vec![batch],
        })
    }

    /// What a lookup reads with these parameters.
    fn range(&self, lookup: &Lookup, params: &[Value]) -> Option<Reads> {
        let owner = match (&lookup.owner, &self.view.owner) {
            (Some(slot), _) => match slot.value(params)? {
                Value::Text(user) => Some(user.clone()),
                _ => return None,
            },
            (None, owner) => owner.clone(),
        };
        let key_value = |slot: &Slot, i: usize| {
            exact(slot.value(params)?, self.def.columns[self.def.primary_key[i]].ty).filter(|v| !v.is_null())
        };
        let mut equal = Vec::with_capacity(lookup.equal.len());
        for (i, slot) in lookup.equal.iter().enumerate() {
            equal.push(key_value(slot, i)?);
        }
        let prefix = key_of(&self.def, owner.as_deref(), &equal);
        let whole = equal.len() == self.def.primary_key.len();
        if whole {
            return Some(Reads {
                owner,
                start: prefix,
                end: None,
            });
        }
        let next = equal.len();
        let bound = |bound: &Option<(Slot, bool)>| -> Option<Option<(Vec<u8>, bool)>> {
            match bound {
                None => Some(None),
                Some((slot, inclusive)) => {
                    let mut key = prefix.clone();
                    crate::storage::keys::encode_key_value(&mut key, &key_value(slot, next)?);
                    Some(Some((key, *inclusive)))
                }
            }
        };
        use crate::storage::keys::prefix_end;
        let start = match bound(&lookup.lower)? {
            None => prefix.clone(),
            Some((key, true)) => key,
            Some((key, false)) => prefix_end(&key),
        };
        let end = match bound(&lookup.upper)? {
            None => prefix_end(&prefix),
            Some((key, true)) => prefix_end(&key),
            Some((key, false)) => key,
        };
        let end = if end < start { start.clone() } else { end };
        Some(Reads {
            owner,
            start,
            end: Some(end),
        })
    }

    /// Runs a write in `txn` (which holds the writer lock). `None` when the table
    /// changed since the statement was compiled, or a parameter's value is one
    /// DataFusion must convert: nothing was written, and DataFusion runs it instead.
    pub fn write(&self, mut txn: Txn<'_>, inner: &Inner, params: &[Value]) -> Option<Result<StatementResult>> {
        if !self.is_current(inner) {
            return None;
        }
        let applied = self.apply(&mut txn, params)?;
        Some(applied.and_then(|count| {
            if count > 0 || matches!(self.kind, Kind::Insert { .. }) {
                txn.commit()?;
            }
            Ok(StatementResult::Affected(count))
        }))
    }

    /// Runs a write once per row of parameters in `txn`, committing them together.
    /// `None` as for `write` (nothing written).
    pub fn write_batch(&self, mut txn: Txn<'_>, inner: &Inner, rows: &[Vec<Value>]) -> Option<Result<u64>> {
        if !self.is_current(inner) {
            return None;
        }
        let mut total = 0;
        for params in rows {
            match self.apply(&mut txn, params) {
                Some(Ok(count)) => total += count,
                Some(Err(e)) => return Some(Err(e)),
                None => {
                    return Some(Err(crate::error::Error::Unsupported(
                        "a parameter of the batch needs a conversion only a statement run alone makes; \
                         give values of the columns' types"
                            .into(),
                    )))
                }
            }
        }
        Some((|| {
            if total > 0 {
                txn.commit()?;
            }
            Ok(total)
        })())
    }

    /// Whether the table is still the one the statement was compiled against.
    fn is_current(&self, inner: &Inner) -> bool {
        let name = crate::catalog::TableName::new(&self.def.namespace, &self.def.name);
        inner.table(&name).is_ok_and(|now| Arc::ptr_eq(&now, &self.def))
    }

    /// Applies a write to `txn` without committing; the rows it changed.
    fn apply(&self, txn: &mut Txn<'_>, params: &[Value]) -> Option<Result<u64>> {
        match &self.kind {
            Kind::Select { .. } => None,
            Kind::Insert { columns, rows } => {
                // Every value is converted before anything is written, as DataFusion's
                // plan evaluates its VALUES before it writes.
                let mut images = Vec::with_capacity(rows.len());
                for row in rows {
                    images.push(self.new_row(txn, columns, row, params)?);
                }
                let count = images.len() as u64;
                Some((|| {
                    for (owner, values) in images {
                        txn.insert(&self.def, owner.as_deref(), values)?;
                    }
                    txn.enforce_max_rows(&self.def)?;
                    Ok(count)
                })())
            }
            Kind::Update { key, set } => {
                let (owner, row_key) = self.key(key, params)?;
                let mut changes = Vec::with_capacity(set.len());
                for (index, slot) in set {
                    let value = exact(slot.value(params)?, column_type(&self.def, &self.view, *index))?;
                    changes.push((index - self.view.offset(), value));
                }
                Some((|| {
                    let Some(stored) = txn.get(&row_key)? else {
                        return Ok(0);
                    };
                    let old = decode_values(&self.def, &stored)?;
                    let mut new = old.clone();
                    for (i, value) in changes {
                        new[i] = value;
                    }
                    // A row whose new image equals the old did not change (`sql::dml`).
                    if new.iter().zip(&old).all(|(a, b)| a.same(b)) {
                        return Ok(0);
                    }
                    txn.update(&self.def, owner.as_deref(), &row_key, new)?;
                    Ok(1)
                })())
            }
            Kind::Delete { key } => {
                let (_, row_key) = self.key(key, params)?;
                Some(txn.delete(&self.def, &row_key).map(u64::from))
            }
        }
    }

    /// The owner and values of an inserted row: the listed columns' values, the
    /// others' defaults (as `RocksTable`'s column defaults give them to DataFusion).
    fn new_row(
        &self,
        txn: &Txn<'_>,
        columns: &[usize],
        row: &[Slot],
        params: &[Value],
    ) -> Option<(Option<String>, Vec<Value>)> {
        let mut owner = self.view.owner.clone();
        let mut values: Vec<Option<Value>> = vec![None; self.def.columns.len()];
        for (&column, slot) in columns.iter().zip(row) {
            let value = insert_value(&self.def, &self.view, column, slot.value(params)?)?;
            match column.checked_sub(self.view.offset()) {
                Some(i) => values[i] = Some(value),
                None => match value {
                    Value::Text(user) => owner = Some(user),
                    _ => return None,
                },
            }
        }
        let values = values
            .into_iter()
            .zip(&self.def.columns)
            .map(|(value, column)| match value {
                Some(value) => Some(value),
                None => Some(match &column.default {
                    Some(DefaultExpr::SnowflakeId) => Value::BigInt(next_snowflake_id()),
                    Some(DefaultExpr::Now) => Value::Timestamp(txn.now_micros),
                    Some(DefaultExpr::Literal(json)) => Value::from_json(json, column.ty, &column.name).ok()?,
                    None => Value::Null,
                }),
            })
            .collect::<Option<Vec<_>>>()?;
        Some((owner, values))
    }

    /// The owner and stored key a key's slots name.
    fn key(&self, key: &Key, params: &[Value]) -> Option<(Option<String>, Vec<u8>)> {
        let owner = match (&key.owner, &self.view.owner) {
            (Some(slot), _) => match slot.value(params)? {
                Value::Text(user) => Some(user.clone()),
                _ => return None,
            },
            (None, owner) => owner.clone(),
        };
        let mut values = Vec::with_capacity(key.columns.len());
        for (slot, &i) in key.columns.iter().zip(&self.def.primary_key) {
            let value = exact(slot.value(params)?, self.def.columns[i].ty).filter(|v| !v.is_null())?;
            values.push(value);
        }
        let row_key = key_of(&self.def, owner.as_deref(), &values);
        Some((owner, row_key))
    }
}

impl Key {
    fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.owner.iter().chain(&self.columns)
    }
}

impl Lookup {
    fn slots(&self) -> impl Iterator<Item = &Slot> {
        self.owner
            .iter()
            .chain(&self.equal)
            .chain(self.lower.iter().map(|(s, _)| s))
            .chain(self.upper.iter().map(|(s, _)| s))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn out(sql: &str) -> Option<(String, Vec<Value>)> {
        literals_out(sql)
    }

    #[test]
    fn literals_come_out_of_a_statement_as_its_parameters() {
        let (shape, values) = out("INSERT INTO a.t1 VALUES (1, -2.5, 'it''s', 1e3, .5, - 7, NULL, true)").unwrap();
        assert_eq!(shape, "INSERT INTO a.t1 VALUES ($1, $2, $3, $4, $5, $6, NULL, true)");
        assert_eq!(
            values,
            [
                Value::BigInt(1),
                Value::Double(-2.5),
                Value::Text("it's".into()),
                Value::Double(1000.0),
                Value::Double(0.5),
                Value::BigInt(-7),
            ]
        );
        let (shape, values) =
            out("SELECT \"a1\", b2 FROM t WHERE id=-3 AND n - 1 > 2 AND s = 'é;'").unwrap_or_default();
        assert_eq!((shape.as_str(), values.len()), ("", 0), "a ; anywhere is left alone");
        let (shape, values) = out("SELECT \"a 1\", b2 FROM t WHERE id=-3 AND n - 1 > 2").unwrap();
        assert_eq!(shape, "SELECT \"a 1\", b2 FROM t WHERE id=$1 AND n - $2 > $3");
        assert_eq!(values, [Value::BigInt(-3), Value::BigInt(1), Value::BigInt(2)]);
        for refused in [
            "SELECT E'x'",
            "SELECT X'00'",
            "SELECT DATE '2026-01-01'",
            "SELECT 1abc",
            "SELECT 18446744073709551615",
            "SELECT $1",
            "SELECT 1 -- c",
            "SELECT 'unterminated",
        ] {
            assert_eq!(out(refused), None, "{refused}");
        }
    }
}
