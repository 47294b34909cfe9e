//! "Did you mean": an engine error that names a table, namespace or column that does
//! not exist gets the closest name the catalog has, as a question in its message and as
//! a [`DidYouMean`] the console offers to apply. The engine says what is missing; the
//! catalog the app shows anyway says what is there.
//!
//! Names are compared case-insensitively by edit distance (a letter added, dropped,
//! changed, or two swapped), and only close ones are offered: about one edit per three
//! letters, at most three.

use tidepool_engine::{Engine, Error as EngineError, ObjectKind, DEFAULT_NAMESPACE};

use crate::error::{DidYouMean, IpcError};

/// The engine's error as the UI gets it, with the closest existing name when it names a
/// missing one. `sql` is the statement that failed (its tables narrow a column's search).
pub fn explain(engine: &Engine, error: EngineError, sql: &str) -> IpcError {
    let suggestion = did_you_mean(&Names::of(engine), &error, sql);
    let mut ipc = IpcError::from(error);
    if let Some(s) = suggestion {
        ipc.message = format!("{}; did you mean {}?", ipc.message, s.suggestion);
        ipc.did_you_mean = Some(s);
    }
    ipc
}

/// The catalog's names: namespaces, and every table with its columns as
/// `(namespace, table, columns)`.
pub struct Names {
    namespaces: Vec<String>,
    tables: Vec<(String, String, Vec<String>)>,
}

impl Names {
    pub fn of(engine: &Engine) -> Names {
        let summary = engine.catalog_summary();
        let namespaces = summary.iter().map(|ns| ns.name.clone()).collect();
        let tables = summary
            .into_iter()
            .flat_map(|ns| ns.tables)
            .map(|t| {
                let columns = t.def.columns.iter().map(|c| c.name.clone()).collect();
                (t.def.namespace.clone(), t.def.name.clone(), columns)
            })
            .collect();
        Names { namespaces, tables }
    }
}

pub fn did_you_mean(names: &Names, error: &EngineError, sql: &str) -> Option<DidYouMean> {
    match error {
        EngineError::NotFound {
            kind: ObjectKind::Table,
            name,
        } => {
            // A bare name is looked up in `default`: the user wrote only the table.
            match name.strip_prefix(&format!("{DEFAULT_NAMESPACE}.")) {
                Some(bare) if !mentions(sql, name) => bare_table(names, bare),
                _ => table(names, name),
            }
        }
        // A bare name while there is no namespace `default` (the engine's wording).
        EngineError::InvalidArgument(message) => message
            .strip_prefix("table name '")
            .and_then(|rest| rest.split_once("' must be written namespace.table"))
            .and_then(|(bare, _)| bare_table(names, bare)),
        EngineError::NotFound {
            kind: ObjectKind::Namespace,
            name,
        } => closest(
            name,
            names.namespaces.iter().map(|ns| (distance_to(name, ns), ident(ns))),
        ),
        EngineError::NotFound {
            kind: ObjectKind::Column,
            name,
        } => column(names, name, sql),
        _ => None,
    }
}

/// `ns.table` against every table: a typo anywhere, or the right table in another
/// namespace.
fn table(names: &Names, name: &str) -> Option<DidYouMean> {
    let wanted = name.rsplit_once('.').map_or(name, |(_, t)| t);
    let candidates = names.tables.iter().map(|(ns, t, _)| {
        // The same table name in another namespace counts as one edit.
        let edits = if t.eq_ignore_ascii_case(wanted) {
            1
        } else {
            distance_to(name, &format!("{ns}.{t}"))
        };
        (edits, format!("{}.{}", ident(ns), ident(t)))
    });
    closest(name, candidates)
}

/// A table written without its namespace: the table of that (or a close) name, with its
/// namespace (bare when it is in `default`).
fn bare_table(names: &Names, bare: &str) -> Option<DidYouMean> {
    let candidates = names.tables.iter().map(|(ns, t, _)| {
        let written = if ns == DEFAULT_NAMESPACE {
            ident(t)
        } else {
            format!("{}.{}", ident(ns), ident(t))
        };
        (distance_to(bare, t), written)
    });
    let mut found = closest(bare, candidates)?;
    found.name = bare.to_string();
    Some(found)
}

/// A column (maybe `alias.column`) against the columns of the tables the statement
/// names; the qualifier is kept.
fn column(names: &Names, name: &str, sql: &str) -> Option<DidYouMean> {
    let (qualifier, wanted) = match name.rsplit_once('.') {
        Some((q, c)) => (Some(q), c),
        None => (None, name),
    };
    let read = names.tables.iter().filter(|(ns, t, _)| {
        mentions(sql, &format!("{ns}.{t}"))
            || mentions(sql, &format!("{}.{}", quote(ns), quote(t)))
            || (ns == DEFAULT_NAMESPACE && mentions(sql, t))
    });
    let candidates = read.flat_map(|(_, _, columns)| columns.iter()).map(|c| {
        let written = qualifier.map_or_else(|| ident(c), |q| format!("{q}.{}", ident(c)));
        (distance_to(wanted, c), written)
    });
    let mut found = closest(wanted, candidates)?;
    found.name = name.to_string();
    Some(found)
}

/// Of candidates `(edits from wanted, name as written)`, the nearest if near enough
/// (ties go to the first), unless it is what was written.
fn closest(wanted: &str, candidates: impl Iterator<Item = (usize, String)>) -> Option<DidYouMean> {
    let limit = (wanted.chars().count() / 3).clamp(1, 3);
    candidates
        .filter(|(edits, written)| *edits <= limit && written != wanted)
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, written)| DidYouMean {
            name: wanted.to_string(),
            suggestion: written,
        })
}

/// Edits between two names, whatever their case.
fn distance_to(a: &str, b: &str) -> usize {
    distance(&a.to_lowercase(), &b.to_lowercase())
}

/// Edits from `a` to `b`: insertions, deletions, substitutions and swaps of two
/// neighbours (the optimal string alignment distance).
fn distance(a: &str, b: &str) -> usize {
    let (a, b): (Vec<char>, Vec<char>) = (a.chars().collect(), b.chars().collect());
    let mut rows = vec![(0..=b.len()).collect::<Vec<_>>()];
    for i in 1..=a.len() {
        let mut row = vec![i; b.len() + 1];
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            row[j] = (rows[i - 1][j] + 1).min(row[j - 1] + 1).min(rows[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                row[j] = row[j].min(rows[i - 2][j - 2] + 1);
            }
        }
        rows.push(row);
    }
    rows[a.len()][b.len()]
}

/// Whether `sql` has `name` as a whole word (case-insensitively).
fn mentions(sql: &str, name: &str) -> bool {
    let (sql, name) = (sql.to_lowercase(), name.to_lowercase());
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    sql.match_indices(&name)
        .any(|(at, _)| !word(sql[..at].chars().next_back()) && !word(sql[at + name.len()..].chars().next()))
}

/// A name as SQL must spell it: bare when it reads back the same, else quoted.
fn ident(name: &str) -> String {
    let plain = name.chars().next().is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_string()
    } else {
        quote(name)
    }
}

fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        let table = |ns: &str, t: &str, columns: &[&str]| {
            (
                ns.to_string(),
                t.to_string(),
                columns.iter().map(|c| c.to_string()).collect(),
            )
        };
        Names {
            namespaces: ["system", "shop", "crm", "empty"].map(String::from).to_vec(),
            tables: vec![
                table("system", "tables", &["namespace", "name"]),
                table("shop", "customers", &["id", "name", "email"]),
                table("shop", "orders", &["id", "customer_id", "status", "total"]),
                table("shop", "Order Items", &["order_id", "sku"]),
                table("crm", "contacts", &["id", "Full Name"]),
            ],
        }
    }

    fn missing(kind: ObjectKind, name: &str) -> EngineError {
        EngineError::NotFound {
            kind,
            name: name.to_string(),
        }
    }

    fn suggest(error: EngineError, sql: &str) -> Option<(String, String)> {
        did_you_mean(&names(), &error, sql).map(|d| (d.name, d.suggestion))
    }

    fn pair(name: &str, suggestion: &str) -> Option<(String, String)> {
        Some((name.to_string(), suggestion.to_string()))
    }

    #[test]
    fn a_misspelled_table_gets_the_closest_one() {
        let sql = "SELECT * FROM shop.ordrs";
        assert_eq!(
            suggest(missing(ObjectKind::Table, "shop.ordrs"), sql),
            pair("shop.ordrs", "shop.orders")
        );
        assert_eq!(
            suggest(missing(ObjectKind::Table, "shop.cutsomers"), ""),
            pair("shop.cutsomers", "shop.customers")
        );
        assert_eq!(
            suggest(missing(ObjectKind::Table, "shp.orders"), ""),
            pair("shp.orders", "shop.orders")
        );
        assert_eq!(
            suggest(missing(ObjectKind::Table, "system.tabels"), ""),
            pair("system.tabels", "system.tables")
        );
        // The right table in another namespace.
        assert_eq!(
            suggest(missing(ObjectKind::Table, "sales.orders"), ""),
            pair("sales.orders", "shop.orders")
        );
        // A name that must be quoted is offered quoted.
        assert_eq!(
            suggest(missing(ObjectKind::Table, "shop.order item"), ""),
            pair("shop.order item", "shop.\"Order Items\"")
        );
    }

    #[test]
    fn nothing_close_gets_no_suggestion() {
        assert_eq!(suggest(missing(ObjectKind::Table, "shop.invoices"), ""), None);
        assert_eq!(suggest(missing(ObjectKind::Table, "x.y"), ""), None);
        assert_eq!(suggest(missing(ObjectKind::Namespace, "inventory"), ""), None);
        assert_eq!(suggest(EngineError::Query("division by zero".into()), ""), None);
    }

    #[test]
    fn a_bare_table_gets_its_namespace() {
        let no_default = EngineError::InvalidArgument(
            "table name 'orders' must be written namespace.table, or CREATE NAMESPACE default for names without one"
                .into(),
        );
        assert_eq!(
            suggest(no_default, "SELECT * FROM orders"),
            pair("orders", "shop.orders")
        );
        // With a namespace `default`, the engine looked there.
        assert_eq!(
            suggest(missing(ObjectKind::Table, "default.ordrs"), "SELECT * FROM ordrs"),
            pair("ordrs", "shop.orders")
        );
        assert_eq!(
            suggest(
                missing(ObjectKind::Table, "default.ordrs"),
                "SELECT * FROM default.ordrs"
            ),
            None
        );
    }

    #[test]
    fn a_misspelled_namespace_gets_the_closest_one() {
        assert_eq!(
            suggest(missing(ObjectKind::Namespace, "shp"), "SHOW TABLES IN shp"),
            pair("shp", "shop")
        );
        assert_eq!(
            suggest(missing(ObjectKind::Namespace, "sytem"), ""),
            pair("sytem", "system")
        );
        assert_eq!(
            suggest(missing(ObjectKind::Namespace, "emtpy"), ""),
            pair("emtpy", "empty")
        );
    }

    #[test]
    fn a_misspelled_column_gets_one_of_the_statements_tables() {
        let sql = "SELECT totl FROM shop.orders";
        assert_eq!(suggest(missing(ObjectKind::Column, "totl"), sql), pair("totl", "total"));
        let joined = "SELECT o.id FROM shop.orders o JOIN shop.customers c ON o.customer_id = c.idd";
        assert_eq!(
            suggest(missing(ObjectKind::Column, "c.idd"), joined),
            pair("c.idd", "c.id")
        );
        // The columns of tables the statement does not read are not offered.
        assert_eq!(suggest(missing(ObjectKind::Column, "emial"), sql), None);
        // A pane's query names its table quoted; a quoted column stays quoted.
        let pane = "SELECT * FROM \"crm\".\"contacts\" WHERE full_nme = 'x'";
        assert_eq!(
            suggest(missing(ObjectKind::Column, "full_nme"), pane),
            pair("full_nme", "\"Full Name\"")
        );
    }

    #[test]
    fn distance_counts_edits_and_swaps() {
        assert_eq!(distance("orders", "orders"), 0);
        assert_eq!(distance("ordrs", "orders"), 1);
        assert_eq!(distance("odrers", "orders"), 1);
        assert_eq!(distance("", "abc"), 3);
        assert_eq!(distance("kitten", "sitting"), 3);
    }

    #[test]
    fn mentions_whole_words_only() {
        assert!(mentions("select * from Shop.Orders o", "shop.orders"));
        assert!(!mentions("select * from shop.orders_archive", "shop.orders"));
        assert!(!mentions("select * from myshop.orders", "shop.orders"));
    }
}
