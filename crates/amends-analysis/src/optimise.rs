//! The optimisers the linear heads are trained with: shuffled stochastic gradient descent and
//! L-BFGS.

/// Minimises a smooth convex function from `x` by L-BFGS (ten correction pairs, backtracking
/// line search), stopping after `iterations` steps or when a step no longer lowers it.
pub(crate) fn lbfgs(
    mut x: Vec<f64>,
    mut f: impl FnMut(&[f64], &mut [f64]) -> f64,
    iterations: usize,
) -> Vec<f64> {
    const MEMORY: usize = 10;
    let dot = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(x, y)| x * y).sum::<f64>();
    let mut gradient = vec![0.0; x.len()];
    let mut value = f(&x, &mut gradient);
    let mut pairs: std::collections::VecDeque<(Vec<f64>, Vec<f64>, f64)> = Default::default();
    let mut next_gradient = vec![0.0; x.len()];
    for _ in 0..iterations {
        // The two-loop recursion: direction = -H * gradient.
        let mut q = gradient.clone();
        let mut alphas = Vec::with_capacity(pairs.len());
        for (s, y, rho) in pairs.iter().rev() {
            let alpha = rho * dot(s, &q);
            q.iter_mut().zip(y).for_each(|(q, y)| *q -= alpha * y);
            alphas.push(alpha);
        }
        let scale = pairs.back().map_or_else(
            || 1.0 / dot(&gradient, &gradient).sqrt().max(1e-12),
            |(s, y, _)| dot(s, y) / dot(y, y).max(1e-300),
        );
        q.iter_mut().for_each(|q| *q *= scale);
        for ((s, y, rho), alpha) in pairs.iter().zip(alphas.iter().rev()) {
            let beta = rho * dot(y, &q);
            q.iter_mut()
                .zip(s)
                .for_each(|(q, s)| *q += (alpha - beta) * s);
        }
        let direction: Vec<f64> = q.iter().map(|q| -q).collect();
        let slope = dot(&direction, &gradient);
        if slope >= 0.0 {
            break;
        }
        let mut step = 1.0;
        let mut candidate = x.clone();
        let mut next_value;
        loop {
            candidate
                .iter_mut()
                .zip(x.iter().zip(&direction))
                .for_each(|(c, (x, d))| *c = x + step * d);
            next_value = f(&candidate, &mut next_gradient);
            if next_value <= value + 1e-4 * step * slope || step < 1e-10 {
                break;
            }
            step *= 0.5;
        }
        if next_value >= value {
            break;
        }
        let s: Vec<f64> = candidate.iter().zip(&x).map(|(c, x)| c - x).collect();
        let y: Vec<f64> = next_gradient
            .iter()
            .zip(&gradient)
            .map(|(n, g)| n - g)
            .collect();
        let sy = dot(&s, &y);
        if sy > 1e-12 {
            if pairs.len() == MEMORY {
                pairs.pop_front();
            }
            pairs.push_back((s, y, 1.0 / sy));
        }
        x = candidate;
        std::mem::swap(&mut gradient, &mut next_gradient);
        value = next_value;
    }
    x
}

/// A small deterministic generator (xorshift64*), so shuffles do not depend on a crate's
/// choice of algorithm across versions.
pub(crate) struct Shuffle(pub(crate) u64);

impl Shuffle {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    pub(crate) fn order(&mut self, n: usize) -> Vec<usize> {
        let mut order: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = usize::try_from(self.next() % (u64::try_from(i).unwrap_or(u64::MAX) + 1))
                .unwrap_or(0);
            order.swap(i, j);
        }
        order
    }
}
