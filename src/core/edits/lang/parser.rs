//! Recursive-descent parser with precedence climbing: tokens to [`Expr`]. Precedence, lowest first:
//! `if-then-else`, `or`, `and`, `not`, comparisons and `in` (not chainable), `&`, `+ -`,
//! `* / %`, unary `-`, then calls, `t.item`, literals and parentheses.

use super::ast::{BinOp, Expr, ExprKind, InElem, Name, QuantKind, Span, UnOp};
use super::error::{CompileError, ErrorKind};
use super::lexer::{Tok, Token, tokenize};

/// Deepest nesting accepted, in parser recursion and in the finished tree (keeps the checker and
/// the evaluator, which recurse over the tree, far from the stack limit).
pub(crate) const MAX_DEPTH: usize = 128;

/// Parses an expression. Lexical errors are all reported; parsing stops at the first syntax
/// error.
pub(crate) fn parse(source: &str) -> Result<Expr, Vec<CompileError>> {
    let (tokens, errors) = tokenize(source);
    if !errors.is_empty() {
        return Err(errors);
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        depth: 0,
    };
    if parser.peek() == &Tok::End {
        return Err(vec![CompileError::new(
            ErrorKind::EmptyExpression,
            Span::new(0, source.len()),
        )]);
    }
    let expr = parser.expr().map_err(|e| vec![e])?;
    if parser.peek() != &Tok::End {
        return Err(vec![
            parser.unexpected("an operator or the end of the expression"),
        ]);
    }
    Ok(expr)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

type PResult<T> = Result<T, CompileError>;

/// Precedence of comparisons and `in`.
const COMPARISON: u8 = 4;
/// Precedence of `&`.
const CONCAT: u8 = 5;

/// An infix operator.
#[derive(Debug, Clone, Copy)]
enum Infix {
    Bin(BinOp),
    In,
}

/// The end token, for when the cursor runs past the list (it cannot: `End` is never consumed).
static END: Token = Token {
    tok: Tok::End,
    span: Span { start: 0, end: 0 },
};

impl Parser {
    fn token(&self) -> &Token {
        self.tokens
            .get(self.pos)
            .or_else(|| self.tokens.last())
            .unwrap_or(&END)
    }

    fn peek(&self) -> &Tok {
        &self.token().tok
    }

    fn peek_at(&self, ahead: usize) -> &Tok {
        self.tokens
            .get(self.pos + ahead)
            .map_or(&Tok::End, |t| &t.tok)
    }

    fn span(&self) -> Span {
        self.token().span
    }

    fn bump(&mut self) -> Token {
        let token = self.token().clone();
        if token.tok != Tok::End {
            self.pos += 1;
        }
        token
    }

    fn unexpected(&self, expected: &str) -> CompileError {
        CompileError::new(
            ErrorKind::UnexpectedToken {
                expected: expected.to_owned(),
                found: self.peek().describe(),
            },
            self.span(),
        )
    }

    fn expect(&mut self, tok: &Tok, expected: &str) -> PResult<Span> {
        if self.peek() == tok {
            Ok(self.bump().span)
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// True when the current token is the keyword `word` (any case).
    fn at_keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Tok::Ident(name) if name.eq_ignore_ascii_case(word))
    }

    fn eat_keyword(&mut self, word: &str) -> Option<Span> {
        self.at_keyword(word).then(|| self.bump().span)
    }

    fn enter(&mut self) -> PResult<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(CompileError::new(
                ErrorKind::TooDeep { limit: MAX_DEPTH },
                self.span(),
            ));
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth = self.depth.saturating_sub(1);
    }

    /// Builds a node, refusing trees deeper than [`MAX_DEPTH`] (checked as they grow, so that
    /// no deeper tree ever exists, not even to be dropped).
    fn make(&self, kind: ExprKind, span: Span) -> PResult<Expr> {
        let depth = kind.child_depth() + 1;
        if depth > MAX_DEPTH {
            return Err(CompileError::new(
                ErrorKind::TooDeep { limit: MAX_DEPTH },
                span,
            ));
        }
        Ok(Expr { kind, span, depth })
    }

    /// A full expression (the lowest precedence level).
    fn expr(&mut self) -> PResult<Expr> {
        self.enter()?;
        let result = self.binary(0);
        self.leave();
        result
    }

    /// The infix operator at the cursor and its precedence (higher binds tighter).
    fn infix(&self) -> Option<(Infix, u8)> {
        let op = match self.peek() {
            Tok::OrOr => BinOp::Or,
            Tok::AndAnd => BinOp::And,
            Tok::Eq => BinOp::Eq,
            Tok::Ne => BinOp::Ne,
            Tok::Lt => BinOp::Lt,
            Tok::Le => BinOp::Le,
            Tok::Gt => BinOp::Gt,
            Tok::Ge => BinOp::Ge,
            Tok::Amp => BinOp::Concat,
            Tok::Plus => BinOp::Add,
            Tok::Minus => BinOp::Sub,
            Tok::Star => BinOp::Mul,
            Tok::Slash => BinOp::Div,
            Tok::Percent => BinOp::Rem,
            Tok::Ident(word) if word.eq_ignore_ascii_case("or") => BinOp::Or,
            Tok::Ident(word) if word.eq_ignore_ascii_case("and") => BinOp::And,
            Tok::Ident(_) if self.at_in() => return Some((Infix::In, COMPARISON)),
            _ => return None,
        };
        let precedence = match op {
            BinOp::Or => 1,
            BinOp::And => 2,
            BinOp::Concat => 5,
            BinOp::Add | BinOp::Sub => 6,
            BinOp::Mul | BinOp::Div | BinOp::Rem => 7,
            _ => COMPARISON,
        };
        Some((Infix::Bin(op), precedence))
    }

    fn at_in(&self) -> bool {
        self.at_keyword("in")
            || (self.at_keyword("not")
                && matches!(self.peek_at(1), Tok::Ident(w) if w.eq_ignore_ascii_case("in")))
    }

    /// Precedence climbing: operands bind operators of precedence `min` and above, to the left.
    fn binary(&mut self, min: u8) -> PResult<Expr> {
        let mut lhs = self.prefix()?;
        while let Some((infix, precedence)) = self.infix() {
            if precedence < min {
                break;
            }
            lhs = match infix {
                Infix::In => self.in_rest(lhs)?,
                Infix::Bin(op) => {
                    let op_span = self.bump().span;
                    let rhs = self.binary(precedence + 1)?;
                    self.combine(op, op_span, lhs, rhs)?
                }
            };
            if precedence == COMPARISON && matches!(self.infix(), Some((_, p)) if p == COMPARISON) {
                return Err(CompileError::new(ErrorKind::ChainedComparison, self.span()));
            }
        }
        Ok(lhs)
    }

    /// Joins two operands; `and`/`or` chains are flattened so they stay shallow.
    fn combine(&self, op: BinOp, op_span: Span, lhs: Expr, rhs: Expr) -> PResult<Expr> {
        let span = lhs.span.to(rhs.span);
        if matches!(op, BinOp::And | BinOp::Or) {
            let operands = match lhs.kind {
                ExprKind::Logic {
                    op: inner,
                    mut operands,
                } if inner == op => {
                    operands.push(rhs);
                    operands
                }
                kind => vec![
                    Expr {
                        kind,
                        span: lhs.span,
                        depth: lhs.depth,
                    },
                    rhs,
                ],
            };
            return self.make(ExprKind::Logic { op, operands }, span);
        }
        self.make(
            ExprKind::Binary {
                op,
                op_span,
                lhs: Box::new(lhs),
                rhs: Box::new(rhs),
            },
            span,
        )
    }

    /// `in` or `not in` and its list, after the value.
    fn in_rest(&mut self, value: Expr) -> PResult<Expr> {
        let negated = self.at_keyword("not");
        let mut op_span = self.bump().span;
        if negated {
            op_span = op_span.to(self.bump().span);
        }
        let (elems, end) = self.in_list()?;
        let span = value.span.to(end);
        self.make(
            ExprKind::In {
                value: Box::new(value),
                elems,
                negated,
                op_span,
            },
            span,
        )
    }

    /// The list after `in`: `( elem, ... )` or a single element; returns the end span.
    fn in_list(&mut self) -> PResult<(Vec<InElem>, Span)> {
        if self.peek() == &Tok::LParen {
            self.bump();
            let mut elems = vec![self.in_elem()?];
            while self.peek() == &Tok::Comma {
                self.bump();
                elems.push(self.in_elem()?);
            }
            let end = self.expect(&Tok::RParen, "',' or ')' closing the list")?;
            Ok((elems, end))
        } else {
            let elem = self.in_elem()?;
            let end = match &elem {
                InElem::One(e) | InElem::Range(_, e) => e.span,
            };
            Ok((vec![elem], end))
        }
    }

    /// An element of an `in` list: a value or `lo..hi` (operands at the `&` level).
    fn in_elem(&mut self) -> PResult<InElem> {
        let lo = self.binary(CONCAT)?;
        if self.peek() == &Tok::DotDot {
            self.bump();
            let hi = self.binary(CONCAT)?;
            Ok(InElem::Range(lo, hi))
        } else {
            Ok(InElem::One(lo))
        }
    }

    /// `not`/`!` (over a comparison) and unary `-` (over one operand), else a primary.
    fn prefix(&mut self) -> PResult<Expr> {
        let start = self.span();
        let op = if self.peek() == &Tok::Bang || (self.at_keyword("not") && !self.at_in()) {
            UnOp::Not
        } else if self.peek() == &Tok::Minus {
            UnOp::Neg
        } else {
            return self.primary();
        };
        self.bump();
        self.enter()?;
        let operand = if op == UnOp::Not {
            self.binary(COMPARISON)
        } else {
            self.prefix()
        };
        self.leave();
        let operand = operand?;
        let span = start.to(operand.span);
        // A negative literal is a literal.
        if let (UnOp::Neg, ExprKind::Number(n)) = (op, &operand.kind) {
            return self.make(ExprKind::Number(-n), span);
        }
        self.make(
            ExprKind::Unary {
                op,
                operand: Box::new(operand),
            },
            span,
        )
    }

    fn primary(&mut self) -> PResult<Expr> {
        let token = self.token().clone();
        match token.tok {
            Tok::Number(n) => {
                self.bump();
                self.make(ExprKind::Number(n), token.span)
            }
            Tok::Text(text) => {
                self.bump();
                self.make(ExprKind::Text(text), token.span)
            }
            Tok::LParen => {
                self.bump();
                let inner = self.expr()?;
                let end = self.expect(&Tok::RParen, "')'")?;
                self.make(inner.kind, token.span.to(end))
            }
            Tok::Ident(name) => self.identifier(name, token.span),
            _ => Err(self.unexpected("a value, an item, a function call or '('")),
        }
    }

    fn identifier(&mut self, name: String, span: Span) -> PResult<Expr> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "true" | "false" => {
                self.bump();
                return self.make(ExprKind::Bool(lower == "true"), span);
            }
            "if" => return self.if_expr(),
            "and" | "or" | "not" | "in" | "then" | "else" => {
                return Err(self.unexpected("a value, an item, a function call or '('"));
            }
            _ => {}
        }
        self.bump();
        let name = Name { text: name, span };
        match self.peek() {
            Tok::LParen => {
                if let Some(kind) = QuantKind::from_name(&name.text) {
                    return self.quantifier(kind, name);
                }
                self.call(name)
            }
            Tok::Dot => {
                self.bump();
                let item_token = self.token().clone();
                let Tok::Ident(item) = item_token.tok else {
                    return Err(self.unexpected("an item id after '.'"));
                };
                self.bump();
                let item = Name {
                    text: item,
                    span: item_token.span,
                };
                let span = name.span.to(item.span);
                self.make(ExprKind::Field { var: name, item }, span)
            }
            _ => self.make(ExprKind::Ident(name.text), span),
        }
    }

    fn call(&mut self, name: Name) -> PResult<Expr> {
        self.bump(); // (
        let mut args = Vec::new();
        if self.peek() != &Tok::RParen {
            args.push(self.expr()?);
            while self.peek() == &Tok::Comma {
                self.bump();
                args.push(self.expr()?);
            }
        }
        let end = self.expect(&Tok::RParen, "',' or ')' closing the arguments")?;
        let span = name.span.to(end);
        self.make(ExprKind::Call { name, args }, span)
    }

    fn name(&mut self, expected: &str) -> PResult<Name> {
        let token = self.token().clone();
        match token.tok {
            Tok::Ident(text) => {
                self.bump();
                Ok(Name {
                    text,
                    span: token.span,
                })
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    /// `any(t in tumors: body)`, `pairs(a, b in tumors: body)`.
    fn quantifier(&mut self, kind: QuantKind, keyword: Name) -> PResult<Expr> {
        self.bump(); // (
        let mut vars = vec![self.name("a variable name, as in any(t in tumors: ...)")?];
        if kind == QuantKind::Pairs {
            self.expect(
                &Tok::Comma,
                "',' and a second variable, as in pairs(a, b in tumors: ...)",
            )?;
            vars.push(self.name("a second variable name")?);
        }
        if self.eat_keyword("in").is_none() {
            return Err(self.unexpected("'in tumors:'"));
        }
        let domain = self.name("'tumors'")?;
        self.expect(&Tok::Colon, "':' before the condition")?;
        let body = self.expr()?;
        let end = self.expect(&Tok::RParen, "')' closing the quantifier")?;
        self.make(
            ExprKind::Quant {
                kind,
                vars,
                domain,
                body: Box::new(body),
            },
            keyword.span.to(end),
        )
    }

    /// `if cond then a [else b]`; the else branch extends as far as possible.
    fn if_expr(&mut self) -> PResult<Expr> {
        let start = self.bump().span;
        self.enter()?;
        let result = self.if_parts(start);
        self.leave();
        result
    }

    fn if_parts(&mut self, start: Span) -> PResult<Expr> {
        let cond = self.expr()?;
        if self.eat_keyword("then").is_none() {
            return Err(self.unexpected("'then'"));
        }
        let then = self.expr()?;
        let otherwise = if self.eat_keyword("else").is_some() {
            Some(Box::new(self.expr()?))
        } else {
            None
        };
        let end = otherwise.as_ref().map_or(then.span, |o| o.span);
        self.make(
            ExprKind::If {
                cond: Box::new(cond),
                then: Box::new(then),
                otherwise,
            },
            start.to(end),
        )
    }
}

#[cfg(test)]
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
mod tests {
    use super::*;

    /// A compact rendering of the tree, to check grouping.
    fn show(e: &Expr) -> String {
        match &e.kind {
            ExprKind::Text(t) => format!("{t:?}"),
            ExprKind::Number(n) => format!("{n}"),
            ExprKind::Bool(b) => format!("{b}"),
            ExprKind::Ident(i) => i.clone(),
            ExprKind::Field { var, item } => format!("{}.{}", var.text, item.text),
            ExprKind::Unary { op, operand } => format!("({op:?} {})", show(operand)),
            ExprKind::Binary { op, lhs, rhs, .. } => {
                format!("({} {} {})", show(lhs), op.symbol(), show(rhs))
            }
            ExprKind::Logic { op, operands } => format!(
                "({})",
                operands
                    .iter()
                    .map(show)
                    .collect::<Vec<_>>()
                    .join(&format!(" {} ", op.symbol()))
            ),
            ExprKind::In {
                value,
                elems,
                negated,
                ..
            } => {
                let elems: Vec<String> = elems
                    .iter()
                    .map(|e| match e {
                        InElem::One(x) => show(x),
                        InElem::Range(a, b) => format!("{}..{}", show(a), show(b)),
                    })
                    .collect();
                let op = if *negated { "not in" } else { "in" };
                format!("({} {op} [{}])", show(value), elems.join(", "))
            }
            ExprKind::Call { name, args } => format!(
                "{}({})",
                name.text,
                args.iter().map(show).collect::<Vec<_>>().join(", ")
            ),
            ExprKind::Quant {
                kind, vars, body, ..
            } => format!(
                "{}({}: {})",
                kind.name(),
                vars.iter()
                    .map(|v| v.text.clone())
                    .collect::<Vec<_>>()
                    .join(","),
                show(body)
            ),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => match otherwise {
                Some(o) => format!("(if {} then {} else {})", show(cond), show(then), show(o)),
                None => format!("(if {} then {})", show(cond), show(then)),
            },
        }
    }

    fn p(source: &str) -> String {
        show(&parse(source).unwrap_or_else(|e| panic!("{source}: {e:?}")))
    }

    fn err(source: &str) -> (String, Span) {
        let errors = parse(source).expect_err(source);
        (errors[0].kind.to_string(), errors[0].span)
    }

    #[test]
    fn precedence_from_or_down_to_unary_minus() {
        assert_eq!(p("a or b and c"), "(a or (b and c))");
        assert_eq!(p("a and b or c and d"), "((a and b) or (c and d))");
        assert_eq!(p("not a = b and c"), "((Not (a = b)) and c)");
        assert_eq!(p("1 + 2 * 3 - 4"), "((1 + (2 * 3)) - 4)");
        assert_eq!(p("-x * 2"), "((Neg x) * 2)");
        assert_eq!(p("-2 * 3"), "(-2 * 3)");
        assert_eq!(p("a & b + 1"), "(a & (b + 1))");
        assert_eq!(p("(1 + 2) * 3"), "((1 + 2) * 3)");
        assert_eq!(p("a || b && !c"), "(a or (b and (Not c)))");
        assert_eq!(
            p("x = 1 or y <> 2 or z != 3"),
            "((x = 1) or (y <> 2) or (z <> 3))"
        );
    }

    #[test]
    fn in_lists_ranges_and_not_in() {
        assert_eq!(p(r#"x in ("1", "2".."4")"#), r#"(x in ["1", "2".."4"])"#);
        assert_eq!(p(r#"x in "C760".."C768""#), r#"(x in ["C760".."C768"])"#);
        assert_eq!(p(r#"x not in ("1") and y"#), r#"((x not in ["1"]) and y)"#);
        assert_eq!(p(r#"not x in ("1")"#), r#"(Not (x in ["1"]))"#);
    }

    #[test]
    fn calls_fields_quantifiers_and_if() {
        assert_eq!(p("substr(a, 1, 2)"), "substr(a, 1, 2)");
        assert_eq!(p("now()"), "now()");
        assert_eq!(
            p("any(t in tumors: t.primarySite = \"C509\")"),
            "any(t: (t.primarySite = \"C509\"))"
        );
        assert_eq!(
            p("pairs(a, b in tumors: a.x <> b.x)"),
            "pairs(a,b: (a.x <> b.x))"
        );
        assert_eq!(
            p("if a then 1 else if b then 2 else 3"),
            "(if a then 1 else (if b then 2 else 3))"
        );
        assert_eq!(p("IF a THEN b"), "(if a then b)");
        assert_eq!(
            p("1 + if a then 2 else 3 + 4"),
            "(1 + (if a then 2 else (3 + 4)))"
        );
        assert_eq!(p("TRUE And False"), "(true and false)");
    }

    #[test]
    fn multi_line_expressions_and_comments() {
        let source = "primarySite = \"C509\" // breast\n  and histologicTypeIcdO3 = \"8500\"";
        assert_eq!(
            p(source),
            "((primarySite = \"C509\") and (histologicTypeIcdO3 = \"8500\"))"
        );
    }

    #[test]
    fn syntax_errors_point_at_the_offending_token() {
        assert_eq!(
            err("a = = b"),
            (
                "expected a value, an item, a function call or '(', found '='".into(),
                Span::new(4, 5)
            )
        );
        assert_eq!(
            err("a < b < c"),
            (
                "comparisons cannot be chained: join them with 'and'".into(),
                Span::new(6, 7)
            )
        );
        assert_eq!(
            err("(a = b"),
            (
                "expected ')', found the end of the expression".into(),
                Span::new(6, 6)
            )
        );
        assert_eq!(
            err("f(a,)"),
            (
                "expected a value, an item, a function call or '(', found ')'".into(),
                Span::new(4, 5)
            )
        );
        assert_eq!(
            err("a b"),
            (
                "expected an operator or the end of the expression, found 'b'".into(),
                Span::new(2, 3)
            )
        );
        assert_eq!(
            err("any(t of tumors: x)"),
            ("expected 'in tumors:', found 'of'".into(), Span::new(6, 8))
        );
        assert_eq!(err("   // nothing").0, "the expression is empty");
        assert_eq!(
            err("if a b"),
            ("expected 'then', found 'b'".into(), Span::new(5, 6))
        );
    }

    #[test]
    fn nesting_is_limited_without_overflowing_the_stack() {
        let deep = "(".repeat(500) + "1" + &")".repeat(500);
        assert_eq!(
            err(&deep).0,
            format!("the expression nests more than {MAX_DEPTH} levels deep")
        );
        let long_chain = vec!["1"; 5000].join(" + ");
        assert_eq!(
            err(&long_chain).0,
            format!("the expression nests more than {MAX_DEPTH} levels deep")
        );
        let long_or = vec!["a = 1"; 5000].join(" or ");
        assert!(parse(&long_or).is_ok(), "or-chains are flattened");
        let nots = "not ".repeat(500) + "a";
        assert!(parse(&nots).is_err());
    }
}
