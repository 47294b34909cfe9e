//! Parsing: a script is split into statements on top-level semicolons, each statement
//! keeps the line and column it starts at, and is then recognised as one of Tidepool's
//! own statements or handed to DataFusion's parser. Statements are parsed from text
//! padded to their original position, so every error reports the line and column of
//! the script the user wrote.

use datafusion::sql::parser::{DFParserBuilder, Statement as DfStatement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::catalog::{TableKind, TableName, DEFAULT_NAMESPACE};
use crate::error::{Error, Position, Result};
use crate::sql::depth;

/// One statement of a script, with where it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlStatement {
    pub sql: String,
    pub position: Position,
}

impl SqlStatement {
    /// Whether the statement only reads, by its first word (SELECT, a WITH query,
    /// SHOW, DESCRIBE, EXPLAIN, VALUES): what a front door may stop when its caller
    /// goes away. A statement that writes after a WITH counts as a write.
    pub fn reads_only(&self) -> bool {
        let words: Vec<String> = self
            .sql
            .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_uppercase)
            .collect();
        match words.first().map(String::as_str) {
            Some("SELECT" | "SHOW" | "DESCRIBE" | "DESC" | "EXPLAIN" | "VALUES") => true,
            Some("WITH") => !words
                .iter()
                .any(|w| matches!(w.as_str(), "INSERT" | "UPDATE" | "DELETE" | "COPY")),
            _ => false,
        }
    }
}

/// A parsed statement.
#[derive(Debug)]
pub(crate) enum Parsed {
    CreateNamespace {
        name: String,
        if_not_exists: bool,
    },
    DropNamespace {
        name: String,
        if_exists: bool,
        cascade: bool,
    },
    ShowNamespaces,
    ShowTables {
        namespace: Option<String>,
    },
    Describe {
        table: TableName,
    },
    ExecuteAs {
        user: String,
        statement: SqlStatement,
    },
    /// CREATE TABLE with the kind word already consumed.
    CreateTable {
        kind: TableKind,
        statement: Box<DfStatement>,
    },
    /// `SUBSCRIBE TO <select>`.
    Subscribe {
        statement: SqlStatement,
    },
    KillLiveQuery {
        id: String,
    },
    /// `KILL QUERY <id>`: stops a running statement (`system.queries`).
    KillQuery {
        id: u64,
    },
    /// `CREATE TOKEN [FOR USER '<name>' | FOR ADMIN] [LABEL '<text>']`.
    CreateToken {
        user: Option<String>,
        label: Option<String>,
    },
    /// `DROP TOKEN '<id>'` (or `REVOKE TOKEN`).
    DropToken {
        id: String,
    },
    /// Anything else: standard SQL for DataFusion (and our DDL on its AST).
    Standard(Box<DfStatement>),
}

/// Splits a script into statements. Only a tokenizer error (an unterminated string or
/// comment) fails the whole script.
pub fn split_statements(script: &str) -> Result<Vec<SqlStatement>> {
    // One statement without a semicolon or a comment is the script itself, trimmed:
    // no need to tokenize it here too (the parser does).
    if !script.contains(';') && !script.contains("--") && !script.contains("/*") {
        return Ok(single_statement(script).into_iter().collect());
    }
    let tokens = tokenize(script, Position { line: 1, column: 1 })?;
    let lines = LineIndex::new(script);
    let mut statements = Vec::new();
    let mut depth = 0i32;
    let mut current: Vec<&TokenWithSpan> = Vec::new();
    let mut flush = |current: &mut Vec<&TokenWithSpan>| {
        if let (Some(first), Some(last)) = (current.first(), current.last()) {
            let start = lines.offset(first.span.start.line, first.span.start.column);
            let end = lines.offset(last.span.end.line, last.span.end.column);
            statements.push(SqlStatement {
                sql: script[start..end].to_string(),
                position: Position {
                    line: first.span.start.line,
                    column: first.span.start.column,
                },
            });
        }
        current.clear();
    };
    for token in &tokens {
        match &token.token {
            Token::Whitespace(_) | Token::EOF => continue,
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::SemiColon if depth <= 0 => {
                flush(&mut current);
                continue;
            }
            _ => {}
        }
        current.push(token);
    }
    flush(&mut current);
    Ok(statements)
}

/// A script that holds one statement (no `;`, no comment), trimmed, at the position
/// of its first character; `None` when it is blank.
fn single_statement(script: &str) -> Option<SqlStatement> {
    let start = script.find(|c: char| !c.is_whitespace())?;
    let before = &script[..start];
    let line = before.matches('\n').count() as u64 + 1;
    let column = before.rsplit('\n').next().unwrap_or("").chars().count() as u64 + 1;
    Some(SqlStatement {
        sql: script[start..].trim_end().to_string(),
        position: Position { line, column },
    })
}

/// Whether a statement is certainly standard SQL for DataFusion (it starts with a
/// keyword none of Tidepool's own statements starts with), so it need not be
/// tokenized to look at its first words.
pub(crate) fn plainly_standard(sql: &str) -> bool {
    let word: String = sql.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let next = sql[word.len()..].chars().next();
    next.is_some_and(|c| c.is_whitespace() || c == '(' || c == '*')
        && ["SELECT", "INSERT", "UPDATE", "DELETE", "WITH"]
            .iter()
            .any(|k| k.eq_ignore_ascii_case(&word))
}

/// Parses one statement.
pub(crate) fn parse(statement: &SqlStatement) -> Result<Parsed> {
    if plainly_standard(&statement.sql) {
        return Ok(Parsed::Standard(Box::new(parse_standard(statement)?)));
    }
    let tokens = tokenize(&statement.sql, statement.position)?;
    let mut cursor = Cursor::new(&tokens, statement.position);
    let first = cursor.peek_keyword(0);
    let second = cursor.peek_keyword(1);
    let parsed = match (first.as_deref(), second.as_deref()) {
        (Some("CREATE"), Some("NAMESPACE")) => {
            cursor.advance(2);
            let if_not_exists = cursor.keywords(&["IF", "NOT", "EXISTS"]);
            let name = cursor.ident("a namespace name")?;
            cursor.end()?;
            Parsed::CreateNamespace { name, if_not_exists }
        }
        (Some("DROP"), Some("NAMESPACE")) => {
            cursor.advance(2);
            let if_exists = cursor.keywords(&["IF", "EXISTS"]);
            let name = cursor.ident("a namespace name")?;
            let cascade = cursor.keywords(&["CASCADE"]);
            cursor.end()?;
            Parsed::DropNamespace {
                name,
                if_exists,
                cascade,
            }
        }
        (Some("SHOW"), Some("NAMESPACES")) => {
            cursor.advance(2);
            cursor.end()?;
            Parsed::ShowNamespaces
        }
        (Some("SHOW"), Some("TABLES")) => {
            cursor.advance(2);
            let namespace = if cursor.keywords(&["IN"]) || cursor.keywords(&["FROM"]) {
                Some(cursor.ident("a namespace name")?)
            } else {
                None
            };
            cursor.end()?;
            Parsed::ShowTables { namespace }
        }
        (Some("DESCRIBE" | "DESC"), _) => {
            cursor.advance(1);
            cursor.keywords(&["TABLE"]);
            let table = cursor.table_name()?;
            cursor.end()?;
            Parsed::Describe { table }
        }
        (Some("SUBSCRIBE"), Some("TO")) => {
            let Some(first) = cursor.nth_significant(2) else {
                return Err(cursor.error_at_end("Expected: SELECT after SUBSCRIBE TO"));
            };
            let padded = pad(statement);
            let lines = LineIndex::new(&padded);
            Parsed::Subscribe {
                statement: SqlStatement {
                    sql: padded[lines.position(span_start(first))..].to_string(),
                    position: span_start(first),
                },
            }
        }
        (Some("KILL"), Some("LIVE")) => {
            cursor.advance(2);
            cursor.expect_keyword("QUERY")?;
            let id = cursor.string("the live query id in quotes")?;
            cursor.end()?;
            Parsed::KillLiveQuery { id }
        }
        (Some("KILL"), Some("QUERY")) => {
            cursor.advance(2);
            let id = cursor.number("the statement's id (system.queries)")?;
            cursor.end()?;
            Parsed::KillQuery { id }
        }
        (Some("CREATE"), Some("TOKEN")) => {
            cursor.advance(2);
            let user = if cursor.keywords(&["FOR", "USER"]) {
                Some(cursor.string("the user name in quotes")?)
            } else {
                cursor.keywords(&["FOR", "ADMIN"]);
                None
            };
            let label = if cursor.keywords(&["LABEL"]) {
                Some(cursor.string("the label in quotes")?)
            } else {
                None
            };
            cursor.end()?;
            Parsed::CreateToken { user, label }
        }
        (Some("DROP" | "REVOKE"), Some("TOKEN")) => {
            cursor.advance(2);
            let id = cursor.string("the token id in quotes")?;
            cursor.end()?;
            Parsed::DropToken { id }
        }
        (Some("EXECUTE"), Some("AS")) => {
            cursor.advance(2);
            cursor.expect_keyword("USER")?;
            let user = cursor.string("the user name in quotes")?;
            let open = cursor.expect(Token::LParen, "(")?;
            let close = tokens
                .iter()
                .rposition(|t| t.token == Token::RParen)
                .filter(|&i| i > open)
                .ok_or_else(|| cursor.error_at_end("Expected: ) after the statement"))?;
            let inner = &tokens[open + 1..close];
            let (Some(first), Some(last)) = (
                inner.iter().find(|t| !matches!(t.token, Token::Whitespace(_))),
                inner.iter().rev().find(|t| !matches!(t.token, Token::Whitespace(_))),
            ) else {
                return Err(cursor.error_at_end("Expected: a statement inside EXECUTE AS USER (...)"));
            };
            if let Some(extra) = tokens[close + 1..]
                .iter()
                .find(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            {
                return Err(cursor.error_at(
                    span_start(extra),
                    "Expected: end of statement after EXECUTE AS USER (...)",
                ));
            }
            let padded = pad(statement);
            let lines = LineIndex::new(&padded);
            let (from, to) = (lines.position(span_start(first)), lines.position(span_end(last)));
            Parsed::ExecuteAs {
                user,
                statement: SqlStatement {
                    sql: padded[from..to].to_string(),
                    position: span_start(first),
                },
            }
        }
        (Some("CREATE"), Some(kind @ ("USER" | "SHARED" | "STREAM"))) => {
            let kind = match kind {
                "USER" => TableKind::User,
                "SHARED" => TableKind::Shared,
                _ => TableKind::Stream,
            };
            // Blank out the kind word and let the standard parser read the rest.
            let word = cursor.nth_significant(1).expect("peeked above");
            let mut padded = pad(statement);
            let lines = LineIndex::new(&padded);
            let (from, to) = (lines.position(span_start(word)), lines.position(span_end(word)));
            let start = lines.position(statement.position);
            padded.replace_range(from..to, &" ".repeat(to - from));
            let sql = padded[start..].to_string();
            let stmt = parse_standard(&SqlStatement {
                sql,
                position: statement.position,
            })?;
            Parsed::CreateTable {
                kind,
                statement: Box::new(stmt),
            }
        }
        _ => Parsed::Standard(Box::new(parse_standard(statement)?)),
    };
    Ok(parsed)
}

/// Parses a statement DataFusion plans, refusing one that nests deeper than
/// [`depth::MAX_DEPTH`]: a text of at most that many characters cannot, a longer one
/// is parsed, measured and (when refused) dropped on a stack of its own.
fn parse_standard(statement: &SqlStatement) -> Result<DfStatement> {
    if statement.sql.len() <= depth::MAX_DEPTH {
        return parse_standard_here(statement);
    }
    stacker::grow(depth::PARSE_STACK, || {
        let parsed = parse_standard_here(statement)?;
        let nesting = statement_depth(&parsed);
        if nesting > depth::MAX_DEPTH {
            drop(parsed);
            return Err(Error::InvalidArgument(format!(
                "the statement nests {nesting} levels deep (expressions and subqueries); at most {} are allowed: \
                 write a long chain of operators as an IN list, a CASE or a sum() over rows",
                depth::MAX_DEPTH
            )));
        }
        Ok(parsed)
    })
}

fn statement_depth(statement: &DfStatement) -> usize {
    match statement {
        DfStatement::Statement(s) => depth::depth_of(s.as_ref()),
        DfStatement::Explain(explain) => statement_depth(&explain.statement),
        DfStatement::CopyTo(copy) => match &copy.source {
            datafusion::sql::parser::CopyToSource::Query(query) => depth::depth_of(query.as_ref()),
            datafusion::sql::parser::CopyToSource::Relation(_) => 0,
        },
        _ => 0,
    }
}

fn parse_standard_here(statement: &SqlStatement) -> Result<DfStatement> {
    let padded = pad(statement);
    let dialect = GenericDialect {};
    let mut parser = DFParserBuilder::new(padded.as_str())
        .with_dialect(&dialect)
        .build()
        .map_err(|e| syntax_error(&e.to_string(), statement.position))?;
    // An error at the end of input ("found: EOF") has no location of its own.
    let mut statements = parser
        .parse_statements()
        .map_err(|e| syntax_error(&e.to_string(), end_position(statement)))?;
    match (statements.pop_front(), statements.is_empty()) {
        (Some(s), true) => Ok(s),
        _ => Err(Error::Syntax {
            message: "expected exactly one statement".into(),
            position: statement.position,
        }),
    }
}

/// The statement text preceded by blank lines and spaces, so positions reported by the
/// parser are positions in the original script.
fn pad(statement: &SqlStatement) -> String {
    let mut padded = "\n".repeat(statement.position.line.saturating_sub(1) as usize);
    padded.push_str(&" ".repeat(statement.position.column.saturating_sub(1) as usize));
    padded.push_str(&statement.sql);
    padded
}

/// The position just after the statement's last character.
fn end_position(statement: &SqlStatement) -> Position {
    let lines = statement.sql.split('\n').count() as u64;
    let last = statement.sql.rsplit('\n').next().unwrap_or("").chars().count() as u64;
    if lines == 1 {
        Position {
            line: statement.position.line,
            column: statement.position.column + last,
        }
    } else {
        Position {
            line: statement.position.line + lines - 1,
            column: last + 1,
        }
    }
}

fn tokenize(sql: &str, at: Position) -> Result<Vec<TokenWithSpan>> {
    let padded = pad(&SqlStatement {
        sql: sql.to_string(),
        position: at,
    });
    let dialect = GenericDialect {};
    let tokens = Tokenizer::new(&dialect, &padded)
        .tokenize_with_location()
        .map_err(|e| syntax_error(&e.to_string(), at))?;
    // Drop the padding's whitespace token(s).
    Ok(tokens
        .into_iter()
        .skip_while(|t| {
            matches!(t.token, Token::Whitespace(_)) && (t.span.start.line, t.span.start.column) < (at.line, at.column)
        })
        .collect())
}

/// Turns a sqlparser message "... at Line: 3, Column: 7" into a syntax error with that
/// position (falling back to the statement's start).
pub(crate) fn syntax_error(message: &str, fallback: Position) -> Error {
    let message = message
        .trim_start_matches("SQL error: ")
        .trim_start_matches("ParserError(\"")
        .trim_start_matches("TokenizerError(\"")
        .trim_end_matches("\")")
        .trim_start_matches("sql parser error: ")
        .trim_start_matches("SQL error: ");
    if let Some(at) = message.rfind(" at Line: ") {
        let tail = &message[at + " at Line: ".len()..];
        let mut parts = tail.split(", Column: ");
        let line = parts.next().and_then(|l| l.trim().parse().ok());
        let column = parts.next().and_then(|c| {
            c.chars()
                .take_while(|ch| ch.is_ascii_digit())
                .collect::<String>()
                .parse()
                .ok()
        });
        if let (Some(line), Some(column)) = (line, column) {
            return Error::Syntax {
                message: message[..at].to_string(),
                position: Position { line, column },
            };
        }
    }
    Error::Syntax {
        message: message.to_string(),
        position: fallback,
    }
}

fn span_start(t: &TokenWithSpan) -> Position {
    Position {
        line: t.span.start.line,
        column: t.span.start.column,
    }
}

fn span_end(t: &TokenWithSpan) -> Position {
    Position {
        line: t.span.end.line,
        column: t.span.end.column,
    }
}

/// Byte offsets of (line, column) positions in a text.
struct LineIndex<'a> {
    text: &'a str,
    starts: Vec<usize>,
}

impl<'a> LineIndex<'a> {
    fn new(text: &'a str) -> Self {
        let mut starts = vec![0];
        starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        LineIndex { text, starts }
    }

    fn position(&self, p: Position) -> usize {
        self.offset(p.line, p.column)
    }

    /// Byte offset of a 1-based line and character column.
    fn offset(&self, line: u64, column: u64) -> usize {
        let Some(&start) = self.starts.get(line.saturating_sub(1) as usize) else {
            return self.text.len();
        };
        let rest = &self.text[start..];
        rest.char_indices()
            .nth(column.saturating_sub(1) as usize)
            .map(|(i, _)| start + i)
            .unwrap_or(self.text.len())
    }
}

/// A cursor over the significant tokens of one statement, for our own statements.
struct Cursor<'a> {
    tokens: &'a [TokenWithSpan],
    significant: Vec<usize>,
    pos: usize,
    start: Position,
}

impl<'a> Cursor<'a> {
    fn new(tokens: &'a [TokenWithSpan], start: Position) -> Self {
        let significant = tokens
            .iter()
            .enumerate()
            .filter(|(_, t)| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
            .map(|(i, _)| i)
            .collect();
        Cursor {
            tokens,
            significant,
            pos: 0,
            start,
        }
    }

    fn nth_significant(&self, n: usize) -> Option<&'a TokenWithSpan> {
        self.significant.get(self.pos + n).map(|&i| &self.tokens[i])
    }

    fn peek_keyword(&self, n: usize) -> Option<String> {
        match &self.nth_significant(n)?.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_ascii_uppercase()),
            _ => None,
        }
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
    }

    /// Consumes the keywords if all of them come next.
    fn keywords(&mut self, words: &[&str]) -> bool {
        let matches = words
            .iter()
            .enumerate()
            .all(|(i, w)| self.peek_keyword(i).as_deref() == Some(*w));
        if matches {
            self.pos += words.len();
        }
        matches
    }

    fn expect_keyword(&mut self, word: &str) -> Result<()> {
        if self.keywords(&[word]) {
            Ok(())
        } else {
            Err(self.unexpected(word))
        }
    }

    /// Expects a token and returns its index in the full token list.
    fn expect(&mut self, token: Token, what: &str) -> Result<usize> {
        match self.significant.get(self.pos) {
            Some(&i) if self.tokens[i].token == token => {
                self.pos += 1;
                Ok(i)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn ident(&mut self, what: &str) -> Result<String> {
        match self.nth_significant(0).map(|t| &t.token) {
            Some(Token::Word(w)) => {
                self.pos += 1;
                Ok(normalize_ident(&w.value, w.quote_style.is_some()))
            }
            _ => Err(self.unexpected(what)),
        }
    }

    /// `namespace.table`, or a bare `table` of the namespace `default`.
    fn table_name(&mut self) -> Result<TableName> {
        let first = self.ident("a table name (namespace.table)")?;
        if self.nth_significant(0).map(|t| &t.token) != Some(&Token::Period) {
            return Ok(TableName::new(DEFAULT_NAMESPACE, first));
        }
        self.pos += 1;
        let table = self.ident("a table name")?;
        Ok(TableName::new(first, table))
    }

    fn string(&mut self, what: &str) -> Result<String> {
        match self.nth_significant(0).map(|t| &t.token) {
            Some(Token::SingleQuotedString(s)) => {
                self.pos += 1;
                Ok(s.clone())
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn number(&mut self, what: &str) -> Result<u64> {
        match self.nth_significant(0).map(|t| &t.token) {
            Some(Token::Number(n, _)) => match n.parse() {
                Ok(n) => {
                    self.pos += 1;
                    Ok(n)
                }
                Err(_) => Err(self.unexpected(what)),
            },
            _ => Err(self.unexpected(what)),
        }
    }

    fn end(&self) -> Result<()> {
        match self.nth_significant(0) {
            None => Ok(()),
            Some(_) => Err(self.unexpected("end of statement")),
        }
    }

    fn unexpected(&self, expected: &str) -> Error {
        match self.nth_significant(0) {
            Some(t) => self.error_at(span_start(t), &format!("Expected: {expected}, found: {}", t.token)),
            None => self.error_at_end(&format!("Expected: {expected}, found: end of statement")),
        }
    }

    fn error_at_end(&self, message: &str) -> Error {
        let at = self
            .significant
            .last()
            .map(|&i| span_end(&self.tokens[i]))
            .unwrap_or(self.start);
        self.error_at(at, message)
    }

    fn error_at(&self, position: Position, message: &str) -> Error {
        Error::Syntax {
            message: message.to_string(),
            position,
        }
    }
}

/// Unquoted identifiers are case-insensitive (lowercased), as in DataFusion.
pub(crate) fn normalize_ident(value: &str, quoted: bool) -> String {
    if quoted {
        value.to_string()
    } else {
        value.to_ascii_lowercase()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_on_top_level_semicolons_and_keeps_positions() {
        let script = "SELECT 1;\n  SELECT ';' ;\nEXECUTE AS USER 'a' (SELECT 2; );";
        let statements = split_statements(script).unwrap();
        assert_eq!(statements.len(), 3);
        assert_eq!(statements[1].sql, "SELECT ';'");
        assert_eq!(statements[1].position, Position { line: 2, column: 3 });
    }

    /// A script of one statement is taken whole without tokenizing: as the tokenizing
    /// split would take it.
    #[test]
    fn one_statement_is_split_as_the_tokenizer_would() {
        for script in [
            "SELECT 1",
            "  \n\t SELECT  'é'  \n",
            "\n\n   INSERT INTO t VALUES (1)\n",
            "   ",
            "",
        ] {
            let fast = split_statements(script).unwrap();
            let tokens = tokenize(script, Position { line: 1, column: 1 }).unwrap();
            let slow = split_statements(&format!("{script};")).unwrap();
            assert_eq!(fast, slow, "{script:?} ({} tokens)", tokens.len());
        }
        assert!(plainly_standard("select * from t") && plainly_standard("WITH x AS (SELECT 1) SELECT * FROM x"));
        assert!(!plainly_standard("SELECTED") && !plainly_standard("SUBSCRIBE TO SELECT 1"));
        assert!(!plainly_standard("CREATE USER TABLE t (a INT)") && !plainly_standard("-- c\nSELECT 1"));
    }

    #[test]
    fn syntax_errors_carry_script_positions() {
        let statements = split_statements("SELECT 1;\nSELEC x FROM y").unwrap();
        let err = parse(&statements[1]).unwrap_err();
        assert_eq!(err.position(), Some(Position { line: 2, column: 1 }), "{err}");
    }
}
