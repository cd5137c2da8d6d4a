//! The built-in functions: arity and argument types, compile-time arguments (date modes,
//! lists, pictures, tables and columns), lowered into compiled nodes.

use super::ast::{Expr, Name, Span, Type};
use super::check::{Checker, Typed, concat};
use super::codes::{CodeSet, parse_list};
use super::compile::{BoolNode, DateFn, MAX_KEYS, MathFn, NumNode, TableQuery, TextNode, TrimSide};
use super::dates::{DateMode, Part};
use super::error::ErrorKind;
use super::picture::Picture;
use crate::core::edits::table::{KeyPart, Table};
use crate::core::naaccr::DataType;

fn nth(function: &str, i: usize) -> impl FnOnce() -> String + '_ {
    move || format!("argument {} of {function}()", i + 1)
}

/// Checks the argument count; reports and returns false when it is wrong.
fn arity(ck: &mut Checker<'_>, f: &str, args: &[Expr], min: usize, max: usize, span: Span) -> bool {
    if (min..=max).contains(&args.len()) {
        return true;
    }
    let expected = match (min, max) {
        (a, b) if a == b && a == 1 => "1 argument".to_owned(),
        (a, b) if a == b => format!("{a} arguments"),
        (a, usize::MAX) => format!("at least {a} argument{}", if a == 1 { "" } else { "s" }),
        (a, b) => format!("{a} to {b} arguments"),
    };
    ck.error(
        ErrorKind::WrongArgumentCount {
            function: f.to_owned(),
            expected,
            found: args.len(),
        },
        span,
    );
    false
}

/// Lowers a call of a built-in function.
pub(crate) fn call(ck: &mut Checker<'_>, name: &Name, args: &[Expr], span: Span) -> Typed {
    let lower = name.text.to_ascii_lowercase();
    let f = lower.as_str();
    let (min, max) = match f {
        "trim" | "ltrim" | "rtrim" | "upper" | "lower" | "num" | "isnum" | "len" | "abs"
        | "floor" | "empty" | "present" | "year" | "month" | "day" => (1, 1),
        "left" | "right" | "inlist" | "match" => (2, 2),
        "substr" => (2, 3),
        "validdate" => (1, 2),
        "age" => (2, 3),
        "between" | "datecmp" | "daydiff" | "monthdiff" | "yeardiff" => (3, 3),
        "concat" | "min" | "max" => (1, usize::MAX),
        "intable" => (2, usize::MAX),
        "lookup" => (3, usize::MAX),
        _ => {
            return ck.error(
                ErrorKind::UnknownFunction {
                    name: name.text.clone(),
                },
                name.span,
            );
        }
    };
    if !arity(ck, f, args, min, max, span) {
        return Typed::Error;
    }
    match f {
        "substr" | "left" | "right" => substring(ck, f, args),
        "trim" | "ltrim" | "rtrim" | "upper" | "lower" => text_to_text(ck, f, args),
        "concat" => {
            let mut parts = Vec::with_capacity(args.len());
            for (i, arg) in args.iter().enumerate() {
                parts.push(ck.expect_text(arg, nth(f, i)));
            }
            match parts.into_iter().collect::<Option<Vec<_>>>() {
                Some(parts) => Typed::Text(concat(parts)),
                None => Typed::Error,
            }
        }
        "num" | "len" | "isnum" | "empty" | "present" => text_to(ck, f, args),
        "abs" | "floor" => match args.first().and_then(|a| ck.expect_num(a, nth(f, 0))) {
            Some(n) => {
                let op = if f == "abs" {
                    MathFn::Abs
                } else {
                    MathFn::Floor
                };
                Typed::Num(NumNode::Math(op, Box::new(n)))
            }
            None => Typed::Error,
        },
        "min" | "max" => {
            let mut parts = Vec::with_capacity(args.len());
            for (i, arg) in args.iter().enumerate() {
                parts.push(ck.expect_num(arg, nth(f, i)));
            }
            match parts.into_iter().collect::<Option<Vec<_>>>() {
                Some(parts) => Typed::Num(NumNode::MinMax(f == "max", parts.into_boxed_slice())),
                None => Typed::Error,
            }
        }
        "inlist" => inlist(ck, args),
        "between" => between(ck, args),
        "match" => picture_match(ck, args),
        "validdate" => validdate(ck, args),
        "year" | "month" | "day" => {
            let part = match f {
                "year" => Part::Year,
                "month" => Part::Month,
                _ => Part::Day,
            };
            match args.first().and_then(|a| date_arg(ck, f, 0, a)) {
                Some(x) => Typed::Num(NumNode::DatePart(part, Box::new(x))),
                None => Typed::Error,
            }
        }
        "datecmp" | "daydiff" | "monthdiff" | "yeardiff" | "age" => two_dates(ck, f, args),
        "intable" | "lookup" => table_call(ck, f, args, span),
        _ => Typed::Error,
    }
}

fn substring(ck: &mut Checker<'_>, f: &str, args: &[Expr]) -> Typed {
    let [text, rest @ ..] = args else {
        return Typed::Error;
    };
    let text = ck.expect_text(text, nth(f, 0));
    let mut numbers = Vec::new();
    for (i, arg) in rest.iter().enumerate() {
        numbers.push(ck.expect_num(arg, nth(f, i + 1)));
    }
    let (Some(text), Some(numbers)) = (text, numbers.into_iter().collect::<Option<Vec<_>>>())
    else {
        return Typed::Error;
    };
    let mut numbers = numbers.into_iter().map(Box::new);
    let (first, second) = (numbers.next(), numbers.next());
    let text = Box::new(text);
    match (f, first, second) {
        ("substr", Some(start), len) => Typed::Text(TextNode::Substr(text, start, len)),
        ("left", Some(n), _) => Typed::Text(TextNode::Substr(
            text,
            Box::new(NumNode::Const(1.0)),
            Some(n),
        )),
        ("right", Some(n), _) => Typed::Text(TextNode::Right(text, n)),
        _ => Typed::Error,
    }
}

fn text_to_text(ck: &mut Checker<'_>, f: &str, args: &[Expr]) -> Typed {
    let Some(x) = args.first().and_then(|a| ck.expect_text(a, nth(f, 0))) else {
        return Typed::Error;
    };
    let x = Box::new(x);
    Typed::Text(match f {
        "trim" => TextNode::Trim(x, TrimSide::Both),
        "ltrim" => TextNode::Trim(x, TrimSide::Left),
        "rtrim" => TextNode::Trim(x, TrimSide::Right),
        "upper" => TextNode::Case(x, true),
        _ => TextNode::Case(x, false),
    })
}

fn text_to(ck: &mut Checker<'_>, f: &str, args: &[Expr]) -> Typed {
    let Some(x) = args.first().and_then(|a| ck.expect_text(a, nth(f, 0))) else {
        return Typed::Error;
    };
    let x = Box::new(x);
    match f {
        "num" => Typed::Num(NumNode::Num(x)),
        "len" => Typed::Num(NumNode::Len(x)),
        "isnum" => Typed::Bool(BoolNode::IsNum(x)),
        "empty" => Typed::Bool(BoolNode::Empty(x)),
        _ => Typed::Bool(BoolNode::Not(Box::new(BoolNode::Empty(x)))),
    }
}

/// The text of a literal argument (folded constants count), or an error naming the argument.
fn constant_text(ck: &mut Checker<'_>, f: &str, what: &str, arg: &Expr) -> Option<Box<str>> {
    match ck.check(arg) {
        Typed::Text(TextNode::Const(s)) => Some(s),
        Typed::Error => None,
        Typed::Text(_) => {
            ck.error(
                ErrorKind::NotConstant {
                    function: f.to_owned(),
                    what: what.to_owned(),
                },
                arg.span,
            );
            None
        }
        other => {
            ck.mismatch(format!("the {what} of {f}()"), Type::Text, &other, arg.span);
            None
        }
    }
}

fn inlist(ck: &mut Checker<'_>, args: &[Expr]) -> Typed {
    let [value, list] = args else {
        return Typed::Error;
    };
    let value = ck.expect_text(value, nth("inlist", 0));
    let list_text = constant_text(ck, "inlist", "list (argument 2)", list);
    let (Some(value), Some(list_text)) = (value, list_text) else {
        return Typed::Error;
    };
    match parse_list(&list_text) {
        Ok(entries) => Typed::Bool(BoolNode::InList(
            Box::new(value),
            CodeSet::from_entries(entries),
        )),
        Err(e) => ck.error(ErrorKind::InvalidList { reason: e.reason }, list.span),
    }
}

fn between(ck: &mut Checker<'_>, args: &[Expr]) -> Typed {
    let [value, lo, hi] = args else {
        return Typed::Error;
    };
    match ck.check(value) {
        Typed::Text(v) => {
            let lo = ck.expect_text(lo, nth("between", 1));
            let hi = ck.expect_text(hi, nth("between", 2));
            match (lo, hi) {
                (Some(lo), Some(hi)) => Typed::Bool(BoolNode::TextBetween(
                    Box::new(v),
                    Box::new(lo),
                    Box::new(hi),
                )),
                _ => Typed::Error,
            }
        }
        Typed::Num(v) => {
            let lo = ck.expect_num(lo, nth("between", 1));
            let hi = ck.expect_num(hi, nth("between", 2));
            match (lo, hi) {
                (Some(lo), Some(hi)) => Typed::Bool(BoolNode::NumBetween(
                    Box::new(v),
                    Box::new(lo),
                    Box::new(hi),
                )),
                _ => Typed::Error,
            }
        }
        Typed::Bool(_) => ck.error(
            ErrorKind::TypeMismatch {
                what: "argument 1 of between()".into(),
                expected: Type::Text,
                found: Type::Bool,
            },
            value.span,
        ),
        Typed::Error => Typed::Error,
    }
}

fn picture_match(ck: &mut Checker<'_>, args: &[Expr]) -> Typed {
    let [value, picture] = args else {
        return Typed::Error;
    };
    let value = ck.expect_text(value, nth("match", 0));
    let text = constant_text(ck, "match", "picture (argument 2)", picture);
    let (Some(value), Some(text)) = (value, text) else {
        return Typed::Error;
    };
    match Picture::compile(&text) {
        Ok(p) => Typed::Bool(BoolNode::Match(Box::new(value), Box::new(p))),
        Err(e) => ck.error(ErrorKind::InvalidPicture { reason: e.reason }, picture.span),
    }
}

/// A text argument of a date function; a direct item reference must be a `date` item.
fn date_arg(ck: &mut Checker<'_>, f: &str, i: usize, arg: &Expr) -> Option<TextNode> {
    let node = ck.expect_text(arg, nth(f, i))?;
    if let Some((id, info)) = ck.item_of(arg)
        && info.data_type != DataType::Date
    {
        ck.error(ErrorKind::NotADateItem { naaccr_id: id }, arg.span);
        return None;
    }
    Some(node)
}

fn validdate(ck: &mut Checker<'_>, args: &[Expr]) -> Typed {
    let Some(x) = args.first().and_then(|a| date_arg(ck, "validdate", 0, a)) else {
        return Typed::Error;
    };
    let years = match args.get(1) {
        None => Some(0),
        Some(arg) => match ck.check(arg) {
            Typed::Num(NumNode::Const(n)) if n.fract() == 0.0 && (0.0..=100.0).contains(&n) => {
                u8::try_from(n as i64).ok()
            }
            Typed::Error => None,
            _ => {
                ck.error(ErrorKind::InvalidFutureYears, arg.span);
                None
            }
        },
    };
    match years {
        Some(years) => Typed::Bool(BoolNode::ValidDate(Box::new(x), years)),
        None => Typed::Error,
    }
}

fn date_mode(ck: &mut Checker<'_>, f: &str, arg: &Expr) -> Option<DateMode> {
    let (mode, found) = match ck.check(arg) {
        Typed::Text(TextNode::Const(s)) => (DateMode::from_name(&s), format!("\"{s}\"")),
        Typed::Num(NumNode::Const(n)) => (DateMode::from_flag(n), super::eval::format_number(n)),
        Typed::Error => return None,
        _ => {
            ck.error(
                ErrorKind::NotConstant {
                    function: f.to_owned(),
                    what: "date mode".to_owned(),
                },
                arg.span,
            );
            return None;
        }
    };
    if mode.is_none() {
        ck.error(ErrorKind::InvalidDateMode { found }, arg.span);
    }
    mode
}

fn two_dates(ck: &mut Checker<'_>, f: &str, args: &[Expr]) -> Typed {
    let (Some(a), Some(b)) = (args.first(), args.get(1)) else {
        return Typed::Error;
    };
    let a = date_arg(ck, f, 0, a);
    let b = date_arg(ck, f, 1, b);
    let mode = match args.get(2) {
        Some(arg) => date_mode(ck, f, arg),
        None => Some(DateMode::Exact),
    };
    let (Some(a), Some(b), Some(mode)) = (a, b, mode) else {
        return Typed::Error;
    };
    let function = match f {
        "datecmp" => DateFn::DateCmp,
        "daydiff" => DateFn::DayDiff,
        "monthdiff" => DateFn::MonthDiff,
        "yeardiff" => DateFn::YearDiff,
        _ => DateFn::Age,
    };
    Typed::Num(NumNode::Date2(function, mode, Box::new(a), Box::new(b)))
}

/// Reads a key specification: `"col"` (equal), `"col:range"` (the cell is a code list with
/// ranges) or `"lo..hi"` (two columns bounding a range).
fn key_spec(table: &Table, spec: &str) -> Result<KeyPart, ErrorKind> {
    let column = |name: &str| {
        table
            .column(name.trim())
            .ok_or_else(|| ErrorKind::UnknownColumn {
                table: table.name().to_owned(),
                column: name.trim().to_owned(),
            })
    };
    if let Some((lo, hi)) = spec.split_once("..") {
        Ok(KeyPart::Bounds(column(lo)?, column(hi)?))
    } else if let Some(name) = spec.strip_suffix(":range") {
        Ok(KeyPart::Ranges(column(name)?))
    } else {
        Ok(KeyPart::Exact(column(spec)?))
    }
}

/// `intable("table", key)`, `intable("table", "spec", value, ...)`,
/// `lookup("table", key, "column")`, `lookup("table", "spec", value, ..., "column")`.
fn table_call(ck: &mut Checker<'_>, f: &str, args: &[Expr], span: Span) -> Typed {
    let Some((table_arg, rest)) = args.split_first() else {
        return Typed::Error;
    };
    let (keys, column_arg) = if f == "lookup" {
        match rest.split_last() {
            Some((column, keys)) => (keys, Some(column)),
            None => return Typed::Error,
        }
    } else {
        (rest, None)
    };
    let table_name = constant_text(ck, f, "table name (argument 1)", table_arg);
    let table = table_name.as_deref().and_then(|name| {
        let table = ck.env.tables.get(name).cloned();
        if table.is_none() {
            ck.error(
                ErrorKind::UnknownTable {
                    name: name.to_owned(),
                },
                table_arg.span,
            );
        }
        table
    });
    if keys.len() != 1 && (keys.len() % 2 != 0 || keys.len() / 2 > MAX_KEYS) {
        let expected = if f == "lookup" {
            "a table, a key and a column, or a table, \"key spec\", value pairs (at most 8) and a column"
        } else {
            "a table and a key, or a table and \"key spec\", value pairs (at most 8)"
        };
        return ck.error(
            ErrorKind::WrongArgumentCount {
                function: f.to_owned(),
                expected: expected.to_owned(),
                found: args.len(),
            },
            span,
        );
    }
    let mut parts = Vec::new();
    let mut values = Vec::new();
    let mut failed = table.is_none();
    if let [value] = keys {
        parts.push(KeyPart::Exact(0));
        values.push(ck.expect_text(value, nth(f, 1)));
    } else {
        for (i, pair) in keys.chunks(2).enumerate() {
            let [spec_arg, value] = pair else { continue };
            let spec = constant_text(ck, f, "key spec", spec_arg);
            if let (Some(spec), Some(table)) = (spec, &table) {
                match key_spec(table, &spec) {
                    Ok(part) => parts.push(part),
                    Err(kind) => {
                        ck.error(kind, spec_arg.span);
                        failed = true;
                    }
                }
            } else {
                failed = true;
            }
            values.push(ck.expect_text(value, nth(f, 2 + 2 * i)));
        }
    }
    let column = match (column_arg, &table) {
        (Some(arg), Some(table)) => match constant_text(ck, f, "result column", arg) {
            Some(name) => match table.column(&name) {
                Some(c) => Some(c),
                None => {
                    ck.error(
                        ErrorKind::UnknownColumn {
                            table: table.name().to_owned(),
                            column: name.to_string(),
                        },
                        arg.span,
                    );
                    failed = true;
                    None
                }
            },
            None => {
                failed = true;
                None
            }
        },
        _ => None,
    };
    let values = values.into_iter().collect::<Option<Vec<_>>>();
    let (Some(table), Some(values), false) = (table, values, failed) else {
        return Typed::Error;
    };
    let index = table.key_index(&parts);
    let query = Box::new(TableQuery {
        table,
        index,
        keys: values.into_boxed_slice(),
    });
    match column {
        Some(column) => Typed::Text(TextNode::Lookup(query, column)),
        None => Typed::Bool(BoolNode::InTable(query)),
    }
}
