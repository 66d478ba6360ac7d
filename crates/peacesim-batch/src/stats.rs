//! Summary statistics and Sobol sensitivity indices.
//!
//! [`Moments`] keeps Welford running moments with a Student-t 95 % confidence interval of the mean;
//! [`saltelli_base`], [`saltelli_points`] and [`sobol_indices`] implement the Saltelli (2010) design and the
//! first-order and total Sobol estimators in the order and form of SALib's `saltelli.sample` / `sobol.analyze`.
//! Everything is deterministic: sums run in a fixed order and all randomness comes from the caller's
//! [`ChaCha8Rng`].

use rand::RngExt;
use rand_chacha::ChaCha8Rng;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// Running mean and variance of a stream of values (Welford's algorithm).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Moments {
    n: u64,
    mean: f64,
    /// Sum of squared deviations from the running mean.
    m2: f64,
}

impl Default for Moments {
    fn default() -> Self {
        Self::new()
    }
}

impl Moments {
    /// No values yet.
    pub fn new() -> Self {
        Moments { n: 0, mean: 0.0, m2: 0.0 }
    }

    /// Adds one value.
    pub fn push(&mut self, x: f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
    }

    /// Number of values pushed.
    pub fn n(&self) -> u64 {
        self.n
    }

    /// Mean of the values; NaN when there are none.
    pub fn mean(&self) -> f64 {
        if self.n == 0 { f64::NAN } else { self.mean }
    }

    /// Sample standard deviation (denominator n − 1); NaN when fewer than two values were pushed.
    pub fn sd(&self) -> f64 {
        if self.n < 2 { f64::NAN } else { (self.m2 / (self.n - 1) as f64).sqrt() }
    }

    /// 95 % confidence interval of the mean, mean ± t(0.975, n − 1) · sd / √n; (NaN, NaN) when n < 2.
    pub fn ci95(&self) -> (f64, f64) {
        if self.n < 2 {
            return (f64::NAN, f64::NAN);
        }
        let t = match StudentsT::new(0.0, 1.0, (self.n - 1) as f64) {
            Ok(dist) => dist.inverse_cdf(0.975),
            Err(_) => return (f64::NAN, f64::NAN),
        };
        let half = t * self.sd() / (self.n as f64).sqrt();
        (self.mean - half, self.mean + half)
    }
}

/// The two independent base matrices A and B of a Saltelli design: each `n` rows of `d` uniform [0, 1) values.
///
/// Draw order: for each row j = 0..n, first the `d` values of A's row j (column 0 first), then the `d` values of
/// B's row j. A design with a larger `n` from the same generator state therefore starts with the smaller one.
pub fn saltelli_base(n: usize, d: usize, rng: &mut ChaCha8Rng) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let mut a = Vec::with_capacity(n);
    let mut b = Vec::with_capacity(n);
    for _ in 0..n {
        a.push((0..d).map(|_| rng.random::<f64>()).collect());
        b.push((0..d).map(|_| rng.random::<f64>()).collect());
    }
    (a, b)
}

/// The Saltelli design from base matrices A and B, in SALib's order: for each row j, A_j, then AB_j^1 … AB_j^d
/// (A_j with column i replaced by B_j's column i), then B_j; n · (d + 2) rows of unit-cube coordinates.
///
/// `a` and `b` should have the same shape; rows beyond the shorter of the two are ignored.
pub fn saltelli_points(a: &[Vec<f64>], b: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let d = a.first().map_or(0, Vec::len);
    let mut points = Vec::with_capacity(saltelli_len(a.len().min(b.len()), d));
    for (row_a, row_b) in a.iter().zip(b) {
        points.push(row_a.clone());
        for i in 0..row_a.len() {
            let mut ab = row_a.clone();
            if let Some(&v) = row_b.get(i) {
                ab[i] = v;
            }
            points.push(ab);
        }
        points.push(row_b.clone());
    }
    points
}

/// Number of rows of a Saltelli design with `n` base samples in `d` dimensions: n · (d + 2).
pub fn saltelli_len(n: usize, d: usize) -> usize {
    n * (d + 2)
}

/// First-order and total Sobol indices, one per input dimension, with bootstrap 95 % confidence intervals.
#[derive(Debug, Clone, PartialEq)]
pub struct SobolIndices {
    /// First-order indices S_i.
    pub first: Vec<f64>,
    /// Bootstrap 95 % intervals (2.5th, 97.5th percentile) of the first-order indices.
    pub first_ci: Vec<(f64, f64)>,
    /// Total-effect indices ST_i.
    pub total: Vec<f64>,
    /// Bootstrap 95 % intervals (2.5th, 97.5th percentile) of the total-effect indices.
    pub total_ci: Vec<(f64, f64)>,
}

/// Sobol indices from model outputs `y` evaluated at the points of [`saltelli_points`] (same order, length
/// n · (d + 2)).
///
/// Estimators (Saltelli et al. 2010, as SALib's `sobol.analyze`), with Var the population variance
/// (denominator 2n) of the 2n values f(A) and f(B):
/// - first order S_i = mean_j( f(B)_j · (f(AB^i)_j − f(A)_j) ) / Var;
/// - total ST_i = mean_j( (f(A)_j − f(AB^i)_j)² ) / 2 / Var (Jansen).
///
/// Confidence intervals: `bootstrap` resamples of the n row blocks drawn with replacement (n indices per
/// resample from `rng.random_range(0..n)`, resample after resample); both indices, Var included, are recomputed
/// on each resample, and the interval is the (2.5th, 97.5th) nearest-rank percentile of the resampled values
/// (the value of rank ⌈p · m⌉ among the m sorted values). Resamples in which f(A) and f(B) are constant are
/// skipped. With `bootstrap == 0` (or no usable resample) the intervals are (NaN, NaN).
///
/// Returns `None` if the length of `y` is not a multiple of d + 2, if n < 2, or if the variance is 0 (all f(A)
/// and f(B) equal) or not finite.
pub fn sobol_indices(y: &[f64], d: usize, bootstrap: usize, rng: &mut ChaCha8Rng) -> Option<SobolIndices> {
    let stride = d + 2;
    if !y.len().is_multiple_of(stride) {
        return None;
    }
    let n = y.len() / stride;
    if n < 2 {
        return None;
    }
    // Centre the outputs on their mean, as SALib's sobol.analyze does (it also scales by the s.d., which
    // cancels in every ratio below): the first-order estimator is not shift-invariant, and centring removes
    // the variance a large mean would add to it.
    let mean = y.iter().sum::<f64>() / y.len() as f64;
    let centred: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let y = centred.as_slice();
    let all: Vec<usize> = (0..n).collect();
    let (first, total) = estimate(y, d, &all)?;

    let mut first_samples: Vec<Vec<f64>> = vec![Vec::with_capacity(bootstrap); d];
    let mut total_samples: Vec<Vec<f64>> = vec![Vec::with_capacity(bootstrap); d];
    let mut idx = vec![0; n];
    for _ in 0..bootstrap {
        for k in idx.iter_mut() {
            *k = rng.random_range(0..n);
        }
        if let Some((f, t)) = estimate(y, d, &idx) {
            for i in 0..d {
                first_samples[i].push(f[i]);
                total_samples[i].push(t[i]);
            }
        }
    }
    Some(SobolIndices {
        first,
        first_ci: first_samples.into_iter().map(percentile_interval).collect(),
        total,
        total_ci: total_samples.into_iter().map(percentile_interval).collect(),
    })
}

/// First-order and total indices over the row blocks `idx` of `y` (stride d + 2); `None` if f(A) and f(B) are
/// constant over those blocks or their variance is not finite.
fn estimate(y: &[f64], d: usize, idx: &[usize]) -> Option<(Vec<f64>, Vec<f64>)> {
    let stride = d + 2;
    let fa = |j: usize| y[j * stride];
    let fb = |j: usize| y[j * stride + d + 1];
    let fab = |j: usize, i: usize| y[j * stride + 1 + i];

    let first_value = fa(*idx.first()?);
    if idx.iter().all(|&j| fa(j) == first_value && fb(j) == first_value) {
        return None;
    }
    let m = idx.len() as f64;
    let mut sum = 0.0;
    for &j in idx {
        sum += fa(j) + fb(j);
    }
    let mean = sum / (2.0 * m);
    let mut ss = 0.0;
    for &j in idx {
        ss += (fa(j) - mean).powi(2) + (fb(j) - mean).powi(2);
    }
    let var = ss / (2.0 * m);
    if !var.is_finite() || var <= 0.0 {
        return None;
    }

    let mut first = Vec::with_capacity(d);
    let mut total = Vec::with_capacity(d);
    for i in 0..d {
        let (mut s1, mut st) = (0.0, 0.0);
        for &j in idx {
            let (a, ab, b) = (fa(j), fab(j, i), fb(j));
            s1 += b * (ab - a);
            st += (a - ab).powi(2);
        }
        first.push(s1 / m / var);
        total.push(st / m / 2.0 / var);
    }
    Some((first, total))
}

/// Nearest-rank 2.5th and 97.5th percentiles of `values` (rank ⌈p · m⌉ of m sorted values); (NaN, NaN) if empty.
fn percentile_interval(mut values: Vec<f64>) -> (f64, f64) {
    if values.is_empty() {
        return (f64::NAN, f64::NAN);
    }
    values.sort_by(f64::total_cmp);
    (nearest_rank(&values, 0.025), nearest_rank(&values, 0.975))
}

/// The value of rank ⌈p · m⌉ (at least 1) among the m sorted, non-empty `sorted` values.
fn nearest_rank(sorted: &[f64], p: f64) -> f64 {
    let m = sorted.len();
    let rank = ((p * m as f64).ceil() as usize).clamp(1, m);
    sorted[rank - 1]
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use std::f64::consts::PI;

    fn moments(xs: &[f64]) -> Moments {
        let mut m = Moments::new();
        for &x in xs {
            m.push(x);
        }
        m
    }

    #[test]
    fn moments_match_a_hand_computed_example() {
        let m = moments(&[2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0]);
        assert_eq!(m.n(), 8);
        assert!((m.mean() - 5.0).abs() < 1e-12);
        // Sum of squared deviations 32, sample variance 32 / 7.
        assert!((m.sd() - (32.0f64 / 7.0).sqrt()).abs() < 1e-12);
        assert!((m.sd() - 2.138).abs() < 1e-3);
    }

    #[test]
    fn moments_of_too_few_values_are_nan() {
        let empty = Moments::default();
        assert_eq!(empty.n(), 0);
        assert!(empty.mean().is_nan());
        assert!(empty.sd().is_nan());
        let (lo, hi) = empty.ci95();
        assert!(lo.is_nan() && hi.is_nan());

        let one = moments(&[3.5]);
        assert_eq!(one.mean(), 3.5);
        assert!(one.sd().is_nan());
        let (lo, hi) = one.ci95();
        assert!(lo.is_nan() && hi.is_nan());
    }

    #[test]
    fn ci95_uses_the_student_t_quantile() {
        let m = moments(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        let half = 2.7764 * 1.5811 / 5.0f64.sqrt();
        let (lo, hi) = m.ci95();
        assert!((lo - (3.0 - half)).abs() < 1e-3, "lo {lo}");
        assert!((hi - (3.0 + half)).abs() < 1e-3, "hi {hi}");
        assert!(((lo + hi) / 2.0 - 3.0).abs() < 1e-12);
    }

    #[test]
    fn saltelli_base_draws_row_by_row() {
        let (a, b) = saltelli_base(3, 2, &mut ChaCha8Rng::seed_from_u64(7));
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let stream: Vec<f64> = (0..12).map(|_| rng.random::<f64>()).collect();
        assert_eq!(a, vec![stream[0..2].to_vec(), stream[4..6].to_vec(), stream[8..10].to_vec()]);
        assert_eq!(b, vec![stream[2..4].to_vec(), stream[6..8].to_vec(), stream[10..12].to_vec()]);
        assert!(a.iter().chain(&b).flatten().all(|&u| (0.0..1.0).contains(&u)));
    }

    #[test]
    fn saltelli_points_follow_salib_order() {
        let a = vec![vec![1.0, 2.0], vec![3.0, 4.0]];
        let b = vec![vec![10.0, 20.0], vec![30.0, 40.0]];
        let p = saltelli_points(&a, &b);
        assert_eq!(p.len(), saltelli_len(2, 2));
        assert_eq!(
            p,
            vec![
                vec![1.0, 2.0],
                vec![10.0, 2.0],
                vec![1.0, 20.0],
                vec![10.0, 20.0],
                vec![3.0, 4.0],
                vec![30.0, 4.0],
                vec![3.0, 40.0],
                vec![30.0, 40.0],
            ]
        );
        assert_eq!(saltelli_len(5, 3), 25);
    }

    #[test]
    fn sobol_rejects_bad_input() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        // Length not a multiple of d + 2.
        assert_eq!(sobol_indices(&[1.0; 7], 2, 10, &mut rng), None);
        // n = 1.
        assert_eq!(sobol_indices(&[1.0, 2.0, 3.0, 4.0], 2, 10, &mut rng), None);
        // Zero variance.
        assert_eq!(sobol_indices(&[0.1; 12], 2, 10, &mut rng), None);
    }

    #[test]
    fn sobol_without_bootstrap_has_nan_intervals() {
        let (a, b) = saltelli_base(50, 2, &mut ChaCha8Rng::seed_from_u64(3));
        let y: Vec<f64> = saltelli_points(&a, &b).iter().map(|x| x[0] + 0.5 * x[1]).collect();
        let s = sobol_indices(&y, 2, 0, &mut ChaCha8Rng::seed_from_u64(4)).unwrap();
        assert_eq!(s.first.len(), 2);
        assert!(s.first_ci.iter().chain(&s.total_ci).all(|(lo, hi)| lo.is_nan() && hi.is_nan()));
    }

    fn ishigami(u: &[f64]) -> f64 {
        let x: Vec<f64> = u.iter().map(|&u| -PI + 2.0 * PI * u).collect();
        x[0].sin() + 7.0 * x[1].sin().powi(2) + 0.1 * x[2].powi(4) * x[0].sin()
    }

    #[test]
    fn sobol_recovers_the_ishigami_indices() {
        let (n, d) = (20_000, 3);
        let mut rng = ChaCha8Rng::seed_from_u64(20_240_611);
        let (a, b) = saltelli_base(n, d, &mut rng);
        let y: Vec<f64> = saltelli_points(&a, &b).iter().map(|x| ishigami(x)).collect();
        assert_eq!(y.len(), saltelli_len(n, d));
        let s = sobol_indices(&y, d, 100, &mut rng).unwrap();

        let first = [0.3139, 0.4424, 0.0];
        let total = [0.5576, 0.4424, 0.2437];
        for i in 0..d {
            for (name, est, ci, exact) in
                [("S", s.first[i], s.first_ci[i], first[i]), ("ST", s.total[i], s.total_ci[i], total[i])]
            {
                assert!((est - exact).abs() < 0.03, "{name}{} = {est}, analytic {exact}", i + 1);
                assert!(ci.0 <= est && est <= ci.1, "{name}{} = {est} outside its interval {ci:?}", i + 1);
                assert!(
                    ci.0 - 0.01 <= exact && exact <= ci.1 + 0.01,
                    "{name}{}: analytic {exact} outside interval {ci:?}",
                    i + 1
                );
            }
        }

        // Deterministic: the same seed gives the same indices.
        let mut rng2 = ChaCha8Rng::seed_from_u64(20_240_611);
        let (a2, b2) = saltelli_base(n, d, &mut rng2);
        assert_eq!((a2, b2), (a, b));
        assert_eq!(sobol_indices(&y, d, 100, &mut rng2), Some(s));
    }
}
