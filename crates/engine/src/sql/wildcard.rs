//! The generated key of a table without PRIMARY KEY (`_id`) is hidden from `*`, like
//! SQLite's rowid: `SELECT *`, `t.*` and `INSERT INTO a SELECT * FROM b` see only the
//! declared columns, while `_id` stays selectable by name and stays the key that panes
//! and live queries use. DataFusion has no hidden columns, so the statement is
//! rewritten before it is planned: every wildcard over such a table excludes `_id`
//! (`* EXCLUDE (_id)`), and an unqualified `*` over several of them becomes one
//! qualified wildcard per FROM item (`a.* EXCLUDE (_id), b.*`), since an unqualified
//! exclusion would be ambiguous (a USING join's columns then come from the first item
//! only, as `*` shows them). The rewrite visits every query of the statement:
//! subqueries, CTEs, derived tables, set operations and INSERT sources.

use std::ops::ControlFlow;

use datafusion::sql::parser::Statement as DfStatement;
use datafusion::sql::sqlparser::ast::{
    ExcludeSelectItem, Ident, JoinConstraint, JoinOperator, ObjectName, Query, Select, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor, TableWithJoins, VisitMut, VisitorMut,
    WildcardAdditionalOptions,
};

use crate::catalog::{Catalog, TableName, GENERATED_KEY_COLUMN};
use crate::sql::parse::normalize_ident;

/// Rewrites the wildcards of `statement` so that none of them shows a generated key.
pub(crate) fn hide_generated_keys(statement: &mut DfStatement, catalog: &Catalog, namespace: &str) {
    if let DfStatement::Statement(statement) = statement {
        let _ = statement.visit(&mut Hider { catalog, namespace });
    }
}

struct Hider<'a> {
    catalog: &'a Catalog,
    /// Where a one-part table name is looked up.
    namespace: &'a str,
}

impl VisitorMut for Hider<'_> {
    type Break = ();

    fn post_visit_query(&mut self, query: &mut Query) -> ControlFlow<()> {
        self.set_expr(&mut query.body);
        ControlFlow::Continue(())
    }
}

/// One FROM item: how `*` can name it, whether it has a hidden key, and the USING
/// columns that `*` shows once, from an earlier item.
struct Relation {
    qualifier: Option<ObjectName>,
    hidden: bool,
    using: Vec<ObjectName>,
}

impl Hider<'_> {
    fn set_expr(&self, body: &mut SetExpr) {
        match body {
            SetExpr::Select(select) => self.select(select),
            SetExpr::SetOperation { left, right, .. } => {
                self.set_expr(left);
                self.set_expr(right);
            }
            _ => {}
        }
    }

    fn select(&self, select: &mut Select) {
        let mut relations = Vec::new();
        let mut natural = false;
        for from in &select.from {
            self.relations(from, &mut relations, &mut natural);
        }
        let hidden = relations.iter().filter(|r| r.hidden).count();
        if hidden == 0 {
            return;
        }
        let mut items = Vec::with_capacity(select.projection.len());
        for item in std::mem::take(&mut select.projection) {
            match item {
                SelectItem::Wildcard(mut options) if hidden == 1 || natural => {
                    exclude(&mut options, ObjectName::from(vec![Ident::new(GENERATED_KEY_COLUMN)]));
                    items.push(SelectItem::Wildcard(options));
                }
                // Excluding `_id` unqualified would be ambiguous: name each FROM item.
                SelectItem::Wildcard(options) if relations.iter().all(|r| r.qualifier.is_some()) => {
                    for relation in &relations {
                        let Some(qualifier) = relation.qualifier.clone() else {
                            continue;
                        };
                        let mut options = options.clone();
                        if relation.hidden {
                            exclude(&mut options, ObjectName::from(vec![Ident::new(GENERATED_KEY_COLUMN)]));
                        }
                        for column in &relation.using {
                            exclude(&mut options, column.clone());
                        }
                        items.push(SelectItem::QualifiedWildcard(
                            SelectItemQualifiedWildcardKind::ObjectName(qualifier),
                            options,
                        ));
                    }
                }
                SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), mut options) => {
                    let names_hidden = relations
                        .iter()
                        .any(|r| r.hidden && r.qualifier.as_ref().is_some_and(|q| same_name(q, &name)));
                    if names_hidden {
                        exclude(&mut options, ObjectName::from(vec![Ident::new(GENERATED_KEY_COLUMN)]));
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
    }

    /// The FROM items of `from` in order; `natural` is set by a NATURAL join, whose
    /// shared columns only the tables' schemas tell.
    fn relations(&self, from: &TableWithJoins, out: &mut Vec<Relation>, natural: &mut bool) {
        self.relation(&from.relation, out, natural);
        for join in &from.joins {
            self.relation(&join.relation, out, natural);
            match constraint(&join.join_operator) {
                Some(JoinConstraint::Using(columns)) => {
                    if let Some(last) = out.last_mut() {
                        last.using = columns.clone();
                    }
                }
                Some(JoinConstraint::Natural) => *natural = true,
                _ => {}
            }
        }
    }

    fn relation(&self, factor: &TableFactor, out: &mut Vec<Relation>, natural: &mut bool) {
        match factor {
            TableFactor::Table { name, alias, .. } => out.push(Relation {
                qualifier: Some(match alias {
                    Some(alias) => ObjectName::from(vec![alias.name.clone()]),
                    None => name.clone(),
                }),
                hidden: self.has_hidden_key(name),
                using: vec![],
            }),
            TableFactor::NestedJoin {
                table_with_joins,
                alias: None,
            } => self.relations(table_with_joins, out, natural),
            other => out.push(Relation {
                qualifier: alias_of(other).map(|a| ObjectName::from(vec![a.clone()])),
                hidden: false,
                using: vec![],
            }),
        }
    }

    fn has_hidden_key(&self, name: &ObjectName) -> bool {
        let parts: Option<Vec<String>> = name
            .0
            .iter()
            .map(|p| p.as_ident().map(|i| normalize_ident(&i.value, i.quote_style.is_some())))
            .collect();
        let table = match parts.as_deref() {
            Some([table]) => TableName::new(self.namespace, table),
            Some([namespace, table]) => TableName::new(namespace, table),
            _ => return false,
        };
        self.catalog.tables.get(&table).is_some_and(|def| {
            def.primary_key.len() == 1 && def.columns[def.primary_key[0]].name == GENERATED_KEY_COLUMN
        })
    }
}

/// Adds `column` to a wildcard's EXCLUDE list (once).
fn exclude(options: &mut WildcardAdditionalOptions, column: ObjectName) {
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

/// Names compared as SQL compares identifiers (unquoted ones fold to lower case).
fn same_name(a: &ObjectName, b: &ObjectName) -> bool {
    let fold = |n: &ObjectName| -> Vec<Option<String>> {
        n.0.iter()
            .map(|p| p.as_ident().map(|i| normalize_ident(&i.value, i.quote_style.is_some())))
            .collect()
    };
    fold(a) == fold(b)
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
