//! The generated key of a table without PRIMARY KEY (`_id`) is hidden from `*`, like
//! SQLite's rowid: `SELECT *`, `t.*`, `COPY t TO` and `INSERT INTO a SELECT * FROM b`
//! see only the declared columns, while `_id` stays selectable by name and stays the
//! key that panes and live queries use.
//!
//! DataFusion has no hidden columns, so the statement is rewritten before it is
//! planned. Every query of it is visited (subqueries, CTEs, derived tables, set
//! operations, INSERT sources), and in each SELECT whose FROM reads such a table:
//!
//! - `t.*` of the table becomes `t.* EXCLUDE (_id)`;
//! - `*` becomes `* EXCLUDE (_id)` when one FROM item has the column, and otherwise
//!   one qualified wildcard per FROM item (`a.* EXCLUDE (_id), b.* EXCLUDE (_id)`),
//!   since an unqualified exclusion would be ambiguous. A USING column then comes
//!   from the left item, as `*` shows it once;
//! - `AS x(p, q)` names the declared columns, not `_id`.
//!
//! What cannot be expanded that way (NATURAL JOIN of two such tables, which would
//! also match their keys; RIGHT or FULL JOIN ... USING; an unnamed FROM item; EXCLUDE
//! or REPLACE on the `*`) is an error that says what to write instead.

use std::ops::ControlFlow;

use datafusion::sql::parser::{CopyToSource, Statement as DfStatement};
use datafusion::sql::sqlparser::ast::{
    ExcludeSelectItem, Ident, JoinConstraint, JoinOperator, ObjectName, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, TableAliasColumnDef, TableFactor, TableWithJoins, VisitMut, VisitorMut,
    WildcardAdditionalOptions, With,
};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::Parser;

use crate::catalog::{Catalog, TableDef, TableName, GENERATED_KEY_COLUMN};
use crate::error::{Error, Result};
use crate::sql::parse::normalize_ident;
use crate::sql::provider::CATALOG_NAME;

/// Where a statement's table names are looked up, and how the session sees a table.
pub(crate) struct Names<'a> {
    pub catalog: &'a Catalog,
    /// The namespace of a one-part table name.
    pub namespace: &'a str,
    /// Where a table's own columns start in the session's schema (after `_user` for an
    /// admin on a USER table).
    pub offset: &'a dyn Fn(&TableDef) -> usize,
}

/// Rewrites the wildcards of `statement` so that none of them shows a generated key.
pub(crate) fn hide_generated_keys(statement: &mut DfStatement, names: &Names) -> Result<()> {
    let mut hider = Hider {
        names,
        ctes: Vec::new(),
        withs: Vec::new(),
    };
    let flow = match statement {
        DfStatement::Statement(statement) => statement.visit(&mut hider),
        DfStatement::Explain(explain) => return hide_generated_keys(&mut explain.statement, names),
        DfStatement::CopyTo(copy) => {
            if let CopyToSource::Relation(name) = &copy.source {
                if hider.table(name).is_some_and(|def| def.generated_key()) {
                    copy.source = CopyToSource::Query(Box::new(select_all(name)?));
                }
            }
            match &mut copy.source {
                CopyToSource::Query(query) => query.visit(&mut hider),
                CopyToSource::Relation(_) => ControlFlow::Continue(()),
            }
        }
        _ => ControlFlow::Continue(()),
    };
    match flow {
        ControlFlow::Continue(()) => Ok(()),
        ControlFlow::Break(error) => Err(error),
    }
}

/// `SELECT * FROM <name>`, for `COPY <name> TO`.
fn select_all(name: &ObjectName) -> Result<Query> {
    Parser::new(&GenericDialect {})
        .try_with_sql(&format!("SELECT * FROM {name}"))
        .and_then(|mut parser| parser.parse_query())
        .map(|query| *query)
        .map_err(|e| Error::Query(format!("COPY {name}: {e}")))
}

struct Hider<'a> {
    names: &'a Names<'a>,
    /// The CTE names each enclosing query defines, innermost last: a one-part name
    /// among them is the CTE, not a table.
    ctes: Vec<Vec<String>>,
    /// The WITH clauses of the queries being visited. Each is taken out of its query
    /// and its CTEs visited first, each seeing only the names defined before it (and
    /// its own when RECURSIVE); it is put back when the query is done.
    withs: Vec<Option<With>>,
}

impl VisitorMut for Hider<'_> {
    type Break = Error;

    fn pre_visit_query(&mut self, query: &mut Query) -> ControlFlow<Error> {
        let mut with = query.with.take();
        self.ctes.push(Vec::new());
        if let Some(with) = &mut with {
            for cte in &mut with.cte_tables {
                let name = fold(&cte.alias.name);
                if with.recursive {
                    self.define(name.clone());
                }
                cte.query.visit(self)?;
                if !with.recursive {
                    self.define(name);
                }
            }
        }
        self.withs.push(with);
        ControlFlow::Continue(())
    }

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<Error> {
        query.with = self.withs.pop().flatten();
        self.ctes.pop();
        ControlFlow::Continue(())
    }

    fn post_visit_select(&mut self, select: &mut Select) -> ControlFlow<Error> {
        match self.select(select) {
            Ok(()) => ControlFlow::Continue(()),
            Err(error) => ControlFlow::Break(error),
        }
    }
}

/// One FROM item as `*` sees it.
struct Relation {
    /// How a qualified wildcard names it; `None` when it cannot be named.
    qualifier: Option<ObjectName>,
    /// It has a generated `_id`.
    hidden: bool,
    /// It has a column named `_id` of its own (a declared key, say).
    declared_id: bool,
    /// `*` shows its columns (it is not the filter side of a semi or anti join).
    shown: bool,
    /// USING columns that `*` takes from an item to its left.
    using: Vec<ObjectName>,
}

/// The FROM items of one SELECT, in order.
#[derive(Default)]
struct From {
    relations: Vec<Relation>,
    natural: bool,
    /// Why `*` cannot become one wildcard per item.
    not_per_item: Option<&'static str>,
}

impl Hider<'_> {
    fn define(&mut self, cte: String) {
        if let Some(names) = self.ctes.last_mut() {
            names.push(cte);
        }
    }

    fn select(&self, select: &mut Select) -> Result<()> {
        let mut from = From::default();
        for item in &mut select.from {
            self.relations(item, &mut from)?;
        }
        let shown: Vec<&Relation> = from.relations.iter().filter(|r| r.shown).collect();
        let hidden = shown.iter().filter(|r| r.hidden).count();
        if hidden == 0 {
            return Ok(());
        }
        let mut items = Vec::with_capacity(select.projection.len());
        for item in std::mem::take(&mut select.projection) {
            match item {
                SelectItem::Wildcard(mut options) => {
                    if hidden == 1 && !shown.iter().any(|r| r.declared_id) {
                        exclude(&mut options, key_column());
                        items.push(SelectItem::Wildcard(options));
                    } else {
                        items.extend(per_item(&from, &shown, options)?);
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), mut options) => {
                    let names_hidden = shown
                        .iter()
                        .any(|r| r.hidden && r.qualifier.as_ref().is_some_and(|q| same_name(q, &name)));
                    if names_hidden {
                        exclude(&mut options, key_column());
                    }
                    items.push(SelectItem::QualifiedWildcard(
                        SelectItemQualifiedWildcardKind::ObjectName(name),
                        options,
                    ));
                }
                other => items.push(other),
            }
        }
        select.projection = items;
        Ok(())
    }

    /// Adds the FROM items of `from` to `out`, checking how they are joined.
    fn relations(&self, from: &mut TableWithJoins, out: &mut From) -> Result<()> {
        let start = out.relations.len();
        self.relation(&mut from.relation, out)?;
        for join in &mut from.joins {
            let middle = out.relations.len();
            self.relation(&mut join.relation, out)?;
            let (left, right) = out.relations[start..].split_at_mut(middle - start);
            match constraint(&join.join_operator) {
                Some(JoinConstraint::Natural) => {
                    let key = |rs: &[Relation]| rs.iter().any(|r| r.hidden);
                    let id = |rs: &[Relation]| rs.iter().any(|r| r.hidden || r.declared_id);
                    if (key(left) && id(right)) || (key(right) && id(left)) {
                        return Err(Error::Unsupported(format!(
                            "NATURAL JOIN of two tables without PRIMARY KEY would also match their generated \
                             {GENERATED_KEY_COLUMN} columns; write JOIN ... USING (<columns>) instead"
                        )));
                    }
                    out.natural = true;
                }
                Some(JoinConstraint::Using(columns)) => match &join.join_operator {
                    JoinOperator::Right(_) | JoinOperator::RightOuter(_) | JoinOperator::FullOuter(_) => {
                        out.not_per_item = Some("RIGHT or FULL JOIN ... USING: list the columns, or join ON");
                    }
                    _ => match right {
                        [relation] => relation.using = columns.clone(),
                        _ => out.not_per_item = Some("USING a parenthesized join: list the columns"),
                    },
                },
                _ => {}
            }
            match join.join_operator {
                JoinOperator::Semi(_)
                | JoinOperator::LeftSemi(_)
                | JoinOperator::Anti(_)
                | JoinOperator::LeftAnti(_) => right.iter_mut().for_each(|r| r.shown = false),
                JoinOperator::RightSemi(_) | JoinOperator::RightAnti(_) => {
                    left.iter_mut().for_each(|r| r.shown = false)
                }
                _ => {}
            }
        }
        Ok(())
    }

    fn relation(&self, factor: &mut TableFactor, out: &mut From) -> Result<()> {
        let relation = match factor {
            TableFactor::Table { name, alias, args, .. } => {
                // With `args` it is a table function, named like one.
                let def = args.is_none().then(|| self.table(name)).flatten();
                let hidden = def.as_ref().is_some_and(|d| d.generated_key());
                if let (Some(def), Some(alias)) = (def.as_ref().filter(|_| hidden), alias.as_mut()) {
                    // `AS x(p, q)` renames the declared columns, as `*` shows them.
                    let offset = (self.names.offset)(def);
                    if alias.columns.len() == offset + def.columns.len() - 1 {
                        alias
                            .columns
                            .insert(offset, TableAliasColumnDef::from_name(GENERATED_KEY_COLUMN));
                    }
                }
                Relation {
                    qualifier: Some(match alias {
                        Some(alias) => ObjectName::from(vec![alias.name.clone()]),
                        None => name.clone(),
                    }),
                    hidden,
                    declared_id: !hidden && def.is_some_and(|d| d.column_index(GENERATED_KEY_COLUMN).is_some()),
                    shown: true,
                    using: Vec::new(),
                }
            }
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => return self.relations(table_with_joins, out),
            TableFactor::NestedJoin {
                table_with_joins,
                alias: Some(alias),
            } => {
                let mut inner = From::default();
                self.relations(table_with_joins, &mut inner)?;
                let shown = || inner.relations.iter().filter(|r| r.shown);
                Relation {
                    qualifier: Some(ObjectName::from(vec![alias.name.clone()])),
                    hidden: shown().any(|r| r.hidden),
                    declared_id: shown().any(|r| r.declared_id),
                    shown: true,
                    using: Vec::new(),
                }
            }
            other => Relation {
                qualifier: alias_of(other).map(|a| ObjectName::from(vec![a.clone()])),
                hidden: false,
                declared_id: false,
                shown: true,
                using: Vec::new(),
            },
        };
        out.relations.push(relation);
        Ok(())
    }

    /// The Tidepool table a FROM name reads, if it is one (not a CTE).
    fn table(&self, name: &ObjectName) -> Option<std::sync::Arc<TableDef>> {
        let parts: Option<Vec<String>> = name.0.iter().map(|p| p.as_ident().map(fold)).collect();
        let name = match parts?.as_slice() {
            [table] if self.ctes.iter().flatten().any(|cte| cte == table) => return None,
            [table] => TableName::new(self.names.namespace, table),
            [namespace, table] => TableName::new(namespace, table),
            [catalog, namespace, table] if catalog == CATALOG_NAME => TableName::new(namespace, table),
            _ => return None,
        };
        self.names.catalog.tables.get(&name).cloned()
    }
}

/// `*` as one wildcard per FROM item, each without its generated key and without the
/// USING columns an item to its left shows.
fn per_item(from: &From, shown: &[&Relation], options: WildcardAdditionalOptions) -> Result<Vec<SelectItem>> {
    let refuse = |why: &str| {
        Err(Error::Unsupported(format!(
            "SELECT * over several tables without PRIMARY KEY ({why}); \
             their generated {GENERATED_KEY_COLUMN} columns are hidden from * one table at a time, \
             e.g. SELECT a.*, b.* FROM ..."
        )))
    };
    if from.natural {
        return refuse("with a NATURAL JOIN: list the columns");
    }
    if let Some(why) = from.not_per_item {
        return refuse(why);
    }
    if shown.iter().any(|r| r.qualifier.is_none()) {
        return refuse("one FROM item has no name: give it an alias");
    }
    if options.opt_exclude.is_some()
        || options.opt_except.is_some()
        || options.opt_replace.is_some()
        || options.opt_rename.is_some()
    {
        return refuse("with EXCLUDE, EXCEPT, REPLACE or RENAME: qualify the wildcards");
    }
    Ok(shown
        .iter()
        .filter_map(|relation| {
            let mut options = options.clone();
            if relation.hidden {
                exclude(&mut options, key_column());
            }
            for column in &relation.using {
                exclude(&mut options, column.clone());
            }
            let qualifier = relation.qualifier.clone()?;
            Some(SelectItem::QualifiedWildcard(
                SelectItemQualifiedWildcardKind::ObjectName(qualifier),
                options,
            ))
        })
        .collect())
}

fn key_column() -> ObjectName {
    ObjectName::from(vec![Ident::new(GENERATED_KEY_COLUMN)])
}

/// Adds `column` to a wildcard's EXCLUDE list, unless EXCLUDE or EXCEPT names it already.
fn exclude(options: &mut WildcardAdditionalOptions, column: ObjectName) {
    let excepted = options.opt_except.as_ref().is_some_and(|except| {
        std::iter::once(&except.first_element)
            .chain(&except.additional_elements)
            .any(|ident| same_name(&ObjectName::from(vec![ident.clone()]), &column))
    });
    if excepted {
        return;
    }
    options.opt_exclude = Some(match options.opt_exclude.take() {
        None => ExcludeSelectItem::Single(column),
        Some(ExcludeSelectItem::Single(name)) if same_name(&name, &column) => ExcludeSelectItem::Single(name),
        Some(ExcludeSelectItem::Single(name)) => ExcludeSelectItem::Multiple(vec![name, column]),
        Some(ExcludeSelectItem::Multiple(mut names)) => {
            if !names.iter().any(|n| same_name(n, &column)) {
                names.push(column);
            }
            ExcludeSelectItem::Multiple(names)
        }
    });
}

/// An identifier as SQL compares it (unquoted ones fold to lower case).
fn fold(ident: &Ident) -> String {
    normalize_ident(&ident.value, ident.quote_style.is_some())
}

fn same_name(a: &ObjectName, b: &ObjectName) -> bool {
    let folded = |n: &ObjectName| -> Vec<Option<String>> { n.0.iter().map(|p| p.as_ident().map(fold)).collect() };
    folded(a) == folded(b)
}

fn alias_of(factor: &TableFactor) -> Option<&Ident> {
    match factor {
        TableFactor::Derived { alias, .. }
        | TableFactor::TableFunction { alias, .. }
        | TableFactor::Function { alias, .. }
        | TableFactor::UNNEST { alias, .. }
        | TableFactor::NestedJoin { alias, .. } => alias.as_ref().map(|a| &a.name),
        _ => None,
    }
}

fn constraint(operator: &JoinOperator) -> Option<&JoinConstraint> {
    use JoinOperator::*;
    match operator {
        Join(c) | Inner(c) | Left(c) | LeftOuter(c) | Right(c) | RightOuter(c) | FullOuter(c) | CrossJoin(c)
        | Semi(c) | LeftSemi(c) | RightSemi(c) | Anti(c) | LeftAnti(c) | RightAnti(c) | StraightJoin(c) => Some(c),
        AsOf { constraint, .. } => Some(constraint),
        CrossApply | OuterApply | ArrayJoin | LeftArrayJoin | InnerArrayJoin => None,
    }
}
