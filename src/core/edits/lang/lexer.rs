//! Splits expression text into tokens, each with its byte span. Lexical errors are collected
//! (the bad character is skipped) so that several can be reported at once.

use super::ast::Span;
use super::error::{CompileError, ErrorKind};

/// A token of the expression language.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    /// An identifier or keyword (`primarySite`, `and`, `DT_EMPTY`, `substr`).
    Ident(String),
    /// A number literal (`60`, `1.5`).
    Number(f64),
    /// A string literal with its escapes resolved.
    Text(String),
    LParen,
    RParen,
    Comma,
    Dot,
    DotDot,
    Colon,
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
    Plus,
    Minus,
    Star,
    Slash,
    Percent,
    Amp,
    AndAnd,
    OrOr,
    Bang,
    /// End of the text.
    End,
}

impl Tok {
    /// How the token reads in an error message.
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Ident(name) => format!("'{name}'"),
            Self::Number(_) => "a number".to_owned(),
            Self::Text(_) => "a string".to_owned(),
            Self::End => "the end of the expression".to_owned(),
            other => format!("'{}'", other.symbol()),
        }
    }

    fn symbol(&self) -> &'static str {
        match self {
            Self::LParen => "(",
            Self::RParen => ")",
            Self::Comma => ",",
            Self::Dot => ".",
            Self::DotDot => "..",
            Self::Colon => ":",
            Self::Eq => "=",
            Self::Ne => "<>",
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Gt => ">",
            Self::Ge => ">=",
            Self::Plus => "+",
            Self::Minus => "-",
            Self::Star => "*",
            Self::Slash => "/",
            Self::Percent => "%",
            Self::Amp => "&",
            Self::AndAnd => "&&",
            Self::OrOr => "||",
            Self::Bang => "!",
            Self::Ident(_) | Self::Number(_) | Self::Text(_) | Self::End => "",
        }
    }
}

/// A token and where it is.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Token {
    pub(crate) tok: Tok,
    pub(crate) span: Span,
}

/// Tokenises `source`; the last token is always `End`. Errors are returned alongside.
pub(crate) fn tokenize(source: &str) -> (Vec<Token>, Vec<CompileError>) {
    let bytes = source.as_bytes();
    let mut tokens = Vec::new();
    let mut errors = Vec::new();
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let start = i;
        let next = bytes.get(i + 1).copied();
        let two = |tok: Tok| (tok, 2);
        let one = |tok: Tok| (tok, 1);
        let simple = match (b, next) {
            (b' ' | b'\t' | b'\r' | b'\n', _) => {
                i += 1;
                continue;
            }
            (b'/', Some(b'/')) => {
                // A comment runs to the end of the line.
                while let Some(&c) = bytes.get(i) {
                    if c == b'\n' {
                        break;
                    }
                    i += 1;
                }
                continue;
            }
            (b'<', Some(b'>')) | (b'!', Some(b'=')) => Some(two(Tok::Ne)),
            (b'<', Some(b'=')) => Some(two(Tok::Le)),
            (b'>', Some(b'=')) => Some(two(Tok::Ge)),
            (b'=', Some(b'=')) => Some(two(Tok::Eq)),
            (b'&', Some(b'&')) => Some(two(Tok::AndAnd)),
            (b'|', Some(b'|')) => Some(two(Tok::OrOr)),
            (b'.', Some(b'.')) => Some(two(Tok::DotDot)),
            (b'(', _) => Some(one(Tok::LParen)),
            (b')', _) => Some(one(Tok::RParen)),
            (b',', _) => Some(one(Tok::Comma)),
            (b'.', _) => Some(one(Tok::Dot)),
            (b':', _) => Some(one(Tok::Colon)),
            (b'=', _) => Some(one(Tok::Eq)),
            (b'<', _) => Some(one(Tok::Lt)),
            (b'>', _) => Some(one(Tok::Gt)),
            (b'+', _) => Some(one(Tok::Plus)),
            (b'-', _) => Some(one(Tok::Minus)),
            (b'*', _) => Some(one(Tok::Star)),
            (b'/', _) => Some(one(Tok::Slash)),
            (b'%', _) => Some(one(Tok::Percent)),
            (b'&', _) => Some(one(Tok::Amp)),
            (b'!', _) => Some(one(Tok::Bang)),
            _ => None,
        };
        if let Some((tok, len)) = simple {
            i += len;
            tokens.push(Token {
                tok,
                span: Span::new(start, i),
            });
            continue;
        }
        if b == b'"' {
            let (tok, end) = string(source, start, &mut errors);
            i = end;
            if let Some(tok) = tok {
                tokens.push(Token {
                    tok,
                    span: Span::new(start, i),
                });
            }
        } else if b.is_ascii_digit() {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            // A decimal point only when a digit follows, so that `1..5` is a range.
            if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
                i += 1;
                while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                    i += 1;
                }
            }
            let text = source.get(start..i).unwrap_or("");
            match text.parse::<f64>() {
                Ok(n) if n.is_finite() => tokens.push(Token {
                    tok: Tok::Number(n),
                    span: Span::new(start, i),
                }),
                _ => errors.push(CompileError::new(
                    ErrorKind::InvalidNumber {
                        text: text.to_owned(),
                    },
                    Span::new(start, i),
                )),
            }
        } else if b.is_ascii_alphabetic() || b == b'_' {
            while bytes
                .get(i)
                .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
            {
                i += 1;
            }
            tokens.push(Token {
                tok: Tok::Ident(source.get(start..i).unwrap_or("").to_owned()),
                span: Span::new(start, i),
            });
        } else {
            let ch = source
                .get(start..)
                .and_then(|s| s.chars().next())
                .unwrap_or('?');
            i += ch.len_utf8();
            errors.push(CompileError::new(
                ErrorKind::UnexpectedCharacter { ch },
                Span::new(start, i),
            ));
        }
    }
    tokens.push(Token {
        tok: Tok::End,
        span: Span::new(source.len(), source.len()),
    });
    (tokens, errors)
}

/// Reads a string literal starting at the opening quote; returns the token (None after an
/// error) and the byte offset after it.
fn string(source: &str, start: usize, errors: &mut Vec<CompileError>) -> (Option<Tok>, usize) {
    let mut value = String::new();
    let rest = source.get(start + 1..).unwrap_or("");
    let mut chars = rest.char_indices();
    let mut ok = true;
    while let Some((offset, c)) = chars.next() {
        let at = start + 1 + offset;
        match c {
            '"' => return (ok.then_some(Tok::Text(value)), at + 1),
            '\n' => break,
            '\\' => match chars.next() {
                Some((_, '"')) => value.push('"'),
                Some((_, '\\')) => value.push('\\'),
                Some((_, other)) => {
                    ok = false;
                    errors.push(CompileError::new(
                        ErrorKind::InvalidEscape { ch: other },
                        Span::new(at, at + 1 + other.len_utf8()),
                    ));
                }
                None => break,
            },
            other => value.push(other),
        }
    }
    // No closing quote on this line: the string runs to the end of the line.
    let end = source
        .get(start..)
        .and_then(|s| s.find('\n'))
        .map_or(source.len(), |n| start + n);
    errors.push(CompileError::new(
        ErrorKind::UnterminatedString,
        Span::new(start, end),
    ));
    (None, end)
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

    fn toks(source: &str) -> Vec<Tok> {
        let (tokens, errors) = tokenize(source);
        assert!(errors.is_empty(), "{errors:?}");
        tokens.into_iter().map(|t| t.tok).collect()
    }

    #[test]
    fn operators_numbers_strings_and_ranges() {
        assert_eq!(
            toks(r#"a<>b != 1..5 "x\"y\\" 1.5 && || ! % // comment"#),
            vec![
                Tok::Ident("a".into()),
                Tok::Ne,
                Tok::Ident("b".into()),
                Tok::Ne,
                Tok::Number(1.0),
                Tok::DotDot,
                Tok::Number(5.0),
                Tok::Text("x\"y\\".into()),
                Tok::Number(1.5),
                Tok::AndAnd,
                Tok::OrOr,
                Tok::Bang,
                Tok::Percent,
                Tok::End,
            ]
        );
    }

    #[test]
    fn lexical_errors_are_collected_with_spans() {
        let (_, errors) = tokenize("a # b \"open\n$ \"bad\\n\"");
        let kinds: Vec<_> = errors.iter().map(|e| (e.kind.code(), e.span)).collect();
        assert_eq!(
            kinds,
            vec![
                ("unexpected_character", Span::new(2, 3)),
                ("unterminated_string", Span::new(6, 11)),
                ("unexpected_character", Span::new(12, 13)),
                ("invalid_escape", Span::new(18, 20)),
            ]
        );
    }
}
