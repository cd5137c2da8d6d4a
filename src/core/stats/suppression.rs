//! Suppression of small counts for researchers: a count from 1 to the threshold (15 by
//! default) is not shown, and enough other counts are hidden too (complementary suppression)
//! that no hidden count can be worked out from the published counts, totals and margins.
//!
//! A table is a list of counts and the additive relations between them (a total is the sum of
//! its parts, at every level of margins). After the primary suppression, two rules run until
//! nothing changes: a relation with exactly one hidden count gets a second one hidden (the
//! smallest non-zero count still shown, so as little as possible is lost); and any hidden count
//! that the published values still determine (it lies in the row space of the relations over
//! the hidden counts, found by one reduced row-echelon form) gets a relation partner hidden.
//! Zeros are shown: a zero is not a small cell, and hiding it protects nothing.

/// A table to protect: counts and relations `total = sum of parts` (indices into `counts`).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Relations {
    /// Every published count: cells and totals at every level.
    pub counts: Vec<u64>,
    /// (total, parts).
    pub sums: Vec<(usize, Vec<usize>)>,
}

/// Why a count is hidden.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Hidden {
    /// Shown.
    No,
    /// From 1 to the threshold.
    Small,
    /// Hidden so that a small one cannot be worked out.
    Complementary,
}

impl Relations {
    /// Adds a count and returns its index.
    pub fn push(&mut self, count: u64) -> usize {
        self.counts.push(count);
        self.counts.len() - 1
    }

    /// Adds the relation `total = sum(parts)`.
    pub fn relate(&mut self, total: usize, parts: Vec<usize>) {
        self.sums.push((total, parts));
    }

    /// Which counts to hide, with `threshold` the largest small count (15).
    pub fn suppress(&self, threshold: u64) -> Vec<Hidden> {
        let n = self.counts.len();
        let mut hidden: Vec<Hidden> = self
            .counts
            .iter()
            .map(|&c| {
                if c >= 1 && c <= threshold {
                    Hidden::Small
                } else {
                    Hidden::No
                }
            })
            .collect();
        if !hidden.iter().any(|h| *h != Hidden::No) {
            return hidden;
        }
        let members: Vec<Vec<usize>> = self
            .sums
            .iter()
            .map(|(t, parts)| {
                let mut m = vec![*t];
                m.extend(parts.iter().copied());
                m
            })
            .collect();
        // The member of a relation to hide beside `except`: the smallest non-zero part still
        // shown, else a zero part, else the total.
        let partner = |hidden: &[Hidden], rel: &[usize], except: usize| -> Option<usize> {
            let shown = |i: usize| i != except && hidden.get(i) == Some(&Hidden::No);
            let count = |i: usize| self.counts.get(i).copied().unwrap_or(0);
            rel.iter()
                .skip(1)
                .copied()
                .filter(|&i| shown(i) && count(i) > 0)
                .min_by_key(|&i| (count(i), i))
                .or_else(|| rel.iter().skip(1).copied().find(|&i| shown(i)))
                .or_else(|| rel.first().copied().filter(|&i| shown(i)))
        };
        for _round in 0..=n {
            let mut changed = false;
            // Rule 1: no relation with exactly one hidden member.
            loop {
                let mut again = false;
                for rel in &members {
                    let hid: Vec<usize> = rel
                        .iter()
                        .copied()
                        .filter(|&i| hidden.get(i) != Some(&Hidden::No))
                        .collect();
                    if let [only] = hid.as_slice()
                        && let Some(p) = partner(&hidden, rel, *only)
                        && let Some(h) = hidden.get_mut(p)
                    {
                        *h = Hidden::Complementary;
                        again = true;
                        changed = true;
                    }
                }
                if !again {
                    break;
                }
            }
            // Rule 2: no hidden count that the relations determine.
            let determined = determined(&members, &hidden, n);
            for i in determined {
                let choice = members
                    .iter()
                    .filter(|rel| rel.contains(&i))
                    .find_map(|rel| partner(&hidden, rel, i));
                if let Some(p) = choice
                    && let Some(h) = hidden.get_mut(p)
                {
                    *h = Hidden::Complementary;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        hidden
    }
}

/// The hidden counts that the relations determine from the shown ones: those whose unit
/// vector lies in the row space of the relations restricted to the hidden counts.
pub fn determined(members: &[Vec<usize>], hidden: &[Hidden], n: usize) -> Vec<usize> {
    let unknown: Vec<usize> = (0..n)
        .filter(|&i| hidden.get(i).is_some_and(|h| *h != Hidden::No))
        .collect();
    let col: std::collections::HashMap<usize, usize> =
        unknown.iter().enumerate().map(|(c, &i)| (i, c)).collect();
    let width = unknown.len();
    // Each relation: +1 for the total, -1 for each part, over the unknown columns.
    let mut rows: Vec<Vec<f64>> = members
        .iter()
        .filter_map(|rel| {
            let mut row = vec![0.0; width];
            let mut any = false;
            for (k, i) in rel.iter().enumerate() {
                if let Some(&c) = col.get(i)
                    && let Some(x) = row.get_mut(c)
                {
                    *x += if k == 0 { 1.0 } else { -1.0 };
                    any = true;
                }
            }
            any.then_some(row)
        })
        .collect();
    // Reduced row-echelon form.
    let mut pivots: Vec<(usize, usize)> = Vec::new(); // (row, column)
    let mut r = 0;
    for c in 0..width {
        let Some(p) = (r..rows.len()).find(|&k| {
            rows.get(k)
                .and_then(|row| row.get(c))
                .is_some_and(|x| x.abs() > 1e-9)
        }) else {
            continue;
        };
        rows.swap(r, p);
        let pivot_row = rows.get(r).cloned().unwrap_or_default();
        let pv = pivot_row.get(c).copied().unwrap_or(1.0);
        let normalised: Vec<f64> = pivot_row.iter().map(|x| x / pv).collect();
        for (k, row) in rows.iter_mut().enumerate() {
            if k == r {
                *row = normalised.clone();
                continue;
            }
            let f = row.get(c).copied().unwrap_or(0.0);
            if f.abs() > 1e-12 {
                for (x, y) in row.iter_mut().zip(&normalised) {
                    *x -= f * y;
                }
            }
        }
        pivots.push((r, c));
        r += 1;
        if r == rows.len() {
            break;
        }
    }
    pivots
        .iter()
        .filter(|&&(row, c)| {
            rows.get(row)
                .is_some_and(|v| v.iter().enumerate().all(|(k, x)| k == c || x.abs() <= 1e-9))
        })
        .filter_map(|&(_, c)| unknown.get(c).copied())
        .collect()
}
