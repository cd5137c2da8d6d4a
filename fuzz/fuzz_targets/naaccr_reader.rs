//! Fuzzes the NAACCR XML reader: any bytes (plain or gzip) must give patients or a fatal
//! problem with a position, never a panic, a hang or unbounded memory.
//!
//! Run: `cargo +nightly fuzz run naaccr_reader fuzz/corpus/naaccr_reader -- -max_len=65536`
//! (see fuzz/README.md).

#![no_main]

use libfuzzer_sys::fuzz_target;
use std::io::{BufReader, Cursor};
use std::sync::OnceLock;
use tumor_registry::app::Dictionaries;
use tumor_registry::core::naaccr::xml::{MaybeGzip, NaaccrReader, Patient, ReaderOptions};

fn dictionaries() -> &'static Dictionaries {
    static D: OnceLock<Dictionaries> = OnceLock::new();
    D.get_or_init(|| Dictionaries::load(&[]).expect("the built-in dictionaries load"))
}

fuzz_target!(|data: &[u8]| {
    let dictionaries = dictionaries();
    let provider = |v: &str| dictionaries.get(v).cloned();
    let Ok(input) = MaybeGzip::detect(BufReader::with_capacity(64, Cursor::new(data))) else {
        return;
    };
    // Small caps, so the fuzzer reaches them with small inputs.
    let options = ReaderOptions {
        max_depth: 16,
        max_value_bytes: 4096,
        max_line_bytes: 8192,
        max_elements_per_patient: 512,
        check_values: data.first().is_some_and(|b| b & 1 == 0),
    };
    let mut reader = match NaaccrReader::new(input, &provider, options) {
        Ok(r) => r,
        Err(e) => {
            assert!(e.line >= 1 && e.column >= 1, "a fatal problem has a position");
            return;
        }
    };
    let mut patient = Patient::default();
    loop {
        match reader.read_patient_into(&mut patient) {
            Ok(true) => {
                for p in &patient.problems {
                    assert!(p.line >= 1 && p.column >= 1, "an item problem has a position");
                }
            }
            Ok(false) => break,
            Err(e) => {
                assert!(e.line >= 1 && e.column >= 1, "a fatal problem has a position");
                break;
            }
        }
    }
});
