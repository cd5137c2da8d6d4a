//! The syntax tree the parser builds and the type checker reads. Every node keeps its span so
//! that errors point at the exact text.

use std::fmt;

/// A byte range of the expression text, `start..end`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The range `start..end`.
    pub fn new(start: usize, end: usize) -> Self {
        Self { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }
}

/// The static type of an expression.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Type {
    /// Text: item values, string literals, `substr(...)`.
    Text,
    /// A number: literals, `num(...)`, date differences, counts.
    Number,
    /// True or false: comparisons, `empty(...)`, `and`/`or`/`not`.
    Bool,
}

impl fmt::Display for Type {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Text => "text",
            Self::Number => "a number",
            Self::Bool => "true/false",
        })
    }
}

/// A binary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum BinOp {
    Or,
    And,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Concat,
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

impl BinOp {
    /// The operator as authors write it (canonical spelling).
    pub(crate) fn symbol(self) -> &'static str {
        match self {
            Self::Or => "or",
            Self::And => "and",
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Concat => "&",
            Self::Add => "+",
            Self::Sub => "-",
            Self::Mul => "*",
            Self::Div => "/",
            Self::Rem => "%",
        }
    }

    pub(crate) fn is_comparison(self) -> bool {
        matches!(
            self,
            Self::Eq | Self::Ne | Self::Lt | Self::Le | Self::Gt | Self::Ge
        )
    }
}

/// A unary operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UnOp {
    Not,
    Neg,
}

/// The four quantifiers over the tumours of a patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum QuantKind {
    /// `any(t in tumors: cond)`: some tumour satisfies `cond`.
    Any,
    /// `all(t in tumors: cond)`: every tumour does.
    All,
    /// `count(t in tumors: cond)`: how many do.
    Count,
    /// `pairs(a, b in tumors: cond)`: every unordered pair of distinct tumours does.
    Pairs,
}

impl QuantKind {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        [
            ("any", Self::Any),
            ("all", Self::All),
            ("count", Self::Count),
            ("pairs", Self::Pairs),
        ]
        .into_iter()
        .find(|(n, _)| name.eq_ignore_ascii_case(n))
        .map(|(_, k)| k)
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Any => "any",
            Self::All => "all",
            Self::Count => "count",
            Self::Pairs => "pairs",
        }
    }
}

/// An identifier with its span.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Name {
    pub(crate) text: String,
    pub(crate) span: Span,
}

/// One element of an `in` list: a value or an inclusive range `lo..hi`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum InElem {
    One(Expr),
    Range(Expr, Expr),
}

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Expr {
    pub(crate) kind: ExprKind,
    pub(crate) span: Span,
    /// Height of the tree below and including this node (a leaf is 1).
    pub(crate) depth: usize,
}

impl ExprKind {
    /// The greatest depth among the direct children (0 for a leaf).
    pub(crate) fn child_depth(&self) -> usize {
        let max = |es: &mut dyn Iterator<Item = &Expr>| es.map(|e| e.depth).max().unwrap_or(0);
        match self {
            Self::Text(_)
            | Self::Number(_)
            | Self::Bool(_)
            | Self::Ident(_)
            | Self::Field { .. } => 0,
            Self::Unary { operand, .. } => operand.depth,
            Self::Binary { lhs, rhs, .. } => lhs.depth.max(rhs.depth),
            Self::Logic { operands, .. } => max(&mut operands.iter()),
            Self::In { value, elems, .. } => {
                value.depth.max(max(&mut elems.iter().flat_map(|e| {
                    match e {
                        InElem::One(x) => [Some(x), None],
                        InElem::Range(a, b) => [Some(a), Some(b)],
                    }
                    .into_iter()
                    .flatten()
                })))
            }
            Self::Call { args, .. } => max(&mut args.iter()),
            Self::Quant { body, .. } => body.depth,
            Self::If {
                cond,
                then,
                otherwise,
            } => cond
                .depth
                .max(then.depth)
                .max(otherwise.as_ref().map_or(0, |o| o.depth)),
        }
    }
}

/// The kinds of expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ExprKind {
    Text(String),
    Number(f64),
    Bool(bool),
    /// An item id or a named constant.
    Ident(String),
    /// `t.itemId`: an item of the tumour bound to `t`.
    Field {
        var: Name,
        item: Name,
    },
    Unary {
        op: UnOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        op_span: Span,
        lhs: Box<Expr>,
        rhs: Box<Expr>,
    },
    /// `and` / `or` chains, flattened so long chains stay shallow.
    Logic {
        op: BinOp,
        operands: Vec<Expr>,
    },
    In {
        value: Box<Expr>,
        elems: Vec<InElem>,
        negated: bool,
        op_span: Span,
    },
    Call {
        name: Name,
        args: Vec<Expr>,
    },
    Quant {
        kind: QuantKind,
        vars: Vec<Name>,
        domain: Name,
        body: Box<Expr>,
    },
    If {
        cond: Box<Expr>,
        then: Box<Expr>,
        otherwise: Option<Box<Expr>>,
    },
}
