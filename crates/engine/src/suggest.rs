//! "Did you mean": an error naming a table, namespace or column that does not exist
//! gets the closest name the catalog has, as a question in its message
//! ([`Error::DidYouMean`]), for every front door — the app's console and panes, the CLI,
//! the local API. The statement that failed said what is missing; the catalog says what
//! is there.
//!
//! Names are compared case-insensitively by edit distance (a letter added, dropped,
//! changed, or two swapped), and only close ones are offered: about one edit per three
//! letters, at most three.

use crate::catalog::{DEFAULT_NAMESPACE, SYSTEM_NAMESPACE};
use crate::engine::Engine;
use crate::error::{Error, ObjectKind};
use crate::sql::system::system_defs;

/// `error` with the closest existing name when it names a missing one; any other error
/// unchanged. `sql` is the statement that failed (its tables narrow a column's search,
/// and a bare table name it wrote is told from one it qualified with `default`).
pub(crate) fn explain(engine: &Engine, error: Error, sql: &str) -> Error {
    // Only these can name something missing; the catalog is not read for others.
    if !matches!(error, Error::NotFound { .. } | Error::InvalidArgument(_)) {
        return error;
    }
    match did_you_mean(&Names::of(engine), &error, sql) {
        Some(Suggestion { name, suggestion }) => Error::DidYouMean {
            error: Box::new(error),
            name,
            suggestion,
        },
        None => error,
    }
}

/// A name the statement used and the existing one it was probably meant to be, as SQL
/// spells it (`shop.orders`, `o.total`, `shop."Order Items"`).
#[derive(Debug, PartialEq)]
struct Suggestion {
    name: String,
    suggestion: String,
}

/// The catalog's names: namespaces (`system` too), and every table with its columns as
/// `(namespace, table, columns)`.
struct Names {
    namespaces: Vec<String>,
    tables: Vec<(String, String, Vec<String>)>,
}

impl Names {
    fn of(engine: &Engine) -> Names {
        let catalog = engine.inner.catalog();
        let mut namespaces = vec![SYSTEM_NAMESPACE.to_string()];
        namespaces.extend(catalog.namespaces.keys().cloned());
        let columns = |columns: &[crate::catalog::ColumnDef]| columns.iter().map(|c| c.name.clone()).collect();
        let mut tables: Vec<_> = system_defs()
            .into_iter()
            .map(|def| (def.namespace.clone(), def.name.clone(), columns(&def.columns)))
            .collect();
        tables.extend(
            catalog
                .tables
                .values()
                .map(|def| (def.namespace.clone(), def.name.clone(), columns(&def.columns))),
        );
        Names { namespaces, tables }
    }
}

fn did_you_mean(names: &Names, error: &Error, sql: &str) -> Option<Suggestion> {
    match error {
        Error::NotFound {
            kind: ObjectKind::Table,
            name,
        } => {
            // A bare name is looked up in `default`: the user wrote only the table.
            match name.strip_prefix(&format!("{DEFAULT_NAMESPACE}.")) {
                Some(bare) if !mentions(sql, name) => bare_table(names, bare),
                _ => table(names, name),
            }
        }
        // A bare name while there is no namespace `default` (`ddl::no_default_namespace`).
        Error::InvalidArgument(message) => message
            .strip_prefix("table name '")
            .and_then(|rest| rest.split_once("' must be written namespace.table"))
            .and_then(|(bare, _)| bare_table(names, bare)),
        Error::NotFound {
            kind: ObjectKind::Namespace,
            name,
        } => closest(
            name,
            names
                .namespaces
                .iter()
                .map(|ns| (distance_to(name, ns), ident(ns)))
                .filter(|(edits, _)| *edits <= tolerance(name)),
        ),
        Error::NotFound {
            kind: ObjectKind::Column,
            name,
        } => column(names, name, sql),
        _ => None,
    }
}

/// `ns.table` against every table: typos in the namespace, the table or both (within
/// the whole name's tolerance, and most of each part kept), or the right table in
/// another namespace.
fn table(names: &Names, name: &str) -> Option<Suggestion> {
    let (wanted_ns, wanted) = name.rsplit_once('.').unwrap_or(("", name));
    let candidates = names.tables.iter().filter_map(|(ns, t, _)| {
        // The same table name in another namespace counts as one edit.
        let edits = if t.eq_ignore_ascii_case(wanted) {
            1
        } else {
            let (ns_edits, t_edits) = (distance_to(wanted_ns, ns), distance_to(wanted, t));
            if !mostly_kept(wanted_ns, ns, ns_edits) || !mostly_kept(wanted, t, t_edits) {
                return None;
            }
            ns_edits + t_edits
        };
        (edits <= tolerance(name)).then(|| (edits, format!("{}.{}", ident(ns), ident(t))))
    });
    closest(name, candidates)
}

/// Whether `edits` change fewer than half the letters of a name (or just one): a short
/// table name in a long qualified one may not borrow the namespace's tolerance ("users"
/// is three edits from "orders" and from "pairs").
fn mostly_kept(written: &str, existing: &str, edits: usize) -> bool {
    edits <= 1 || edits * 2 < written.chars().count().max(existing.chars().count())
}

/// A table written without its namespace: the table of that (or a close) name, with its
/// namespace (bare when it is in `default`).
fn bare_table(names: &Names, bare: &str) -> Option<Suggestion> {
    let candidates = names.tables.iter().map(|(ns, t, _)| {
        let written = if ns == DEFAULT_NAMESPACE {
            ident(t)
        } else {
            format!("{}.{}", ident(ns), ident(t))
        };
        (distance_to(bare, t), written)
    });
    let candidates = candidates.filter(|(edits, _)| *edits <= tolerance(bare));
    let mut found = closest(bare, candidates)?;
    found.name = bare.to_string();
    Some(found)
}

/// A column (maybe `alias.column`) against the columns of the tables the statement
/// names; the qualifier is kept.
fn column(names: &Names, name: &str, sql: &str) -> Option<Suggestion> {
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
    let candidates = candidates.filter(|(edits, _)| *edits <= tolerance(wanted));
    let mut found = closest(wanted, candidates)?;
    found.name = name.to_string();
    Some(found)
}

/// The edits a written name may be off by and still be offered a suggestion: about one
/// per three letters, one to three.
fn tolerance(written: &str) -> usize {
    (written.chars().count() / 3).clamp(1, 3)
}

/// Of candidates `(edits from wanted, name as written)`, each within its tolerance, the
/// nearest (ties go to the first), unless it is what was written.
fn closest(wanted: &str, candidates: impl Iterator<Item = (usize, String)>) -> Option<Suggestion> {
    candidates
        .filter(|(_, written)| written != wanted)
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, written)| Suggestion {
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

    fn missing(kind: ObjectKind, name: &str) -> Error {
        Error::NotFound {
            kind,
            name: name.to_string(),
        }
    }

    fn suggest(error: Error, sql: &str) -> Option<(String, String)> {
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
        // A typo in each part.
        assert_eq!(
            suggest(missing(ObjectKind::Table, "shp.ordrs"), ""),
            pair("shp.ordrs", "shop.orders")
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
        // "users" is three edits from "orders" and "pairs": most of its letters.
        assert_eq!(suggest(missing(ObjectKind::Table, "shop.users"), ""), None);
        assert_eq!(suggest(missing(ObjectKind::Namespace, "inventory"), ""), None);
        assert_eq!(suggest(Error::Query("division by zero".into()), ""), None);
    }

    #[test]
    fn a_bare_table_gets_its_namespace() {
        let no_default = Error::InvalidArgument(
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
