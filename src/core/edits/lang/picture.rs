//! EDITS picture patterns for `match(value, "picture")`, compiled once into a small automaton
//! (Thompson construction) and run without backtracking, allocation or recursion on the value.
//!
//! The picture characters are those of the GenEDITS `MATCH` function, as read from the grammar
//! imsweb/validation-translation uses to translate them (`src/test/resources/syntax/regex.flex`
//! and `regex.cup`) and from its tests (`GeneditsRegexUtilsTest`, several checked against
//! GenEDITS), which are the vectors of our tests:
//!
//! | picture | matches |
//! |---|---|
//! | `d` | a digit 0-9 |
//! | `a` | a letter A-Z or a-z |
//! | `x` | a letter or a digit |
//! | `u` / `l` | an upper-case / lower-case letter |
//! | `b` | a blank (space) |
//! | `@` | any character except a blank |
//! | `?` | any character |
//! | `c1:c2` | one character from `c1` to `c2` (`7:9`, `G:P`) |
//! | `!c` | the character `c` itself (`!-`, `!a`, `!:`, `!,`) |
//! | `{p1,p2,...}` or `[p1,p2,...]` | one of the alternatives (a group) |
//! | `p*` / `p+` | `p` repeated zero or more / one or more times |
//! | `p1,p2` or `p1\|p2` at the top | the whole value matches `p1` or `p2` |
//! | anything else | itself (`C`, `0`, `-`, `.`, `(`, ...) |
//!
//! GenEDITS details kept: blanks after a comma and at the end of the picture are ignored; a
//! picture of blanks only stands for that many blanks; `+` or `*` with nothing before them is
//! the character itself (`I{+}`). Trailing blanks of the value are not significant (GenEDITS
//! right-trims the value): the value matches when it, without its trailing blanks and followed
//! by as many blanks as the picture asks for, matches the whole picture. So `ddb` matches
//! `"12"` and `"12 "`, and a blank value matches `b`.

/// The most states a picture may compile to; real pictures need a few dozen.
const MAX_STATES: usize = 256;
/// Deepest nesting of `{}` / `[]` groups.
const MAX_NESTING: usize = 32;
const WORDS: usize = MAX_STATES / 64;

/// Why a picture cannot be compiled.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{reason}")]
pub struct PictureError {
    /// What is wrong, for a person.
    pub reason: String,
}

fn error(reason: impl Into<String>) -> PictureError {
    PictureError {
        reason: reason.into(),
    }
}

/// One class of characters a picture position accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Digit,
    Alpha,
    AlNum,
    Upper,
    Lower,
    Blank,
    NonBlank,
    Any,
    Char(char),
    Range(char, char),
}

impl Class {
    fn accepts(self, c: char) -> bool {
        match self {
            Self::Digit => c.is_ascii_digit(),
            Self::Alpha => c.is_ascii_alphabetic(),
            Self::AlNum => c.is_ascii_alphanumeric(),
            Self::Upper => c.is_ascii_uppercase(),
            Self::Lower => c.is_ascii_lowercase(),
            Self::Blank => c == ' ',
            Self::NonBlank => !c.is_whitespace(),
            Self::Any => true,
            Self::Char(x) => c == x,
            Self::Range(lo, hi) => lo <= c && c <= hi,
        }
    }
}

/// The parsed picture.
#[derive(Debug)]
enum Node {
    Class(Class),
    Seq(Vec<Node>),
    Alt(Vec<Node>),
    Star(Box<Node>),
    Plus(Box<Node>),
}

/// An automaton state.
#[derive(Debug, Clone, Copy)]
enum State {
    /// Consume one character of the class, then go to the state.
    Step(Class, usize),
    /// Go to both states without consuming.
    Split(usize, usize),
    /// The whole picture matched.
    Accept,
}

/// A compiled picture.
#[derive(Debug, Clone)]
pub struct Picture {
    states: Vec<State>,
    start: usize,
}

/// A set of states as a fixed bit array (no allocation while matching).
#[derive(Clone, Copy, PartialEq, Eq)]
struct StateSet([u64; WORDS]);

impl StateSet {
    fn new() -> Self {
        Self([0; WORDS])
    }

    /// Inserts; false when already present (or out of range, which cannot happen).
    fn insert(&mut self, state: usize) -> bool {
        let Some(word) = self.0.get_mut(state / 64) else {
            return false;
        };
        let bit = 1u64 << (state % 64);
        let fresh = *word & bit == 0;
        *word |= bit;
        fresh
    }

    fn is_empty(&self) -> bool {
        self.0.iter().all(|w| *w == 0)
    }

    fn for_each(&self, mut f: impl FnMut(usize)) {
        for (i, word) in self.0.iter().enumerate() {
            let mut bits = *word;
            while bits != 0 {
                let bit = bits.trailing_zeros() as usize;
                f(i * 64 + bit);
                bits &= bits - 1;
            }
        }
    }
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
}

impl Parser {
    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    /// Alternatives separated by `,` or `|`, up to `close` (or the end at the top level).
    fn alternatives(&mut self, close: Option<char>) -> Result<Node, PictureError> {
        let mut alts = vec![self.sequence(close)?];
        while let Some(c) = self.peek() {
            if c == ',' || c == '|' {
                self.pos += 1;
                alts.push(self.sequence(close)?);
            } else {
                break;
            }
        }
        Ok(if alts.len() == 1 {
            alts.pop().unwrap_or(Node::Seq(Vec::new()))
        } else {
            Node::Alt(alts)
        })
    }

    fn sequence(&mut self, close: Option<char>) -> Result<Node, PictureError> {
        let mut items: Vec<Node> = Vec::new();
        while let Some(c) = self.peek() {
            if c == ',' || c == '|' || Some(c) == close {
                break;
            }
            self.pos += 1;
            let node = match c {
                '*' | '+' => match items.pop() {
                    Some(last) if c == '*' => Node::Star(Box::new(last)),
                    Some(last) => Node::Plus(Box::new(last)),
                    // Nothing to repeat: the character itself (GenEDITS `I{+}`).
                    None => Node::Class(Class::Char(c)),
                },
                '{' | '[' => {
                    let closing = if c == '{' { '}' } else { ']' };
                    self.depth += 1;
                    if self.depth > MAX_NESTING {
                        return Err(error("the picture nests groups too deeply"));
                    }
                    let group = self.alternatives(Some(closing))?;
                    if self.peek() != Some(closing) {
                        return Err(error(format!("a '{c}' group is not closed by '{closing}'")));
                    }
                    self.pos += 1;
                    self.depth -= 1;
                    group
                }
                '}' | ']' => return Err(error(format!("'{c}' closes a group never opened"))),
                ':' => {
                    return Err(error(
                        "':' needs a character on both sides (write !: for a colon)",
                    ));
                }
                'd' => Node::Class(Class::Digit),
                'a' => Node::Class(Class::Alpha),
                'x' => Node::Class(Class::AlNum),
                'u' => Node::Class(Class::Upper),
                'l' => Node::Class(Class::Lower),
                'b' => Node::Class(Class::Blank),
                '@' => Node::Class(Class::NonBlank),
                '?' => Node::Class(Class::Any),
                '!' => {
                    let literal = self.literal_after_escape()?;
                    self.maybe_range(literal)?
                }
                other => self.maybe_range(other)?,
            };
            items.push(node);
        }
        Ok(Node::Seq(items))
    }

    fn literal_after_escape(&mut self) -> Result<char, PictureError> {
        let c = self
            .peek()
            .ok_or_else(|| error("'!' at the end of the picture escapes nothing"))?;
        self.pos += 1;
        Ok(c)
    }

    /// A literal character, or the range `lo:hi` when a `:` follows.
    fn maybe_range(&mut self, lo: char) -> Result<Node, PictureError> {
        if self.peek() != Some(':') {
            return Ok(Node::Class(Class::Char(lo)));
        }
        self.pos += 1;
        let hi = match self.peek() {
            None => return Err(error(format!("the range '{lo}:' has no upper end"))),
            Some('!') => {
                self.pos += 1;
                self.literal_after_escape()?
            }
            Some(c) => {
                self.pos += 1;
                c
            }
        };
        if hi < lo {
            return Err(error(format!("the range '{lo}:{hi}' is empty")));
        }
        Ok(Node::Class(Class::Range(lo, hi)))
    }
}

struct Builder {
    states: Vec<State>,
}

impl Builder {
    fn push(&mut self, state: State) -> Result<usize, PictureError> {
        if self.states.len() >= MAX_STATES {
            return Err(error("the picture is too long"));
        }
        self.states.push(state);
        Ok(self.states.len() - 1)
    }

    fn set(&mut self, at: usize, state: State) {
        if let Some(slot) = self.states.get_mut(at) {
            *slot = state;
        }
    }

    /// Builds `node` so that it continues to `next`; returns its entry state.
    fn build(&mut self, node: &Node, next: usize) -> Result<usize, PictureError> {
        match node {
            Node::Class(class) => self.push(State::Step(*class, next)),
            Node::Seq(items) => {
                let mut entry = next;
                for item in items.iter().rev() {
                    entry = self.build(item, entry)?;
                }
                Ok(entry)
            }
            Node::Alt(alts) => {
                let mut entries = Vec::with_capacity(alts.len());
                for alt in alts {
                    entries.push(self.build(alt, next)?);
                }
                let mut entry = entries.pop().unwrap_or(next);
                while let Some(other) = entries.pop() {
                    entry = self.push(State::Split(other, entry))?;
                }
                Ok(entry)
            }
            Node::Star(inner) => {
                let split = self.push(State::Split(next, next))?;
                let body = self.build(inner, split)?;
                self.set(split, State::Split(body, next));
                Ok(split)
            }
            Node::Plus(inner) => {
                let split = self.push(State::Split(next, next))?;
                let body = self.build(inner, split)?;
                self.set(split, State::Split(body, next));
                Ok(body)
            }
        }
    }
}

impl Picture {
    /// Compiles a picture; see the module documentation for the characters.
    pub fn compile(picture: &str) -> Result<Self, PictureError> {
        // GenEDITS ignores blanks after a comma and at the end of a picture, except that a
        // picture of blanks only stands for that many blanks (imsweb `translateRegex`).
        let normalised: String = if !picture.is_empty() && picture.chars().all(|c| c == ' ') {
            picture.to_owned()
        } else {
            let mut out = String::with_capacity(picture.len());
            let mut after_comma = false;
            for c in picture.trim_end_matches(' ').chars() {
                if after_comma && c == ' ' {
                    continue;
                }
                after_comma = c == ',';
                out.push(c);
            }
            out
        };
        let mut parser = Parser {
            chars: normalised.chars().collect(),
            pos: 0,
            depth: 0,
        };
        let tree = parser.alternatives(None)?;
        if let Some(c) = parser.peek() {
            return Err(error(format!("'{c}' closes a group never opened")));
        }
        let mut builder = Builder { states: Vec::new() };
        let accept = builder.push(State::Accept)?;
        let start = builder.build(&tree, accept)?;
        Ok(Self {
            states: builder.states,
            start,
        })
    }

    /// Adds `state` and everything reachable from it without consuming a character.
    fn add(&self, set: &mut StateSet, state: usize) {
        if !set.insert(state) {
            return;
        }
        if let Some(State::Split(a, b)) = self.states.get(state) {
            self.add(set, *a);
            self.add(set, *b);
        }
    }

    fn step(&self, current: &StateSet, c: char) -> StateSet {
        let mut next = StateSet::new();
        current.for_each(|s| {
            if let Some(State::Step(class, to)) = self.states.get(s)
                && class.accepts(c)
            {
                self.add(&mut next, *to);
            }
        });
        next
    }

    fn accepts(&self, set: &StateSet) -> bool {
        let mut accepted = false;
        set.for_each(|s| accepted |= matches!(self.states.get(s), Some(State::Accept)));
        accepted
    }

    /// True when the value matches the whole picture (trailing blanks not significant).
    pub fn matches(&self, value: &str) -> bool {
        let mut current = StateSet::new();
        self.add(&mut current, self.start);
        for c in value.trim_end_matches(' ').chars() {
            current = self.step(&current, c);
            if current.is_empty() {
                return false;
            }
        }
        // Offer blanks for as long as the picture may still want them.
        for _ in 0..=self.states.len() {
            if self.accepts(&current) {
                return true;
            }
            let next = self.step(&current, ' ');
            if next.is_empty() || next == current {
                return false;
            }
            current = next;
        }
        false
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

    fn check(picture: &str, yes: &[&str], no: &[&str]) {
        let p = Picture::compile(picture).unwrap_or_else(|e| panic!("{picture}: {e}"));
        for v in yes {
            assert!(p.matches(v), "{picture:?} should match {v:?}");
        }
        for v in no {
            assert!(!p.matches(v), "{picture:?} should not match {v:?}");
        }
    }

    // Vectors: imsweb/validation-translation GeneditsRegexUtilsTest.testActualMatches.
    #[test]
    fn pictures_from_the_translation_tests() {
        check("dd", &["88"], &["8", "888", "8a"]);
        check("ddff", &["17ff"], &["17fg"]);
        check(
            "404 ddd!-dddd",
            &["404 899-7751"],
            &["404899-7751", "404 A99-7751"],
        );
        check("a{a,b}*", &["ibb  z"], &["- "]);
        check(
            "C{341:9,384,50d,569,570}",
            &["C342", "C508", "C384"],
            &["C385", "C340"],
        );
        check("001:9.d", &["001.7"], &["0017"]);
        check("ddddd[[!-]dddd]", &["30341-3724"], &["30341", "303413724"]);
        check("9dddd[[!-]dddd]", &[], &["303413724"]);
        check(
            "{01:9,10:2}[!:]0:5d[b*[!am,pm]]",
            &["12:55 am", "09:05pm"],
            &["13:55 am"],
        );
        check(
            "{0:1d,20:3}[!:]0:5d",
            &["15:55", "23:00"],
            &["15:65", "24:00"],
        );
        check("I{+}", &["I+"], &["I"]);
        check("I{-}", &["I-"], &[]);
        check("I[*]", &["I*"], &[]);
        check("I!+b", &["I+ ", "I+"], &[]);
        check("I!*", &["I*"], &["I"]);
        check(
            "pX,p0,c0, p0I{!+}, p0I{!-},p0M{!+}, p0M{!-}",
            &["pX", "p0", "c0", "p0I+", "p0I-", "p0M+", "p0M-"],
            &["p1", "p0I"],
        );
        check(
            "a{b,a}*",
            &[
                "something",
                "sOmehtING",
                "someth   ",
                "some  ing",
                "abc",
                "ab ",
            ],
            &["", " omething", " . s.s . ", "...", "a.."],
        );
        check("a{.,(,)}+", &["a.()..(((.))"], &["a.()..(((.))a", "a"]);
        check(
            "{x,b,!,}",
            &["A", "a", "1", " ", ","],
            &["+", "-", "_", ")", "(", "{", "}", "[", "]"],
        );
        check(
            "d{d,!.}*",
            &["1", "11", "1.1", "1.1.", "1..1", "1.."],
            &[".", ".1"],
        );
    }

    // Vectors: imsweb/validation MetafileContextFunctionsTest.testGEN_MATCH, pictures from real
    // edits ("tested within Genedits"), given there as their regex translations.
    #[test]
    fn pictures_from_real_edits() {
        check(
            "@{?}*",
            &["ABC", "ABC ", "ABC   ", "A B C ", "A"],
            &[" ABC", "  ABC", " ABC ", " A B C ", "   ", ""],
        );
        check(
            "x{b,x}*",
            &[
                "12345",
                "12345    ",
                "A1234",
                "1234Z",
                "abcABC",
                "123 456",
                "1 23456   ",
            ],
            &["", " ", "   ", " 123456", "1234!", "12;34;56", "<12345>"],
        );
        check(
            "x{x}*{b}*",
            &["12345", "12345    ", "A1234", "abcABC"],
            &["123 456", "1 23456   ", "", " ", " 123456", "1234!"],
        );
        check(
            "a{a,b,-,'}*",
            &["abc", "ABC", "A BC", "A'BC", "A-BC", "ABC "],
            &["", " ", "    ", " ABC", "'ABC", "AB<C>", "AB_C"],
        );
        check(
            "uxx{x}*{b}*",
            &["ABC", "Abc", "A12", "Abc ", "Abc123 ", "X12", "Xab "],
            &[
                "abc", "aBC", "123", "a      ", "x", "1", "A", "A1", "Aa", "A ", "ABC'", "ABC-2",
                "ABC abc",
            ],
        );
        check(
            "{A,B,E,G:P,R,S}xx{x}*{b}*",
            &[
                "A12", "B12", "G12", "I12", "R12", "S12", "Sab", "SAB  ", "SAB123 ",
            ],
            &[
                "A", "Aa", "Aa ", "A a", "abc", "a12", "C12", "Cab", "C1  ", "123 ", "X12",
            ],
        );
    }

    #[test]
    fn blanks_at_the_end_are_not_significant() {
        check("ddd", &["123", "123 ", "123     "], &["1234", " 123"]);
        check("dddb", &["123", "123 "], &[]);
        check("b", &["", " "], &["1"]);
        check("   ", &["", "   "], &["1"]);
        check("dd!-dddd", &["12-3456"], &["12 3456", "123456"]);
    }

    #[test]
    fn bad_pictures_are_refused() {
        for bad in ["{dd", "dd}", "d:", "!", "9:1", ":9", "[d,{a]}"] {
            assert!(Picture::compile(bad).is_err(), "{bad:?}");
        }
        let deep = "{".repeat(40) + &"}".repeat(40);
        assert!(Picture::compile(&deep).is_err());
        let long = "d".repeat(300);
        assert!(Picture::compile(&long).is_err());
    }

    #[test]
    fn loops_that_match_nothing_terminate() {
        check("{b,}*", &["", "  "], &["1"]);
        check("{d*}*a", &["12a", "a"], &["12"]);
    }
}
