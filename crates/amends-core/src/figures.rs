//! Small arithmetic behind the figures: percentiles and rates, defined once.

/// The value at percentile `p` (0 to 100) of `values`, by the nearest-rank method; `None` when
/// there are none. `values` need not be sorted.
pub fn percentile(values: &[i64], p: u8) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    let p = usize::from(p.min(100));
    let rank = (p * sorted.len()).div_ceil(100).max(1);
    sorted.get(rank - 1).copied()
}

/// `part / whole` as a fraction rounded to 3 places; `None` when `whole` is zero.
pub fn rate(part: i64, whole: i64) -> Option<f64> {
    (whole > 0).then(|| (part as f64 / whole as f64 * 1000.0).round() / 1000.0)
}
