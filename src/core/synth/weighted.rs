//! Weighted choice by binary search over cumulative weights (no `rand_distr` dependency).

use rand::Rng;

/// A non-empty list of items with positive weights, sampled in O(log n).
#[derive(Debug, Clone)]
pub struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<f64>,
}

impl<T> Weighted<T> {
    /// Builds the table; `None` when empty or when no weight is positive and finite.
    pub fn new(pairs: Vec<(T, f64)>) -> Option<Self> {
        let mut items = Vec::with_capacity(pairs.len());
        let mut cumulative = Vec::with_capacity(pairs.len());
        let mut total = 0.0;
        for (item, w) in pairs {
            if w.is_finite() && w > 0.0 {
                total += w;
                items.push(item);
                cumulative.push(total);
            }
        }
        if items.is_empty() {
            None
        } else {
            Some(Self { items, cumulative })
        }
    }

    /// The items, in file order.
    pub fn items(&self) -> &[T] {
        &self.items
    }

    /// Each item with its share of the total weight.
    pub fn shares(&self) -> Vec<(&T, f64)> {
        let total = self.cumulative.last().copied().unwrap_or(1.0);
        let mut prev = 0.0;
        self.items
            .iter()
            .zip(&self.cumulative)
            .map(|(item, c)| {
                let w = (c - prev) / total;
                prev = *c;
                (item, w)
            })
            .collect()
    }

    /// One item drawn with probability proportional to its weight.
    pub fn pick<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<&T> {
        let total = *self.cumulative.last()?;
        let u = rng.random::<f64>() * total;
        let i = self.cumulative.partition_point(|&c| c <= u);
        self.items.get(i).or_else(|| self.items.last())
    }
}

/// One element of a slice, uniformly.
pub fn pick_uniform<'a, T, R: Rng + ?Sized>(items: &'a [T], rng: &mut R) -> Option<&'a T> {
    if items.is_empty() {
        return None;
    }
    items.get(rng.random_range(0..items.len()))
}

/// A code drawn from a small constant `(code, weight)` table.
pub fn pick_code<R: Rng + ?Sized>(table: &[(u8, u32)], rng: &mut R) -> u8 {
    let total: u32 = table.iter().map(|(_, w)| w).sum();
    if total == 0 {
        return table.first().map_or(9, |(c, _)| *c);
    }
    let mut u = rng.random_range(0..total);
    for &(code, w) in table {
        if u < w {
            return code;
        }
        u -= w;
    }
    table.last().map_or(9, |(c, _)| *c)
}
