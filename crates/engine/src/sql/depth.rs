//! How deep a statement nests, checked before anything else walks it.
//!
//! The parser builds `1 + 1 + ... + 1` as a left-deep tree one level per operator, and
//! DataFusion's planner, its optimizer and the derived `Clone`/`Drop`/`Hash` of its
//! expressions all recurse over that tree: twenty thousand terms overflow any thread's
//! stack and abort the process. So a statement is parsed and measured on a stack of
//! its own, large enough for any text that fits in a request, and one that nests
//! deeper than [`MAX_DEPTH`] is refused (and dropped) there, with a clear error.

use std::ops::ControlFlow;

use datafusion::sql::sqlparser::ast::{Expr, Query, Visit, Visitor};

/// The deepest nesting of expressions and subqueries a statement may have. Planning
/// and running a statement this deep fits in a 2 MB thread stack (tokio's default)
/// in a debug build, with room to spare.
pub(crate) const MAX_DEPTH: usize = 200;

/// The stack a statement is parsed and measured on: generous, and only touched as far
/// as the statement needs.
pub(crate) const PARSE_STACK: usize = 256 * 1024 * 1024;

#[derive(Default)]
struct Depth {
    current: usize,
    deepest: usize,
}

impl Depth {
    fn enter(&mut self) -> ControlFlow<()> {
        self.current += 1;
        self.deepest = self.deepest.max(self.current);
        ControlFlow::Continue(())
    }

    fn leave(&mut self) -> ControlFlow<()> {
        self.current -= 1;
        ControlFlow::Continue(())
    }
}

impl Visitor for Depth {
    type Break = ();

    fn pre_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.enter()
    }

    fn post_visit_expr(&mut self, _: &Expr) -> ControlFlow<()> {
        self.leave()
    }

    fn pre_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.enter()
    }

    fn post_visit_query(&mut self, _: &Query) -> ControlFlow<()> {
        self.leave()
    }
}

/// The deepest nesting of expressions and queries in `node`. Call it on a stack of
/// [`PARSE_STACK`]: the walk recurses as deep as the tree.
pub(crate) fn depth_of<V: Visit>(node: &V) -> usize {
    let mut depth = Depth::default();
    let _ = node.visit(&mut depth);
    depth.deepest
}
