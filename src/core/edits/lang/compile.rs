//! The compiled form of an expression and the `compile` entry point.
//!
//! An expression is parsed, type-checked and lowered once into three typed node trees (text,
//! number, true/false). Items are slots, constants are folded, `in` sets and `inlist` lists are
//! hash sets and ranges, pictures are automata and table keys are pre-built indexes: nothing is
//! parsed again per record, and evaluation needs no type tests.

use std::collections::HashMap;
use std::sync::Arc;

use super::ast::{QuantKind, Type};
use super::check::Checker;
use super::codes::CodeSet;
use super::dates::{DateMode, Part};
use super::error::{CompileError, ErrorKind, Origin};
use super::parser::parse;
use super::picture::Picture;
use crate::core::edits::table::{KeyIndex, Table, Tables};
use crate::core::naaccr::{DataType, ParentElement};

/// A slot: where the engine keeps an item's value for the record being evaluated.
pub type Slot = u32;

/// Index of a tumor variable bound by a quantifier.
pub(crate) type Var = usize;

/// The most tumor variables bound at once (nested quantifiers; `pairs` binds two).
pub const MAX_VARS: usize = 4;

/// The most key columns of one table query.
pub(crate) const MAX_KEYS: usize = 8;

/// What the compiler needs to know about an item, from the caller's dictionary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ItemInfo {
    /// Where the engine will put the item's value ([`super::RecordView`]).
    pub slot: Slot,
    /// The element the item belongs to: tumor items differ per tumor.
    pub parent: ParentElement,
    /// The dictionary data type (date functions accept only `date` items).
    pub data_type: DataType,
}

/// Resolves NAACCR XML ids to items; closures `Fn(&str) -> Option<ItemInfo>` are resolvers.
pub trait ItemResolver {
    /// The item with this id, or `None` when the dictionary has no such item.
    fn resolve(&self, naaccr_id: &str) -> Option<ItemInfo>;
}

impl<F: Fn(&str) -> Option<ItemInfo>> ItemResolver for F {
    fn resolve(&self, naaccr_id: &str) -> Option<ItemInfo> {
        self(naaccr_id)
    }
}

/// A ready-made resolver: items added one by one get consecutive slots (0, 1, 2, ...).
#[derive(Debug, Clone, Default)]
pub struct ItemCatalog {
    by_id: HashMap<String, ItemInfo>,
}

impl ItemCatalog {
    /// An empty catalog.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds an item and returns its slot (the existing slot when the id is already known).
    pub fn add(&mut self, naaccr_id: &str, parent: ParentElement, data_type: DataType) -> Slot {
        let next = Slot::try_from(self.by_id.len()).unwrap_or(Slot::MAX);
        self.by_id
            .entry(naaccr_id.to_owned())
            .or_insert(ItemInfo {
                slot: next,
                parent,
                data_type,
            })
            .slot
    }

    /// The item with this id.
    pub fn get(&self, naaccr_id: &str) -> Option<ItemInfo> {
        self.by_id.get(naaccr_id).copied()
    }

    /// How many items (and slots) the catalog has.
    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    /// True when no item was added.
    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

impl ItemResolver for ItemCatalog {
    fn resolve(&self, naaccr_id: &str) -> Option<ItemInfo> {
        self.get(naaccr_id)
    }
}

/// Whether the edit runs once per tumor or once per patient.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum EditLevel {
    /// Once per tumor: bare item ids read the current tumor, patient items behind it.
    #[default]
    Tumor,
    /// Once per patient: tumor items are read only through quantifier variables.
    Patient,
}

/// Whether the expression must be a condition.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// An edit condition: must be true/false (the record passes when true).
    Condition,
    /// Any expression (text, number or true/false), e.g. for `edits eval`.
    Expression,
}

/// Everything the compiler consults besides the text.
#[derive(Clone, Copy)]
pub struct CompileEnv<'a> {
    /// Item ids to slots.
    pub items: &'a dyn ItemResolver,
    /// The code tables edits may look up.
    pub tables: &'a Tables,
    /// Tumor-level or patient-level edit.
    pub level: EditLevel,
    /// Where the expression starts in its file, for error positions.
    pub origin: Origin,
}

impl<'a> CompileEnv<'a> {
    /// A tumor-level environment with positions relative to the expression.
    pub fn new(items: &'a dyn ItemResolver, tables: &'a Tables) -> Self {
        Self {
            items,
            tables,
            level: EditLevel::Tumor,
            origin: Origin::default(),
        }
    }

    /// The same environment for edits of `level`.
    #[must_use]
    pub fn with_level(mut self, level: EditLevel) -> Self {
        self.level = level;
        self
    }

    /// The same environment reporting positions from `origin` (line and column in the file).
    #[must_use]
    pub fn with_origin(mut self, origin: Origin) -> Self {
        self.origin = origin;
        self
    }
}

/// Comparison operators of the compiled form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

/// Arithmetic operators of the compiled form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ArithOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
}

/// Which blanks `trim`, `ltrim` and `rtrim` remove.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TrimSide {
    Both,
    Left,
    Right,
}

/// Two-date functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DateFn {
    DateCmp,
    DayDiff,
    MonthDiff,
    YearDiff,
    Age,
}

/// One-number functions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MathFn {
    Abs,
    Floor,
}

/// A text-valued node.
#[derive(Debug)]
pub(crate) enum TextNode {
    Const(Box<str>),
    /// An item of the record being edited.
    Item(Slot),
    /// An item of the tumor bound to a variable.
    TumorItem(Var, Slot),
    Substr(Box<TextNode>, Box<NumNode>, Option<Box<NumNode>>),
    Right(Box<TextNode>, Box<NumNode>),
    Trim(Box<TextNode>, TrimSide),
    Case(Box<TextNode>, bool),
    Concat(Box<[TextNode]>),
    Lookup(Box<TableQuery>, usize),
    If(Box<BoolNode>, Box<TextNode>, Box<TextNode>),
}

/// A number-valued node. A missing number (blank or non-numeric text read by `num`, division
/// by zero) is NaN.
#[derive(Debug)]
pub(crate) enum NumNode {
    Const(f64),
    Num(Box<TextNode>),
    Len(Box<TextNode>),
    Neg(Box<NumNode>),
    Arith(ArithOp, Box<NumNode>, Box<NumNode>),
    Math(MathFn, Box<NumNode>),
    MinMax(bool, Box<[NumNode]>),
    Date2(DateFn, DateMode, Box<TextNode>, Box<TextNode>),
    DatePart(Part, Box<TextNode>),
    Count(Var, Box<BoolNode>),
    If(Box<BoolNode>, Box<NumNode>, Box<NumNode>),
}

/// An element of an `in` list that is not a constant.
#[derive(Debug)]
pub(crate) enum TextElem {
    One(TextNode),
    Range(TextNode, TextNode),
}

/// An element of a number `in` list.
#[derive(Debug)]
pub(crate) enum NumElem {
    One(NumNode),
    Range(NumNode, NumNode),
}

/// A true/false-valued node.
#[derive(Debug)]
pub(crate) enum BoolNode {
    Const(bool),
    Not(Box<BoolNode>),
    And(Box<[BoolNode]>),
    Or(Box<[BoolNode]>),
    CmpText(CmpOp, Box<TextNode>, Box<TextNode>),
    CmpNum(CmpOp, Box<NumNode>, Box<NumNode>),
    CmpBool(bool, Box<BoolNode>, Box<BoolNode>),
    TextIn {
        value: Box<TextNode>,
        set: CodeSet,
        dynamic: Box<[TextElem]>,
        negated: bool,
    },
    NumIn {
        value: Box<NumNode>,
        elems: Box<[NumElem]>,
        negated: bool,
    },
    InList(Box<TextNode>, CodeSet),
    TextBetween(Box<TextNode>, Box<TextNode>, Box<TextNode>),
    NumBetween(Box<NumNode>, Box<NumNode>, Box<NumNode>),
    Empty(Box<TextNode>),
    IsNum(Box<TextNode>),
    Match(Box<TextNode>, Box<Picture>),
    ValidDate(Box<TextNode>, u8),
    InTable(Box<TableQuery>),
    Quant(QuantKind, Var, Box<BoolNode>),
    Pairs(Var, Var, Box<BoolNode>),
    If(Box<BoolNode>, Box<BoolNode>, Box<BoolNode>),
}

/// A table query resolved at compile time: the table, the index for its key columns and the
/// expressions giving the key values (in key order).
#[derive(Debug)]
pub(crate) struct TableQuery {
    pub(crate) table: Arc<Table>,
    pub(crate) index: Arc<KeyIndex>,
    pub(crate) keys: Box<[TextNode]>,
}

/// The root of a compiled expression.
#[derive(Debug)]
pub(crate) enum Root {
    Text(TextNode),
    Num(NumNode),
    Bool(BoolNode),
}

/// A compiled expression, ready to be evaluated against any number of records (and shared
/// between threads).
#[derive(Debug)]
pub struct Compiled {
    pub(crate) root: Root,
    items: Vec<String>,
    reads_tumors: bool,
}

impl Compiled {
    /// The type of the result.
    pub fn result_type(&self) -> Type {
        match self.root {
            Root::Text(_) => Type::Text,
            Root::Num(_) => Type::Number,
            Root::Bool(_) => Type::Bool,
        }
    }

    /// The NAACCR ids of every item the expression reads, sorted, each once.
    pub fn items_read(&self) -> &[String] {
        &self.items
    }

    /// True when the expression reads tumors through a quantifier (the engine must give it all
    /// of the patient's tumors).
    pub fn reads_tumors(&self) -> bool {
        self.reads_tumors
    }
}

/// Compiles `source`. In [`Mode::Condition`] the expression must be true/false. All errors found
/// are returned (lexical errors, or the first syntax error, or every name and type error),
/// ordered by position, with lines and columns relative to `env.origin`.
pub fn compile(
    source: &str,
    mode: Mode,
    env: &CompileEnv<'_>,
) -> Result<Compiled, Vec<CompileError>> {
    let located = |errors: Vec<CompileError>| {
        let mut errors: Vec<CompileError> = errors
            .into_iter()
            .map(|e| e.locate(source, env.origin))
            .collect();
        errors.sort_by_key(|e| (e.span.start, e.span.end));
        errors
    };
    let ast = parse(source).map_err(located)?;
    let mut checker = Checker::new(env);
    let typed = checker.check(&ast);
    let mut errors = checker.errors;
    let root = match typed.into_root() {
        Some(Root::Bool(node)) => Some(Root::Bool(node)),
        Some(other) if mode == Mode::Expression => Some(other),
        Some(other) => {
            let found = match other {
                Root::Text(_) => Type::Text,
                Root::Num(_) => Type::Number,
                Root::Bool(_) => Type::Bool,
            };
            errors.push(CompileError::new(
                ErrorKind::NotACondition { found },
                ast.span,
            ));
            None
        }
        None => None,
    };
    match root {
        Some(root) if errors.is_empty() => Ok(Compiled {
            root,
            items: checker.items.into_iter().collect(),
            reads_tumors: checker.reads_tumors,
        }),
        _ => Err(located(errors)),
    }
}
