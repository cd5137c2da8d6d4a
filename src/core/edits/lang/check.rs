//! Name resolution and static typing, lowering the syntax tree into the compiled nodes in the
//! same walk. Errors are collected; a node with an error becomes [`Typed::Error`], which stops
//! further errors about the same spot from piling up.

use std::collections::BTreeSet;

use super::ast::{BinOp, Expr, ExprKind, InElem, Name, QuantKind, Span, Type, UnOp};
use super::codes::{CodeSet, code_cmp};
use super::compile::{
    ArithOp, BoolNode, CmpOp, CompileEnv, EditLevel, ItemInfo, MAX_VARS, NumElem, NumNode, Root,
    TextElem, TextNode, Var,
};
use super::dates::CONSTANTS;
use super::error::{CompileError, ErrorKind};
use super::functions;
use crate::core::naaccr::ParentElement;

/// A checked and lowered expression.
#[derive(Debug)]
pub(crate) enum Typed {
    Text(TextNode),
    Num(NumNode),
    Bool(BoolNode),
    /// Already reported.
    Error,
}

impl Typed {
    pub(crate) fn ty(&self) -> Option<Type> {
        match self {
            Self::Text(_) => Some(Type::Text),
            Self::Num(_) => Some(Type::Number),
            Self::Bool(_) => Some(Type::Bool),
            Self::Error => None,
        }
    }

    pub(crate) fn into_root(self) -> Option<Root> {
        match self {
            Self::Text(n) => Some(Root::Text(n)),
            Self::Num(n) => Some(Root::Num(n)),
            Self::Bool(n) => Some(Root::Bool(n)),
            Self::Error => None,
        }
    }
}

/// The walk's state: environment, errors, items read and the variables in scope.
pub(crate) struct Checker<'e> {
    pub(crate) env: &'e CompileEnv<'e>,
    pub(crate) errors: Vec<CompileError>,
    pub(crate) items: BTreeSet<String>,
    pub(crate) reads_tumors: bool,
    /// Bound tumor variables; a variable's index is its position.
    vars: Vec<String>,
}

impl<'e> Checker<'e> {
    pub(crate) fn new(env: &'e CompileEnv<'e>) -> Self {
        Self {
            env,
            errors: Vec::new(),
            items: BTreeSet::new(),
            reads_tumors: false,
            vars: Vec::new(),
        }
    }

    pub(crate) fn error(&mut self, kind: ErrorKind, span: Span) -> Typed {
        self.errors.push(CompileError::new(kind, span));
        Typed::Error
    }

    /// Reports a type mismatch unless the operand already failed.
    pub(crate) fn mismatch(&mut self, what: String, expected: Type, found: &Typed, span: Span) {
        if let Some(found) = found.ty() {
            self.errors.push(CompileError::new(
                ErrorKind::TypeMismatch {
                    what,
                    expected,
                    found,
                },
                span,
            ));
        }
    }

    pub(crate) fn expect_text(
        &mut self,
        expr: &Expr,
        what: impl FnOnce() -> String,
    ) -> Option<TextNode> {
        match self.check(expr) {
            Typed::Text(n) => Some(n),
            other => {
                self.mismatch(what(), Type::Text, &other, expr.span);
                None
            }
        }
    }

    pub(crate) fn expect_num(
        &mut self,
        expr: &Expr,
        what: impl FnOnce() -> String,
    ) -> Option<NumNode> {
        match self.check(expr) {
            Typed::Num(n) => Some(n),
            other => {
                self.mismatch(what(), Type::Number, &other, expr.span);
                None
            }
        }
    }

    pub(crate) fn expect_bool(
        &mut self,
        expr: &Expr,
        what: impl FnOnce() -> String,
    ) -> Option<BoolNode> {
        match self.check(expr) {
            Typed::Bool(n) => Some(n),
            other => {
                self.mismatch(what(), Type::Bool, &other, expr.span);
                None
            }
        }
    }

    /// The item a bare identifier or `t.item` names, when it names one (no error reported).
    pub(crate) fn item_of(&self, expr: &Expr) -> Option<(String, ItemInfo)> {
        let id = match &expr.kind {
            ExprKind::Ident(id) => id,
            ExprKind::Field { item, .. } => &item.text,
            _ => return None,
        };
        self.env.items.resolve(id).map(|info| (id.clone(), info))
    }

    fn variable(&self, name: &str) -> Option<Var> {
        self.vars.iter().rposition(|v| v == name)
    }

    /// Checks an expression and lowers it.
    pub(crate) fn check(&mut self, expr: &Expr) -> Typed {
        match &expr.kind {
            ExprKind::Text(t) => Typed::Text(TextNode::Const(t.as_str().into())),
            ExprKind::Number(n) => Typed::Num(NumNode::Const(*n)),
            ExprKind::Bool(b) => Typed::Bool(BoolNode::Const(*b)),
            ExprKind::Ident(name) => self.ident(name, expr.span),
            ExprKind::Field { var, item } => self.field(var, item),
            ExprKind::Unary { op, operand } => self.unary(*op, operand),
            ExprKind::Binary {
                op,
                op_span,
                lhs,
                rhs,
            } => self.binary(*op, *op_span, lhs, rhs),
            ExprKind::Logic { op, operands } => self.logic(*op, operands),
            ExprKind::In {
                value,
                elems,
                negated,
                op_span,
            } => self.in_list(value, elems, *negated, *op_span),
            ExprKind::Call { name, args } => functions::call(self, name, args, expr.span),
            ExprKind::Quant {
                kind,
                vars,
                domain,
                body,
            } => self.quantifier(*kind, vars, domain, body),
            ExprKind::If {
                cond,
                then,
                otherwise,
            } => self.if_expr(cond, then, otherwise.as_deref()),
        }
    }

    fn ident(&mut self, name: &str, span: Span) -> Typed {
        if let Some((_, value)) = CONSTANTS.iter().find(|(n, _)| *n == name) {
            return Typed::Num(NumNode::Const(*value as f64));
        }
        if self.variable(name).is_some() {
            return self.error(
                ErrorKind::VariableWithoutItem {
                    name: name.to_owned(),
                },
                span,
            );
        }
        let Some(info) = self.env.items.resolve(name) else {
            return self.error(
                ErrorKind::UnknownItem {
                    naaccr_id: name.to_owned(),
                },
                span,
            );
        };
        if info.parent == ParentElement::Tumor && self.env.level == EditLevel::Patient {
            return self.error(
                ErrorKind::TumorItemInPatientEdit {
                    naaccr_id: name.to_owned(),
                },
                span,
            );
        }
        self.items.insert(name.to_owned());
        Typed::Text(TextNode::Item(info.slot))
    }

    fn field(&mut self, var: &Name, item: &Name) -> Typed {
        let Some(index) = self.variable(&var.text) else {
            return self.error(
                ErrorKind::UnknownVariable {
                    name: var.text.clone(),
                },
                var.span,
            );
        };
        let Some(info) = self.env.items.resolve(&item.text) else {
            return self.error(
                ErrorKind::UnknownItem {
                    naaccr_id: item.text.clone(),
                },
                item.span,
            );
        };
        if info.parent != ParentElement::Tumor {
            return self.error(
                ErrorKind::PatientItemThroughVariable {
                    naaccr_id: item.text.clone(),
                    variable: var.text.clone(),
                },
                item.span,
            );
        }
        self.items.insert(item.text.clone());
        Typed::Text(TextNode::TumorItem(index, info.slot))
    }

    fn unary(&mut self, op: UnOp, operand: &Expr) -> Typed {
        match op {
            UnOp::Not => match self.expect_bool(operand, || "the operand of 'not'".into()) {
                Some(BoolNode::Const(b)) => Typed::Bool(BoolNode::Const(!b)),
                Some(n) => Typed::Bool(BoolNode::Not(Box::new(n))),
                None => Typed::Error,
            },
            UnOp::Neg => match self.check(operand) {
                Typed::Num(NumNode::Const(n)) => Typed::Num(NumNode::Const(-n)),
                Typed::Num(n) => Typed::Num(NumNode::Neg(Box::new(n))),
                Typed::Text(_) => {
                    self.error(ErrorKind::ArithmeticOnText { op: "-".into() }, operand.span)
                }
                other => {
                    self.mismatch(
                        "the operand of '-'".into(),
                        Type::Number,
                        &other,
                        operand.span,
                    );
                    Typed::Error
                }
            },
        }
    }

    fn binary(&mut self, op: BinOp, op_span: Span, lhs: &Expr, rhs: &Expr) -> Typed {
        let left = self.check(lhs);
        let right = self.check(rhs);
        if op.is_comparison() {
            return self.comparison(op, op_span, left, right, rhs.span);
        }
        match op {
            BinOp::Concat => match (left, right) {
                (Typed::Text(a), Typed::Text(b)) => Typed::Text(concat(vec![a, b])),
                (l, r) => {
                    for (side, span) in [(&l, lhs.span), (&r, rhs.span)] {
                        if let Some(found) = side.ty()
                            && found != Type::Text
                        {
                            self.errors.push(CompileError::new(
                                ErrorKind::ConcatOfNonText { found },
                                span,
                            ));
                        }
                    }
                    Typed::Error
                }
            },
            _ => {
                let arith = match op {
                    BinOp::Add => ArithOp::Add,
                    BinOp::Sub => ArithOp::Sub,
                    BinOp::Mul => ArithOp::Mul,
                    BinOp::Div => ArithOp::Div,
                    _ => ArithOp::Rem,
                };
                match (left, right) {
                    (Typed::Num(a), Typed::Num(b)) => Typed::Num(arith_node(arith, a, b)),
                    (Typed::Error, _) | (_, Typed::Error) => Typed::Error,
                    (l, r) => {
                        if l.ty() == Some(Type::Text) || r.ty() == Some(Type::Text) {
                            return self.error(
                                ErrorKind::ArithmeticOnText {
                                    op: op.symbol().into(),
                                },
                                op_span,
                            );
                        }
                        let what = format!("each operand of '{}'", op.symbol());
                        let (bad, span) = if l.ty() == Some(Type::Number) {
                            (r, rhs.span)
                        } else {
                            (l, lhs.span)
                        };
                        self.mismatch(what, Type::Number, &bad, span);
                        Typed::Error
                    }
                }
            }
        }
    }

    fn comparison(
        &mut self,
        op: BinOp,
        op_span: Span,
        left: Typed,
        right: Typed,
        rhs_span: Span,
    ) -> Typed {
        let cmp = match op {
            BinOp::Eq => CmpOp::Eq,
            BinOp::Ne => CmpOp::Ne,
            BinOp::Lt => CmpOp::Lt,
            BinOp::Le => CmpOp::Le,
            BinOp::Gt => CmpOp::Gt,
            _ => CmpOp::Ge,
        };
        match (left, right) {
            (Typed::Text(a), Typed::Text(b)) => {
                Typed::Bool(BoolNode::CmpText(cmp, Box::new(a), Box::new(b)))
            }
            (Typed::Num(a), Typed::Num(b)) => {
                Typed::Bool(BoolNode::CmpNum(cmp, Box::new(a), Box::new(b)))
            }
            (Typed::Bool(a), Typed::Bool(b)) => match cmp {
                CmpOp::Eq | CmpOp::Ne => Typed::Bool(BoolNode::CmpBool(
                    cmp == CmpOp::Eq,
                    Box::new(a),
                    Box::new(b),
                )),
                _ => self.error(ErrorKind::OrderedBool, op_span),
            },
            (Typed::Error, _) | (_, Typed::Error) => Typed::Error,
            (Typed::Text(_), Typed::Num(_)) | (Typed::Num(_), Typed::Text(_)) => self.error(
                ErrorKind::TextComparedWithNumber {
                    op: op.symbol().into(),
                },
                op_span,
            ),
            (l, r) => {
                let what = format!("the right side of '{}'", op.symbol());
                let expected = l.ty().unwrap_or(Type::Bool);
                self.mismatch(what, expected, &r, rhs_span);
                Typed::Error
            }
        }
    }

    fn logic(&mut self, op: BinOp, operands: &[Expr]) -> Typed {
        let mut nodes = Vec::with_capacity(operands.len());
        let mut failed = false;
        let what = format!("each operand of '{}'", op.symbol());
        for operand in operands {
            match self.expect_bool(operand, || what.clone()) {
                Some(node) => nodes.push(node),
                None => failed = true,
            }
        }
        if failed {
            return Typed::Error;
        }
        let nodes = nodes.into_boxed_slice();
        Typed::Bool(if op == BinOp::And {
            BoolNode::And(nodes)
        } else {
            BoolNode::Or(nodes)
        })
    }

    fn in_list(&mut self, value: &Expr, elems: &[InElem], negated: bool, op_span: Span) -> Typed {
        let op = if negated { "not in" } else { "in" };
        match self.check(value) {
            Typed::Text(value) => {
                let mut set = CodeSet::default();
                let mut dynamic = Vec::new();
                let mut failed = false;
                for elem in elems {
                    match elem {
                        InElem::One(e) => match self.in_text(e, op) {
                            Some(TextNode::Const(c)) => set.insert_code(&c),
                            Some(n) => dynamic.push(TextElem::One(n)),
                            None => failed = true,
                        },
                        InElem::Range(lo, hi) => {
                            match (self.in_text(lo, op), self.in_text(hi, op)) {
                                (Some(TextNode::Const(a)), Some(TextNode::Const(b))) => {
                                    if code_cmp(&a, &b, false).is_gt() {
                                        self.error(
                                            ErrorKind::InvalidList {
                                                reason: format!(
                                                    "the range \"{a}\"..\"{b}\" has its low end above its high end"
                                                ),
                                            },
                                            lo.span.to(hi.span),
                                        );
                                        failed = true;
                                    } else {
                                        set.insert_range(&a, &b);
                                    }
                                }
                                (Some(a), Some(b)) => dynamic.push(TextElem::Range(a, b)),
                                _ => failed = true,
                            }
                        }
                    }
                }
                if failed {
                    return Typed::Error;
                }
                Typed::Bool(BoolNode::TextIn {
                    value: Box::new(value),
                    set,
                    dynamic: dynamic.into_boxed_slice(),
                    negated,
                })
            }
            Typed::Num(value) => {
                let mut out = Vec::new();
                let mut failed = false;
                for elem in elems {
                    match elem {
                        InElem::One(e) => match self.in_num(e, op) {
                            Some(n) => out.push(NumElem::One(n)),
                            None => failed = true,
                        },
                        InElem::Range(lo, hi) => match (self.in_num(lo, op), self.in_num(hi, op)) {
                            (Some(a), Some(b)) => out.push(NumElem::Range(a, b)),
                            _ => failed = true,
                        },
                    }
                }
                if failed {
                    return Typed::Error;
                }
                Typed::Bool(BoolNode::NumIn {
                    value: Box::new(value),
                    elems: out.into_boxed_slice(),
                    negated,
                })
            }
            Typed::Bool(_) => self.error(
                ErrorKind::TypeMismatch {
                    what: format!("the value before '{op}'"),
                    expected: Type::Text,
                    found: Type::Bool,
                },
                value.span.to(op_span),
            ),
            Typed::Error => Typed::Error,
        }
    }

    fn in_text(&mut self, expr: &Expr, op: &str) -> Option<TextNode> {
        match self.check(expr) {
            Typed::Text(n) => Some(n),
            Typed::Num(_) => {
                self.error(
                    ErrorKind::TextComparedWithNumber { op: op.into() },
                    expr.span,
                );
                None
            }
            other => {
                self.mismatch(
                    format!("each element of an '{op}' list of text"),
                    Type::Text,
                    &other,
                    expr.span,
                );
                None
            }
        }
    }

    fn in_num(&mut self, expr: &Expr, op: &str) -> Option<NumNode> {
        match self.check(expr) {
            Typed::Num(n) => Some(n),
            Typed::Text(_) => {
                self.error(
                    ErrorKind::TextComparedWithNumber { op: op.into() },
                    expr.span,
                );
                None
            }
            other => {
                self.mismatch(
                    format!("each element of an '{op}' list of numbers"),
                    Type::Number,
                    &other,
                    expr.span,
                );
                None
            }
        }
    }

    fn quantifier(&mut self, kind: QuantKind, vars: &[Name], domain: &Name, body: &Expr) -> Typed {
        if !domain.text.eq_ignore_ascii_case("tumors") {
            return self.error(
                ErrorKind::UnknownDomain {
                    name: domain.text.clone(),
                },
                domain.span,
            );
        }
        for (i, var) in vars.iter().enumerate() {
            let taken =
                self.vars.contains(&var.text) || vars.iter().take(i).any(|v| v.text == var.text);
            if taken {
                return self.error(
                    ErrorKind::DuplicateVariable {
                        name: var.text.clone(),
                    },
                    var.span,
                );
            }
        }
        if self.vars.len() + vars.len() > MAX_VARS {
            let span = vars.first().map_or(domain.span, |v| v.span);
            return self.error(ErrorKind::TooManyVariables { limit: MAX_VARS }, span);
        }
        self.reads_tumors = true;
        let first = self.vars.len();
        self.vars.extend(vars.iter().map(|v| v.text.clone()));
        let what = || format!("the condition of {}()", kind.name());
        let node = self.expect_bool(body, what);
        self.vars.truncate(first);
        let Some(node) = node else {
            return Typed::Error;
        };
        let body = Box::new(node);
        match kind {
            QuantKind::Any | QuantKind::All => Typed::Bool(BoolNode::Quant(kind, first, body)),
            QuantKind::Count => Typed::Num(NumNode::Count(first, body)),
            QuantKind::Pairs => Typed::Bool(BoolNode::Pairs(first, first + 1, body)),
        }
    }

    fn if_expr(&mut self, cond: &Expr, then: &Expr, otherwise: Option<&Expr>) -> Typed {
        let cond_node = self.expect_bool(cond, || "the condition of if".into());
        let then_node = self.check(then);
        let else_node = match otherwise {
            Some(e) => self.check(e),
            None => match then_node.ty() {
                Some(Type::Bool) | None => Typed::Bool(BoolNode::Const(true)),
                Some(found) => {
                    return self.error(ErrorKind::IfWithoutElse { found }, then.span);
                }
            },
        };
        let Some(c) = cond_node else {
            return Typed::Error;
        };
        let c = Box::new(c);
        match (then_node, else_node) {
            (Typed::Text(a), Typed::Text(b)) => {
                Typed::Text(TextNode::If(c, Box::new(a), Box::new(b)))
            }
            (Typed::Num(a), Typed::Num(b)) => Typed::Num(NumNode::If(c, Box::new(a), Box::new(b))),
            (Typed::Bool(a), Typed::Bool(b)) => {
                Typed::Bool(BoolNode::If(c, Box::new(a), Box::new(b)))
            }
            (Typed::Error, _) | (_, Typed::Error) => Typed::Error,
            (a, b) => {
                let span = otherwise.map_or(then.span, |o| then.span.to(o.span));
                match (a.ty(), b.ty()) {
                    (Some(then), Some(otherwise)) => {
                        self.error(ErrorKind::BranchTypes { then, otherwise }, span)
                    }
                    _ => Typed::Error,
                }
            }
        }
    }
}

/// Joins text nodes, flattening nested joins and folding adjacent constants.
pub(crate) fn concat(parts: Vec<TextNode>) -> TextNode {
    let mut out: Vec<TextNode> = Vec::with_capacity(parts.len());
    let mut flat = Vec::new();
    for part in parts {
        match part {
            TextNode::Concat(inner) => flat.extend(inner.into_vec()),
            other => flat.push(other),
        }
    }
    for part in flat {
        match (out.last_mut(), part) {
            (Some(TextNode::Const(prev)), TextNode::Const(next)) => {
                let mut joined = String::with_capacity(prev.len() + next.len());
                joined.push_str(prev);
                joined.push_str(&next);
                *prev = joined.into_boxed_str();
            }
            (_, part) => out.push(part),
        }
    }
    if out.len() == 1
        && let Some(only) = out.pop()
    {
        return only;
    }
    TextNode::Concat(out.into_boxed_slice())
}

/// An arithmetic node, folded when both sides are constants.
fn arith_node(op: ArithOp, a: NumNode, b: NumNode) -> NumNode {
    if let (NumNode::Const(x), NumNode::Const(y)) = (&a, &b) {
        return NumNode::Const(super::eval::arith(op, *x, *y));
    }
    NumNode::Arith(op, Box::new(a), Box::new(b))
}
