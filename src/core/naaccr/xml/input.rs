//! Input adapters: gzip detection by content and a position-counting, size-capping reader.
//!
//! The counting reader sits between the byte source and the XML parser. It counts lines (for
//! the 1-based line and column of every problem) and refuses a line or a markup-free run of
//! bytes longer than a cap *while* the parser is still buffering it, so a hostile 10 MB item
//! costs at most the cap plus one buffer of memory.

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
pub(super) struct Counted<R> {
    inner: R,
    /// Bytes consumed so far.
    pub(super) offset: u64,
    /// 1-based line of `offset`.
    pub(super) line: u64,
    /// Offset of the first byte of the current line.
    pub(super) line_start: u64,
    /// Offset where the parser's current event started (set before each event).
    pub(super) event_start: u64,
    max_line: u64,
    max_run: u64,
    /// Set when a cap was passed; every later read fails.
    pub(super) exceeded: Option<FatalKind>,
}

impl<R: BufRead> Counted<R> {
    pub(super) fn new(inner: R, max_line: usize, max_run: usize) -> Self {
        Self {
            inner,
            offset: 0,
            line: 1,
            line_start: 0,
            event_start: 0,
            max_line: u64::try_from(max_line).unwrap_or(u64::MAX),
            max_run: u64::try_from(max_run).unwrap_or(u64::MAX),
            exceeded: None,
        }
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
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        if amt == 0 {
            return;
        }
        // The bytes being consumed are still the head of the inner buffer: fill_buf returns
        // them again without reading.
        if let Ok(buffer) = self.inner.fill_buf()
            && let Some(chunk) = buffer.get(..amt)
        {
            let base = self.offset;
            let newlines = chunk.iter().filter(|&&b| b == b'\n').count();
            if newlines > 0 {
                self.line += newlines as u64;
                if let Some(last) = chunk.iter().rposition(|&b| b == b'\n') {
                    self.line_start = base + last as u64 + 1;
                }
            }
            let end = base + amt as u64;
            if self.exceeded.is_none() {
                if end - self.line_start > self.max_line {
                    self.exceeded = Some(FatalKind::LineTooLong {
                        max: usize::try_from(self.max_line).unwrap_or(usize::MAX),
                    });
                } else if end.saturating_sub(self.event_start) > self.max_run {
                    self.exceeded = Some(FatalKind::ValueTooLarge {
                        max: usize::try_from(self.max_run).unwrap_or(usize::MAX),
                    });
                }
            }
        }
        self.offset += amt as u64;
        self.inner.consume(amt);
    }
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
