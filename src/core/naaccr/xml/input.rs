//! Input adapters: gzip detection by content and a position-counting, size-capping reader.
//!
//! The counting reader sits between the byte source and the XML parser. It counts lines (for
//! the 1-based line and column of every item and problem) and refuses a line or a markup-free
//! run of bytes longer than a cap *while* the parser is still buffering it, so a hostile 10 MB
//! item costs at most the cap plus one buffer of memory. Lines are counted lazily, 8 bytes at
//! a time, only up to the positions asked for; the reader may also read plain items straight
//! from its buffer ([`Counted::peek`]).

use std::io::{self, BufRead, BufReader, Read};

use super::problem::FatalKind;

/// The two bytes every gzip member starts with (RFC 1952, section 2.3.1: ID1 ID2).
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Buffer size of the decompressed side.
const GZIP_BUFFER: usize = 64 * 1024;

/// A data file that may be gzip-compressed, recognised by its first two bytes (never by its
/// name); both cases read as plain XML bytes.
pub enum MaybeGzip<R: BufRead> {
    /// Uncompressed input, passed through.
    Plain(R),
    /// Gzip input (all members, as `gzip -d` does), decompressed on the fly.
    Gzip(BufReader<GzipInput<R>>),
}

impl<R: BufRead> MaybeGzip<R> {
    /// Looks at the first two bytes of `input` (without consuming them) and wraps it in a
    /// decoder when they are the gzip magic bytes `1f 8b`.
    pub fn detect(mut input: R) -> io::Result<Self> {
        let mut head = [0u8; 2];
        let mut have = 0;
        // fill_buf may return a single byte at a time; read ahead only when it does.
        let first = input.fill_buf()?;
        for (slot, byte) in head.iter_mut().zip(first.iter()) {
            *slot = *byte;
            have += 1;
        }
        if have == 1 {
            // Rare: a one-byte buffer. Decide from what is there; a lone 1f is not XML anyway.
            return Ok(if head.first() == GZIP_MAGIC.first() {
                Self::Gzip(BufReader::with_capacity(GZIP_BUFFER, GzipInput::new(input)))
            } else {
                Self::Plain(input)
            });
        }
        if head == GZIP_MAGIC {
            Ok(Self::Gzip(BufReader::with_capacity(
                GZIP_BUFFER,
                GzipInput::new(input),
            )))
        } else {
            Ok(Self::Plain(input))
        }
    }

    /// True when the input was recognised as gzip.
    pub fn is_gzip(&self) -> bool {
        matches!(self, Self::Gzip(_))
    }
}

impl<R: BufRead> Read for MaybeGzip<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Self::Plain(r) => r.read(out),
            Self::Gzip(r) => r.read(out),
        }
    }
}

impl<R: BufRead> BufRead for MaybeGzip<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        match self {
            Self::Plain(r) => r.fill_buf(),
            Self::Gzip(r) => r.fill_buf(),
        }
    }

    fn consume(&mut self, amt: usize) {
        match self {
            Self::Plain(r) => r.consume(amt),
            Self::Gzip(r) => r.consume(amt),
        }
    }
}

/// A gzip decoder whose errors are marked, so that the reader reports a corrupt stream as
/// `bad_gzip` rather than as a generic I/O error.
pub struct GzipInput<R: BufRead> {
    decoder: flate2::bufread::MultiGzDecoder<R>,
}

impl<R: BufRead> GzipInput<R> {
    fn new(input: R) -> Self {
        Self {
            decoder: flate2::bufread::MultiGzDecoder::new(input),
        }
    }
}

impl<R: BufRead> Read for GzipInput<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        self.decoder.read(out).map_err(|e| {
            io::Error::new(
                e.kind(),
                GzipFailure {
                    message: e.to_string(),
                },
            )
        })
    }
}

/// Marker payload of an I/O error raised by the gzip decoder.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub(super) struct GzipFailure {
    pub(super) message: String,
}

/// Marker payload of the I/O error raised when a cap is passed.
#[derive(Debug, thiserror::Error)]
#[error("input limit exceeded")]
struct LimitReached;

/// Counts lines and enforces the line and event caps over the bytes the parser consumes
/// (an event longer than the value cap, be it text, a tag or a comment, is refused while the
/// parser is still buffering it).
///
/// Lines are counted lazily: consumed bytes stay in the inner buffer (they are handed to the
/// inner reader's `consume` only when the whole buffer has been consumed), and newlines are
/// counted, in bulk, only up to the positions the reader asks for ([`Counted::position`]) and
/// when a buffer is released. The caps are checked exactly, but the newline count is brought
/// up to date only when a cap may have been passed.
pub(super) struct Counted<R> {
    inner: R,
    /// Bytes consumed so far.
    pub(super) offset: u64,
    /// Consumed bytes still at the head of the inner buffer (not yet passed to its `consume`).
    held: usize,
    /// Length of the inner buffer when last filled (`held` included).
    buffered: usize,
    /// Offset up to which newlines have been counted (at most `offset`).
    counted_to: u64,
    /// 1-based line of `counted_to`.
    line: u64,
    /// Offset of the first byte of the line of `counted_to`.
    line_start: u64,
    /// Offset where the parser's current event started (set before each event).
    event_start: u64,
    /// Consumed offset past which a cap may have been passed (checked exactly then).
    check_at: u64,
    max_line: u64,
    max_run: u64,
    /// Set when a cap was passed; every later read fails.
    pub(super) exceeded: Option<FatalKind>,
}

impl<R: BufRead> Counted<R> {
    pub(super) fn new(inner: R, max_line: usize, max_run: usize) -> Self {
        let max_line = u64::try_from(max_line).unwrap_or(u64::MAX);
        let max_run = u64::try_from(max_run).unwrap_or(u64::MAX);
        Self {
            inner,
            offset: 0,
            held: 0,
            buffered: 0,
            counted_to: 0,
            line: 1,
            line_start: 0,
            event_start: 0,
            check_at: max_line.min(max_run),
            max_line,
            max_run,
            exceeded: None,
        }
    }

    /// Marks the start of the parser's next event (for the value cap).
    pub(super) fn start_event(&mut self) {
        self.event_start = self.offset;
        self.update_check_at();
    }

    /// The buffered bytes not yet consumed, without reading (empty when there are none, or
    /// after a cap was passed).
    pub(super) fn peek(&mut self) -> &[u8] {
        if self.held >= self.buffered || self.exceeded.is_some() {
            return &[];
        }
        let held = self.held;
        match self.inner.fill_buf() {
            Ok(buffer) => buffer.get(held..).unwrap_or_default(),
            Err(_) => &[],
        }
    }

    /// How many more bytes may be consumed with no cap check (none of them can pass a cap).
    pub(super) fn room(&self) -> u64 {
        self.check_at.saturating_sub(self.offset)
    }

    /// Takes the newlines from the last position asked for (which must be where they are
    /// counted from) to `to`, as counted by the caller: how many and where the last one is.
    /// Returns the line and line start at `to`.
    pub(super) fn known(&mut self, to: u64, newlines: u64, last: Option<u64>) -> (u64, u64) {
        if to > self.counted_to && to <= self.offset {
            self.line += newlines;
            if let Some(last) = last {
                self.line_start = last + 1;
            }
            self.counted_to = to;
        }
        (self.line, self.line_start)
    }

    /// The 1-based line of a consumed offset at or after the last position asked for, and the
    /// offset of that line's first byte.
    pub(super) fn position(&mut self, at: u64) -> (u64, u64) {
        self.count_to(at.min(self.offset));
        (self.line, self.line_start)
    }

    fn update_check_at(&mut self) {
        self.check_at = self
            .line_start
            .saturating_add(self.max_line)
            .min(self.event_start.saturating_add(self.max_run));
    }

    /// Counts the newlines of the held bytes up to offset `to`.
    fn count_to(&mut self, to: u64) {
        if to <= self.counted_to {
            return;
        }
        let base = self.offset - self.held as u64;
        let from = usize::try_from(self.counted_to.saturating_sub(base)).unwrap_or(usize::MAX);
        let upto = usize::try_from(to - base).unwrap_or(usize::MAX);
        if let Ok(buffer) = self.inner.fill_buf()
            && let Some(chunk) = buffer.get(from..upto)
        {
            let (newlines, last) = newlines(chunk);
            self.line += newlines;
            if let Some(last) = last {
                self.line_start = self.counted_to + last as u64 + 1;
            }
        }
        self.counted_to = to;
    }

    /// Passes the held bytes to the inner reader, after counting their newlines.
    fn release(&mut self) {
        self.count_to(self.offset);
        self.update_check_at();
        self.inner.consume(self.held);
        self.held = 0;
        self.buffered = 0;
    }

    /// A cap may have been passed: count the newlines and check exactly.
    fn check_caps(&mut self) {
        self.count_to(self.offset);
        let end = self.offset;
        if end - self.line_start > self.max_line {
            self.exceeded = Some(FatalKind::LineTooLong {
                max: usize::try_from(self.max_line).unwrap_or(usize::MAX),
            });
        } else if end.saturating_sub(self.event_start) > self.max_run {
            self.exceeded = Some(FatalKind::ValueTooLarge {
                max: usize::try_from(self.max_run).unwrap_or(usize::MAX),
            });
        }
        self.update_check_at();
    }
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = {
            let available = self.fill_buf()?;
            let n = available.len().min(out.len());
            if let (Some(dst), Some(src)) = (out.get_mut(..n), available.get(..n)) {
                dst.copy_from_slice(src);
            }
            n
        };
        self.consume(n);
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        if self.exceeded.is_some() {
            return Err(io::Error::other(LimitReached));
        }
        if self.held > 0 && self.inner.fill_buf()?.len() <= self.held {
            self.release();
        }
        let held = self.held;
        let buffer = self.inner.fill_buf()?;
        self.buffered = buffer.len();
        Ok(buffer.get(held..).unwrap_or_default())
    }

    fn consume(&mut self, amt: usize) {
        // The consumed bytes stay at the head of the inner buffer until all of it is consumed.
        self.held += amt;
        self.offset += amt as u64;
        if self.offset > self.check_at && self.exceeded.is_none() {
            self.check_caps();
        }
    }
}

/// `0x01` in every byte of a word.
const ONES: u64 = 0x0101_0101_0101_0101;
/// `0x7f` in every byte of a word.
const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;

/// The high bit of each byte of `word` that is zero (exactly: no carries between bytes).
#[inline]
pub(super) fn zero_bytes(word: u64) -> u64 {
    !(((word & LOW7) + LOW7) | word | LOW7)
}

/// The high bit of each byte of `word` equal to `byte`.
#[inline]
pub(super) fn bytes_equal(word: u64, byte: u8) -> u64 {
    zero_bytes(word ^ ONES.wrapping_mul(u64::from(byte)))
}

/// A slice of 8 bytes as a little-endian word.
#[inline]
pub(super) fn word(chunk: &[u8]) -> u64 {
    let mut bytes = [0u8; 8];
    if let Some(head) = chunk.get(..8) {
        bytes.copy_from_slice(head);
    }
    u64::from_le_bytes(bytes)
}

/// The number of newlines in `bytes`, and the index of the last one (8 bytes at a time: the
/// runs between two reported positions are short).
fn newlines(bytes: &[u8]) -> (u64, Option<usize>) {
    if bytes.len() >= 256 {
        let count = bytes.iter().filter(|&&b| b == b'\n').count() as u64;
        let last = if count > 0 {
            bytes.iter().rposition(|&b| b == b'\n')
        } else {
            None
        };
        return (count, last);
    }
    let (mut count, mut last) = (0, None);
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let found = bytes_equal(word(chunk), b'\n');
        if found != 0 {
            count += u64::from(found.count_ones());
            last = Some(base + (63 - found.leading_zeros() as usize) / 8);
        }
        base += 8;
    }
    for (i, &b) in chunks.remainder().iter().enumerate() {
        if b == b'\n' {
            count += 1;
            last = Some(base + i);
        }
    }
    (count, last)
}

/// The index of the first byte of `bytes` equal to `a` or `b`.
#[inline]
pub(super) fn find_either(bytes: &[u8], a: u8, b: u8) -> Option<usize> {
    find_any(bytes, a, b, b)
}

/// The index of the first byte of `bytes` equal to `a`, `b` or `c` (8 bytes at a time).
#[inline]
pub(super) fn find_any(bytes: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut base = 0;
    for chunk in &mut chunks {
        let w = word(chunk);
        let found = bytes_equal(w, a) | bytes_equal(w, b) | bytes_equal(w, c);
        if found != 0 {
            return Some(base + found.trailing_zeros() as usize / 8);
        }
        base += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x == a || x == b || x == c)
        .map(|i| base + i)
}

/// Maps an I/O error from below the parser to the fatal problem it stands for.
pub(super) fn io_problem(error: &io::Error, exceeded: Option<&FatalKind>) -> FatalKind {
    if let Some(kind) = exceeded {
        return kind.clone();
    }
    if let Some(gzip) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<GzipFailure>())
    {
        return FatalKind::BadGzip {
            message: gzip.message.clone(),
        };
    }
    FatalKind::Io {
        kind: error.kind(),
        message: error.to_string(),
    }
}
