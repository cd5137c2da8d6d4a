//! Evaluation of compiled expressions over a record view. Nothing here allocates for item
//! reads, comparisons, sets, ranges, pictures, dates or table lookups (only text built by `&`,
//! `concat`, `upper`/`lower` and similar is owned), and nothing can panic.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::fmt;

use super::ast::QuantKind;
use super::codes::{char_len, code_cmp, in_range, parse_number, right, substr};
use super::compile::{
    ArithOp, BoolNode, CmpOp, Compiled, DateFn, MAX_KEYS, MAX_VARS, MathFn, NumElem, NumNode, Root,
    Slot, TableQuery, TextElem, TextNode, TrimSide, Var,
};
use super::dates::{self, Today};

/// The values of one record, by slot, as the engine laid them out.
///
/// `value` is the record being edited: in a tumor-level edit the current tumor's items with the
/// patient's items behind them, in a patient-level edit the patient's items. `tumor_value`
/// reads any tumor of the patient (for quantifiers). Implementations return `""` for a slot or
/// tumor they do not have, so that evaluation never fails.
pub trait RecordView {
    /// The value in `slot` of the record being edited (`""` when missing).
    fn value(&self, slot: Slot) -> &str;
    /// How many tumors the patient has.
    fn tumor_count(&self) -> usize;
    /// The value in `slot` of tumor `tumor` (0-based; `""` when missing).
    fn tumor_value(&self, tumor: usize, slot: Slot) -> &str;
}

/// A simple [`RecordView`]: the edited record's values by slot, and each tumor's values by
/// slot. Handy for tests and for `edits eval`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SlotRecord {
    /// Values of the record being edited, indexed by slot.
    pub values: Vec<String>,
    /// Values of each tumor of the patient, indexed by slot.
    pub tumors: Vec<Vec<String>>,
}

impl SlotRecord {
    /// Sets the edited record's value in `slot`, growing the record as needed.
    pub fn set(&mut self, slot: Slot, value: impl Into<String>) {
        let index = slot as usize;
        if self.values.len() <= index {
            self.values.resize(index + 1, String::new());
        }
        if let Some(v) = self.values.get_mut(index) {
            *v = value.into();
        }
    }

    /// Sets tumor `tumor`'s value in `slot`, adding tumors and slots as needed.
    pub fn set_tumor(&mut self, tumor: usize, slot: Slot, value: impl Into<String>) {
        if self.tumors.len() <= tumor {
            self.tumors.resize(tumor + 1, Vec::new());
        }
        if let Some(values) = self.tumors.get_mut(tumor) {
            let index = slot as usize;
            if values.len() <= index {
                values.resize(index + 1, String::new());
            }
            if let Some(v) = values.get_mut(index) {
                *v = value.into();
            }
        }
    }
}

impl RecordView for SlotRecord {
    fn value(&self, slot: Slot) -> &str {
        self.values.get(slot as usize).map_or("", String::as_str)
    }

    fn tumor_count(&self) -> usize {
        self.tumors.len()
    }

    fn tumor_value(&self, tumor: usize, slot: Slot) -> &str {
        self.tumors
            .get(tumor)
            .and_then(|t| t.get(slot as usize))
            .map_or("", String::as_str)
    }
}

/// What evaluation needs besides the record: today's date (for validity and the "future date"
/// rule). Time comes in as a parameter; the language never reads the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalEnv {
    today: Today,
}

impl EvalEnv {
    /// An environment where today is `today`.
    pub fn new(today: chrono::NaiveDate) -> Self {
        use chrono::Datelike;
        Self {
            today: Today::new(today.year(), today.month(), today.day()),
        }
    }
}

/// The result of an expression.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// Text.
    Text(String),
    /// A number.
    Number(f64),
    /// A number that is missing: `num()` of blank or non-numeric text, or division by zero.
    Missing,
    /// True or false.
    Bool(bool),
}

/// Writes a number the way authors write it: whole numbers without a decimal point.
pub(crate) fn format_number(n: f64) -> String {
    if n.is_nan() {
        "missing".to_owned()
    } else if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

impl fmt::Display for Value {
    /// Text in double quotes (so blanks show), numbers as written, `missing`, `true`/`false`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Text(t) => {
                f.write_str("\"")?;
                for c in t.chars() {
                    match c {
                        '"' => f.write_str("\\\"")?,
                        '\\' => f.write_str("\\\\")?,
                        c => write!(f, "{c}")?,
                    }
                }
                f.write_str("\"")
            }
            Self::Number(n) => f.write_str(&format_number(*n)),
            Self::Missing => f.write_str("missing"),
            Self::Bool(b) => write!(f, "{b}"),
        }
    }
}

impl Compiled {
    /// Evaluates the expression for one record.
    pub fn eval(&self, record: &dyn RecordView, env: &EvalEnv) -> Value {
        let cx = Cx::new(record, &env.today);
        match &self.root {
            Root::Text(n) => Value::Text(n.eval(&cx).into_owned()),
            Root::Num(n) => {
                let v = n.eval(&cx);
                if v.is_nan() {
                    Value::Missing
                } else {
                    Value::Number(v)
                }
            }
            Root::Bool(n) => Value::Bool(n.eval(&cx)),
        }
    }

    /// True when the expression is true for the record: for an edit condition, the record
    /// passes. (An expression that is not true/false never passes.)
    pub fn passes(&self, record: &dyn RecordView, env: &EvalEnv) -> bool {
        match &self.root {
            Root::Bool(n) => n.eval(&Cx::new(record, &env.today)),
            Root::Text(_) | Root::Num(_) => false,
        }
    }
}

/// The evaluation context: the record, today, and the tumors bound to variables.
#[derive(Clone, Copy)]
struct Cx<'a> {
    view: &'a dyn RecordView,
    today: &'a Today,
    vars: [usize; MAX_VARS],
}

impl<'a> Cx<'a> {
    fn new(view: &'a dyn RecordView, today: &'a Today) -> Self {
        Self {
            view,
            today,
            vars: [0; MAX_VARS],
        }
    }

    fn with(&self, var: Var, tumor: usize) -> Self {
        let mut cx = *self;
        if let Some(v) = cx.vars.get_mut(var) {
            *v = tumor;
        }
        cx
    }

    fn tumor(&self, var: Var) -> usize {
        self.vars.get(var).copied().unwrap_or(usize::MAX)
    }
}

fn compare(op: CmpOp, ordering: Ordering) -> bool {
    match op {
        CmpOp::Eq => ordering.is_eq(),
        CmpOp::Ne => ordering.is_ne(),
        CmpOp::Lt => ordering.is_lt(),
        CmpOp::Le => ordering.is_le(),
        CmpOp::Gt => ordering.is_gt(),
        CmpOp::Ge => ordering.is_ge(),
    }
}

/// Arithmetic with missing numbers: NaN in, NaN out; division or remainder by zero is missing.
pub(crate) fn arith(op: ArithOp, a: f64, b: f64) -> f64 {
    match op {
        ArithOp::Add => a + b,
        ArithOp::Sub => a - b,
        ArithOp::Mul => a * b,
        ArithOp::Div if b == 0.0 => f64::NAN,
        ArithOp::Div => a / b,
        ArithOp::Rem if b == 0.0 => f64::NAN,
        ArithOp::Rem => a % b,
    }
}

impl TextNode {
    fn eval<'a>(&'a self, cx: &Cx<'a>) -> Cow<'a, str> {
        match self {
            Self::Const(s) => Cow::Borrowed(s),
            Self::Item(slot) => Cow::Borrowed(cx.view.value(*slot)),
            Self::TumorItem(var, slot) => Cow::Borrowed(cx.view.tumor_value(cx.tumor(*var), *slot)),
            Self::Substr(text, start, len) => {
                let start = start.eval(cx);
                let len = len.as_ref().map(|l| l.eval(cx));
                slice(text.eval(cx), |t| substr(t, start, len))
            }
            Self::Right(text, n) => {
                let n = n.eval(cx);
                slice(text.eval(cx), |t| right(t, n))
            }
            Self::Trim(text, side) => slice(text.eval(cx), |t| match side {
                TrimSide::Both => t.trim_matches(' '),
                TrimSide::Left => t.trim_start_matches(' '),
                TrimSide::Right => t.trim_end_matches(' '),
            }),
            Self::Case(text, upper) => {
                let t = text.eval(cx);
                if *upper {
                    Cow::Owned(t.to_uppercase())
                } else {
                    Cow::Owned(t.to_lowercase())
                }
            }
            Self::Concat(parts) => {
                let mut out = String::new();
                for part in parts {
                    out.push_str(&part.eval(cx));
                }
                Cow::Owned(out)
            }
            Self::Lookup(query, column) => match query.first_row(cx) {
                Some(row) => Cow::Borrowed(query.table.cell(row, *column).unwrap_or("")),
                None => Cow::Borrowed(""),
            },
            Self::If(c, a, b) => {
                if c.eval(cx) {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
        }
    }
}

/// Applies a slicing function to borrowed or owned text, borrowing whenever possible.
fn slice<'a>(text: Cow<'a, str>, f: impl for<'t> Fn(&'t str) -> &'t str) -> Cow<'a, str> {
    match text {
        Cow::Borrowed(t) => Cow::Borrowed(f(t)),
        Cow::Owned(t) => Cow::Owned(f(&t).to_owned()),
    }
}

impl NumNode {
    fn eval(&self, cx: &Cx<'_>) -> f64 {
        match self {
            Self::Const(n) => *n,
            Self::Num(text) => parse_number(&text.eval(cx)).unwrap_or(f64::NAN),
            Self::Len(text) => char_len(&text.eval(cx)) as f64,
            Self::Neg(n) => -n.eval(cx),
            Self::Arith(op, a, b) => arith(*op, a.eval(cx), b.eval(cx)),
            Self::Math(MathFn::Abs, n) => n.eval(cx).abs(),
            Self::Math(MathFn::Floor, n) => n.eval(cx).floor(),
            Self::MinMax(is_max, parts) => {
                let mut best: Option<f64> = None;
                for part in parts {
                    let v = part.eval(cx);
                    if v.is_nan() {
                        return f64::NAN;
                    }
                    best = Some(match best {
                        None => v,
                        Some(b) if *is_max => b.max(v),
                        Some(b) => b.min(v),
                    });
                }
                best.unwrap_or(f64::NAN)
            }
            Self::Date2(function, mode, a, b) => {
                let (a, b) = (a.eval(cx), b.eval(cx));
                let today = cx.today;
                let result = match function {
                    DateFn::DateCmp => dates::datecmp(&a, &b, *mode, today),
                    DateFn::DayDiff => dates::daydiff(&a, &b, *mode, today),
                    DateFn::MonthDiff => dates::monthdiff(&a, &b, *mode, today),
                    DateFn::YearDiff => dates::yeardiff(&a, &b, *mode, today),
                    DateFn::Age => dates::age(&a, &b, *mode, today),
                };
                result as f64
            }
            Self::DatePart(part, text) => dates::part(&text.eval(cx), *part, cx.today) as f64,
            Self::Count(var, body) => {
                let n = (0..cx.view.tumor_count())
                    .filter(|&t| body.eval(&cx.with(*var, t)))
                    .count();
                n as f64
            }
            Self::If(c, a, b) => {
                if c.eval(cx) {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
        }
    }
}

/// A number comparison; any comparison with a missing number is false (`<>` too).
fn compare_numbers(op: CmpOp, a: f64, b: f64) -> bool {
    match a.partial_cmp(&b) {
        Some(ordering) => compare(op, ordering),
        None => false,
    }
}

impl BoolNode {
    fn eval(&self, cx: &Cx<'_>) -> bool {
        match self {
            Self::Const(b) => *b,
            Self::Not(b) => !b.eval(cx),
            Self::And(parts) => parts.iter().all(|p| p.eval(cx)),
            Self::Or(parts) => parts.iter().any(|p| p.eval(cx)),
            Self::CmpText(op, a, b) => {
                let (a, b) = (a.eval(cx), b.eval(cx));
                match op {
                    CmpOp::Eq => a == b,
                    CmpOp::Ne => a != b,
                    _ => compare(*op, code_cmp(&a, &b, true)),
                }
            }
            Self::CmpNum(op, a, b) => compare_numbers(*op, a.eval(cx), b.eval(cx)),
            Self::CmpBool(eq, a, b) => (a.eval(cx) == b.eval(cx)) == *eq,
            Self::TextIn {
                value,
                set,
                dynamic,
                negated,
            } => {
                let v = value.eval(cx);
                let found = set.contains(&v)
                    || dynamic.iter().any(|e| match e {
                        TextElem::One(x) => x.eval(cx) == v,
                        TextElem::Range(lo, hi) => in_range(&v, &lo.eval(cx), &hi.eval(cx)),
                    });
                found != *negated
            }
            Self::NumIn {
                value,
                elems,
                negated,
            } => {
                let v = value.eval(cx);
                let found = elems.iter().any(|e| match e {
                    NumElem::One(x) => compare_numbers(CmpOp::Eq, v, x.eval(cx)),
                    NumElem::Range(lo, hi) => {
                        compare_numbers(CmpOp::Ge, v, lo.eval(cx))
                            && compare_numbers(CmpOp::Le, v, hi.eval(cx))
                    }
                });
                found != *negated
            }
            Self::InList(value, set) => set.contains(value.eval(cx).trim_matches(' ')),
            Self::TextBetween(v, lo, hi) => in_range(&v.eval(cx), &lo.eval(cx), &hi.eval(cx)),
            Self::NumBetween(v, lo, hi) => {
                let v = v.eval(cx);
                compare_numbers(CmpOp::Ge, v, lo.eval(cx))
                    && compare_numbers(CmpOp::Le, v, hi.eval(cx))
            }
            Self::Empty(text) => text.eval(cx).trim().is_empty(),
            Self::IsNum(text) => parse_number(&text.eval(cx)).is_some(),
            Self::Match(text, picture) => picture.matches(&text.eval(cx)),
            Self::ValidDate(text, years) => dates::is_valid(&text.eval(cx), cx.today, *years),
            Self::InTable(query) => query.any_row(cx),
            Self::Quant(kind, var, body) => {
                let mut tumors = 0..cx.view.tumor_count();
                if *kind == QuantKind::All {
                    tumors.all(|t| body.eval(&cx.with(*var, t)))
                } else {
                    tumors.any(|t| body.eval(&cx.with(*var, t)))
                }
            }
            Self::Pairs(a, b, body) => {
                let n = cx.view.tumor_count();
                (0..n).all(|i| {
                    let with_a = cx.with(*a, i);
                    (i + 1..n).all(|j| body.eval(&with_a.with(*b, j)))
                })
            }
            Self::If(c, a, b) => {
                if c.eval(cx) {
                    a.eval(cx)
                } else {
                    b.eval(cx)
                }
            }
        }
    }
}

impl TableQuery {
    /// Evaluates the keys into a fixed array (no allocation for borrowed values) and calls `f`.
    fn with_keys<R>(&self, cx: &Cx<'_>, f: impl FnOnce(&[&str]) -> R) -> R {
        let mut values: [Cow<'_, str>; MAX_KEYS] = std::array::from_fn(|_| Cow::Borrowed(""));
        for (slot, key) in values.iter_mut().zip(self.keys.iter()) {
            *slot = key.eval(cx);
        }
        let refs: [&str; MAX_KEYS] =
            std::array::from_fn(|i| values.get(i).map_or("", |v| v.as_ref()));
        let n = self.keys.len().min(MAX_KEYS);
        f(refs.get(..n).unwrap_or(&[]))
    }

    fn first_row(&self, cx: &Cx<'_>) -> Option<usize> {
        self.with_keys(cx, |keys| self.index.first_match(&self.table, keys))
    }

    fn any_row(&self, cx: &Cx<'_>) -> bool {
        self.with_keys(cx, |keys| self.index.any_match(&self.table, keys))
    }
}
