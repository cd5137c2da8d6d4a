//! Compile errors: what is wrong, where (span, then line and column), and a stable code.

use std::fmt;

use super::ast::{Span, Type};
use crate::core::problem::Problem;

/// What is wrong with an expression. Messages name the rule and never contain item values.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ErrorKind {
    /// A character that starts no token.
    #[error("unexpected character '{ch}'")]
    UnexpectedCharacter {
        /// The character.
        ch: char,
    },
    /// A string literal without its closing quote on the same line.
    #[error("string not closed by '\"' on its line")]
    UnterminatedString,
    /// An escape other than `\"` and `\\`.
    #[error("invalid escape '\\{ch}' in a string (only \\\" and \\\\ are allowed)")]
    InvalidEscape {
        /// The character after the backslash.
        ch: char,
    },
    /// A number literal that cannot be read.
    #[error("invalid number '{text}'")]
    InvalidNumber {
        /// The literal.
        text: String,
    },
    /// The parser expected something else.
    #[error("expected {expected}, found {found}")]
    UnexpectedToken {
        /// What would have been accepted.
        expected: String,
        /// What was there.
        found: String,
    },
    /// `a < b < c`.
    #[error("comparisons cannot be chained: join them with 'and'")]
    ChainedComparison,
    /// Nesting beyond the limit.
    #[error("the expression nests more than {limit} levels deep")]
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// Nothing but blanks and comments.
    #[error("the expression is empty")]
    EmptyExpression,
    /// An identifier that is neither a constant nor an item the dictionary knows.
    #[error(
        "unknown item '{naaccr_id}' (items are written by their NAACCR XML id, e.g. primarySite)"
    )]
    UnknownItem {
        /// The identifier as written.
        naaccr_id: String,
    },
    /// A call of a function the language does not have.
    #[error("unknown function '{name}'")]
    UnknownFunction {
        /// The name as written.
        name: String,
    },
    /// `x.item` where `x` is not bound by a quantifier.
    #[error("'{name}' is not a tumor variable bound by any(), all(), count() or pairs()")]
    UnknownVariable {
        /// The name as written.
        name: String,
    },
    /// A tumor variable used alone.
    #[error("the tumor variable '{name}' must be followed by .itemId (e.g. {name}.primarySite)")]
    VariableWithoutItem {
        /// The variable.
        name: String,
    },
    /// The same variable bound twice.
    #[error("the variable '{name}' is already bound")]
    DuplicateVariable {
        /// The variable.
        name: String,
    },
    /// Too many nested tumor variables.
    #[error("at most {limit} tumor variables can be bound at once")]
    TooManyVariables {
        /// The limit.
        limit: usize,
    },
    /// A quantifier over something other than `tumors`.
    #[error("quantifiers range over 'tumors', not '{name}'")]
    UnknownDomain {
        /// The name as written.
        name: String,
    },
    /// A bare tumor item in a patient-level edit.
    #[error(
        "'{naaccr_id}' is a tumor item: a patient-level edit reads it through a tumor variable, e.g. any(t in tumors: t.{naaccr_id} = \"...\")"
    )]
    TumorItemInPatientEdit {
        /// The item.
        naaccr_id: String,
    },
    /// `t.item` where the item is not a tumor item.
    #[error("'{naaccr_id}' is a patient item: write it without '{variable}.'")]
    PatientItemThroughVariable {
        /// The item.
        naaccr_id: String,
        /// The variable written before it.
        variable: String,
    },
    /// An operand or argument of the wrong type.
    #[error("{what} must be {expected}, found {found}")]
    TypeMismatch {
        /// Which operand or argument.
        what: String,
        /// The type needed.
        expected: Type,
        /// The type found.
        found: Type,
    },
    /// Text compared with a number.
    #[error(
        "'{op}' compares text with a number: item values are text, so write num(...) to compare numbers, or quote the number (\"60\") to compare codes"
    )]
    TextComparedWithNumber {
        /// The operator.
        op: String,
    },
    /// Arithmetic on text.
    #[error(
        "'{op}' computes with numbers, not text: join text with '&', or read a number with num(...)"
    )]
    ArithmeticOnText {
        /// The operator.
        op: String,
    },
    /// `&` on a number.
    #[error("'&' joins text, found {found}")]
    ConcatOfNonText {
        /// The type found.
        found: Type,
    },
    /// `<` and friends on true/false.
    #[error("true/false values can only be compared with = or <>")]
    OrderedBool,
    /// `if` branches of different types.
    #[error("both branches of if must have the same type, found {then} and {otherwise}")]
    BranchTypes {
        /// Type of the `then` branch.
        then: Type,
        /// Type of the `else` branch.
        otherwise: Type,
    },
    /// `if c then x` without else where `x` is not true/false.
    #[error("an if without else must give true/false (the missing else is true), found {found}")]
    IfWithoutElse {
        /// Type of the `then` branch.
        found: Type,
    },
    /// A condition that is not true/false.
    #[error("an edit condition must be true/false, found {found}")]
    NotACondition {
        /// Type of the expression.
        found: Type,
    },
    /// Wrong number of arguments.
    #[error("{function}() takes {expected}, found {found}")]
    WrongArgumentCount {
        /// The function.
        function: String,
        /// What it takes, in words.
        expected: String,
        /// How many were given.
        found: usize,
    },
    /// An argument that must be known when the edit is compiled.
    #[error("the {what} of {function}() must be a literal")]
    NotConstant {
        /// The function.
        function: String,
        /// Which argument.
        what: String,
    },
    /// A date mode other than min/max/exact.
    #[error(
        "the date mode must be \"min\", \"max\" or \"exact\" (or DT_MIN, DT_MAX, DT_EXACT), found {found}"
    )]
    InvalidDateMode {
        /// The mode as written.
        found: String,
    },
    /// A picture that cannot be compiled.
    #[error("invalid picture: {reason}")]
    InvalidPicture {
        /// Why.
        reason: String,
    },
    /// An `inlist` list that cannot be read.
    #[error("invalid list: {reason}")]
    InvalidList {
        /// Why.
        reason: String,
    },
    /// A date function applied to an item whose dictionary type is not `date`.
    #[error("'{naaccr_id}' is not a date item")]
    NotADateItem {
        /// The item.
        naaccr_id: String,
    },
    /// `validdate(x, n)` with `n` not a whole number 0-100.
    #[error("the years into the future must be a whole number from 0 to 100")]
    InvalidFutureYears,
    /// A table the compiler was not given.
    #[error("unknown table '{name}'")]
    UnknownTable {
        /// The name as written.
        name: String,
    },
    /// A column the table does not have.
    #[error("table '{table}' has no column '{column}'")]
    UnknownColumn {
        /// The table.
        table: String,
        /// The column as written.
        column: String,
    },
    /// A key specification that cannot be read.
    #[error("invalid key '{spec}': {reason}")]
    InvalidKeySpec {
        /// The specification as written.
        spec: String,
        /// Why.
        reason: String,
    },
}

impl ErrorKind {
    /// A stable snake_case code for the error.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnexpectedCharacter { .. } => "unexpected_character",
            Self::UnterminatedString => "unterminated_string",
            Self::InvalidEscape { .. } => "invalid_escape",
            Self::InvalidNumber { .. } => "invalid_number",
            Self::UnexpectedToken { .. } => "unexpected_token",
            Self::ChainedComparison => "chained_comparison",
            Self::TooDeep { .. } => "too_deep",
            Self::EmptyExpression => "empty_expression",
            Self::UnknownItem { .. } => "unknown_item",
            Self::UnknownFunction { .. } => "unknown_function",
            Self::UnknownVariable { .. } => "unknown_variable",
            Self::VariableWithoutItem { .. } => "variable_without_item",
            Self::DuplicateVariable { .. } => "duplicate_variable",
            Self::TooManyVariables { .. } => "too_many_variables",
            Self::UnknownDomain { .. } => "unknown_domain",
            Self::TumorItemInPatientEdit { .. } => "tumor_item_in_patient_edit",
            Self::PatientItemThroughVariable { .. } => "patient_item_through_variable",
            Self::TypeMismatch { .. } => "type_mismatch",
            Self::TextComparedWithNumber { .. } => "text_compared_with_number",
            Self::ArithmeticOnText { .. } => "arithmetic_on_text",
            Self::ConcatOfNonText { .. } => "concat_of_non_text",
            Self::OrderedBool => "ordered_bool",
            Self::BranchTypes { .. } => "branch_types",
            Self::IfWithoutElse { .. } => "if_without_else",
            Self::NotACondition { .. } => "not_a_condition",
            Self::WrongArgumentCount { .. } => "wrong_argument_count",
            Self::NotConstant { .. } => "not_constant",
            Self::InvalidDateMode { .. } => "invalid_date_mode",
            Self::InvalidPicture { .. } => "invalid_picture",
            Self::InvalidList { .. } => "invalid_list",
            Self::NotADateItem { .. } => "not_a_date_item",
            Self::InvalidFutureYears => "invalid_future_years",
            Self::UnknownTable { .. } => "unknown_table",
            Self::UnknownColumn { .. } => "unknown_column",
            Self::InvalidKeySpec { .. } => "invalid_key_spec",
        }
    }
}

/// Where an expression starts in its file (1-based), so positions can be reported in file terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Origin {
    /// Line of the expression's first character.
    pub line: usize,
    /// Column of the expression's first character.
    pub column: usize,
}

impl Default for Origin {
    fn default() -> Self {
        Self { line: 1, column: 1 }
    }
}

/// One compile error with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct CompileError {
    /// What is wrong.
    pub kind: ErrorKind,
    /// Bytes of the expression text concerned.
    pub span: Span,
    /// 1-based line (in the file, when an [`Origin`] was given).
    pub line: usize,
    /// 1-based column in characters (in the file, when an [`Origin`] was given).
    pub column: usize,
}

impl CompileError {
    /// An error at `span`; line and column are filled in by [`CompileError::locate`].
    pub(crate) fn new(kind: ErrorKind, span: Span) -> Self {
        Self {
            kind,
            span,
            line: 0,
            column: 0,
        }
    }

    /// Fills in line and column from the span. The first line of the expression is shifted by
    /// the origin's column, later lines only by its line.
    pub(crate) fn locate(mut self, source: &str, origin: Origin) -> Self {
        let before = source.get(..self.span.start).unwrap_or(source);
        let line_index = before.matches('\n').count();
        let line_start = before.rfind('\n').map_or(0, |n| n + 1);
        let column = before.get(line_start..).map_or(0, |s| s.chars().count()) + 1;
        self.line = origin.line.saturating_add(line_index);
        self.column = if line_index == 0 {
            origin.column.saturating_add(column - 1)
        } else {
            column
        };
        self
    }

    /// The error as a shared [`Problem`] (code, line, column, message).
    pub fn to_problem(&self) -> Problem {
        let mut problem = Problem::new(self.kind.code(), self.kind.to_string());
        problem.line = u64::try_from(self.line).ok();
        problem.column = u64::try_from(self.column).ok();
        problem
    }
}

impl fmt::Display for CompileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.kind
        )
    }
}

impl std::error::Error for CompileError {}
