//! The same person reported again as another patient record, with the errors that make
//! record linkage necessary: transposed letters, a nickname, a changed digit in the date of
//! birth, a missing or mistyped SSN, a dropped middle name, a new address, another facility.
//! (Error types follow the classes studied in registry linkage, e.g. Christen, *Data
//! Matching*, 2012, ch. 3: typographical, phonetic/nickname and date-component errors.)

use chrono::{Datelike, Days, NaiveDate};
use rand::Rng;

use super::model::{Person, Window, age_on, draw_street, facility};
use super::tables::SynthTables;

/// Swaps two adjacent, different letters after the first (`Johnson` -> `Jhonson`), so the
/// capital stays in front; unchanged if impossible.
pub(super) fn transpose<R: Rng + ?Sized>(s: &str, rng: &mut R) -> String {
    let chars: Vec<char> = s.chars().collect();
    let candidates: Vec<usize> = chars
        .windows(2)
        .enumerate()
        .skip(1)
        .filter(|(_, w)| matches!(w, [a, b] if a != b && a.is_alphabetic() && b.is_alphabetic()))
        .map(|(i, _)| i)
        .collect();
    if candidates.is_empty() {
        return s.to_owned();
    }
    let Some(&i) = candidates.get(rng.random_range(0..candidates.len())) else {
        return s.to_owned();
    };
    let mut out = chars;
    out.swap(i, i + 1);
    out.into_iter().collect()
}

/// A date of birth with one digit of the day or month changed, or day and month swapped,
/// that is still a valid date.
fn mistype_birth<R: Rng + ?Sized>(dob: NaiveDate, rng: &mut R) -> Option<NaiveDate> {
    for _ in 0..10 {
        let (y, m, d) = (dob.year(), dob.month(), dob.day());
        let candidate = match rng.random_range(0..3) {
            // units digit of the day
            0 => NaiveDate::from_ymd_opt(y, m, d - d % 10 + rng.random_range(0..10)),
            // tens digit of the day
            1 => NaiveDate::from_ymd_opt(y, m, rng.random_range(0..4) * 10 + d % 10),
            // day and month swapped (US/European order confusion)
            _ => NaiveDate::from_ymd_opt(y, d, m),
        };
        if let Some(c) = candidate.filter(|c| *c != dob) {
            return Some(c);
        }
    }
    None
}

fn nickname<R: Rng + ?Sized>(tables: &SynthTables, first: &str, rng: &mut R) -> Option<String> {
    let options: Vec<&String> = tables
        .nicknames
        .iter()
        .filter(|(name, _)| name == first)
        .map(|(_, nick)| nick)
        .collect();
    if options.is_empty() {
        return None;
    }
    options
        .get(rng.random_range(0..options.len()))
        .map(|s| (*s).clone())
}

fn mistype_ssn<R: Rng + ?Sized>(ssn: &str, rng: &mut R) -> String {
    if rng.random_bool(0.5) {
        return "999999999".to_owned(); // unknown (NAACCR item 2320)
    }
    let pos = rng.random_range(3..ssn.len().max(4));
    ssn.chars()
        .enumerate()
        .map(|(i, c)| {
            if i == pos {
                let d = c.to_digit(10).unwrap_or(0);
                char::from_digit((d + rng.random_range(1..10)) % 10, 10).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

/// Whether every tumor still has a plausible age for its site group and a birth date on or
/// before its diagnosis.
fn ages_plausible(tables: &SynthTables, p: &Person) -> bool {
    p.tumors.iter().all(|t| {
        let age = age_on(p.dob, t.dx);
        p.dob <= t.dx
            && tables
                .group(t.kind.group)
                .is_some_and(|g| g.age_min <= age && age <= g.age_max)
    })
}

/// Another report of `orig`: one or more identity errors, another facility, the diagnosis
/// date possibly a few days earlier (date of first contact rather than of confirmation).
pub(super) fn make_duplicate<R: Rng + ?Sized>(
    tables: &SynthTables,
    win: &Window,
    orig: &Person,
    rng: &mut R,
) -> Person {
    let mut p = orig.clone();
    let mut changed = false;
    for _ in 0..32 {
        if changed {
            break;
        }
        if rng.random_bool(0.35) {
            let t = transpose(&p.last, rng);
            changed |= t != p.last;
            p.last = t;
        }
        if rng.random_bool(0.35) {
            if let Some(n) = nickname(tables, &p.first, rng) {
                p.first = n;
                changed = true;
            } else {
                let t = transpose(&p.first, rng);
                changed |= t != p.first;
                p.first = t;
            }
        }
        if rng.random_bool(0.3)
            && let Some(d) = mistype_birth(p.dob, rng)
        {
            let before = p.dob;
            p.dob = d;
            if ages_plausible(tables, &p) {
                changed = true;
            } else {
                p.dob = before;
            }
        }
        if rng.random_bool(0.2) {
            p.ssn = mistype_ssn(&p.ssn, rng);
            changed |= p.ssn != orig.ssn;
        }
        if rng.random_bool(0.2) && !p.middle.is_empty() {
            p.middle.clear();
            changed = true;
        }
        if rng.random_bool(0.15)
            && let Some(street) = draw_street(tables, rng)
        {
            p.street = street;
            changed = true;
        }
    }
    // Another facility reports the same tumors, sometimes with an earlier date (one shift for
    // all tumors, so their order and sequence numbers are kept).
    let shift = rng.random_range(0..=14u64);
    for t in &mut p.tumors {
        let current: u8 = t
            .facility
            .get(5..)
            .and_then(|s| s.parse().ok())
            .unwrap_or(1);
        t.facility = facility(&p.place, current % 3 + 1);
        if let Some(d) = t.dx.checked_sub_days(Days::new(shift)) {
            let before = t.dx;
            t.dx = d.max(win.dx_start);
            if t.dx < p.dob {
                t.dx = before;
            }
        }
    }
    if !ages_plausible(tables, &p) {
        // The earlier date crossed a birthday out of the site's range: keep the original dates.
        for (t, o) in p.tumors.iter_mut().zip(&orig.tumors) {
            t.dx = o.dx;
        }
    }
    p
}

#[cfg(test)]
mod tests {
    use super::transpose;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn transposition_keeps_the_letters_and_changes_the_order() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let t = transpose("Johnson", &mut rng);
        assert_ne!(t, "Johnson");
        let mut a: Vec<char> = t.chars().collect();
        let mut b: Vec<char> = "Johnson".chars().collect();
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b);
        assert_eq!(transpose("Ann", &mut rng), "Ann");
        assert_eq!(transpose("Lea", &mut rng), "Lae");
    }
}
