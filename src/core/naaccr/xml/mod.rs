//! NAACCR XML data files: a streaming reader and a writer.
//!
//! Why it exists: registries exchange abstracts as NAACCR XML (the NAACCR XML Data Exchange
//! Standard, specification 1.8). The reader turns a file into one [`Patient`] at a time,
//! sorting problems into the standard's two classes: fatal ones that stop the file
//! ([`FatalError`]) and item problems attached to the patient ([`ItemProblem`]). The writer
//! produces byte-stable files that the reader (and the reference Java library) read back.
//!
//! What it must not do: open files, look at the clock or log item values. Input and output
//! are any `BufRead`/`Write`; gzip is recognised by content ([`MaybeGzip`]) on the way in and
//! left to the caller (flate2's `GzEncoder`) on the way out.

mod input;
pub mod problem;
pub mod reader;
pub mod writer;

pub use input::{GzipInput, MaybeGzip};
pub use problem::{FatalError, FatalKind, ItemProblem, ItemProblemKind};
pub use reader::{DictionaryProvider, Item, NaaccrReader, Patient, ReaderOptions, RootData, Tumor};
pub use writer::{
    ControlChars, ItemLocation, NaaccrWriter, RootAttributes, WriteError, WriterOptions,
};

#[cfg(test)]
mod tests;
