//! Small statistics for charts: means with 95 % confidence intervals, rolling windows, quartiles.

/// t(0.975, df) for df = 1..=30.
const T975: [f64; 30] = [
    12.706205, 4.302653, 3.182446, 2.776445, 2.570582, 2.446912, 2.364624, 2.306004, 2.262157, 2.228139, 2.200985,
    2.178813, 2.160369, 2.144787, 2.131450, 2.119905, 2.109816, 2.100922, 2.093024, 2.085963, 2.079614, 2.073873,
    2.068658, 2.063899, 2.059539, 2.055529, 2.051831, 2.048407, 2.045230, 2.042272,
];

/// The 0.975 quantile of Student's t with `df` degrees of freedom (at least 1): a table up to 30, then
/// the Cornish-Fisher expansion, within 1e-4 of the exact value.
pub(crate) fn t975(df: usize) -> f64 {
    if df == 0 {
        return f64::NAN;
    }
    if let Some(t) = T975.get(df - 1) {
        return *t;
    }
    let z = 1.959_963_984_540_054_f64;
    let v = df as f64;
    z + (z.powi(3) + z) / (4.0 * v) + (5.0 * z.powi(5) + 16.0 * z.powi(3) + 3.0 * z) / (96.0 * v * v)
}

/// Mean, standard deviation and 95 % confidence interval of the mean of some values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct MeanCi {
    /// Number of finite values.
    pub(crate) n: usize,
    /// Their mean (NaN if there are none).
    pub(crate) mean: f64,
    /// Lower end of the interval, mean - t(0.975, n - 1) sd / sqrt(n) (NaN if n < 2).
    pub(crate) lo: f64,
    /// Upper end of the interval (NaN if n < 2).
    pub(crate) hi: f64,
}

/// The mean and 95 % CI of the finite values among `xs`, as peacesim-batch computes them for summary.csv.
pub(crate) fn mean_ci(xs: impl IntoIterator<Item = f64>) -> MeanCi {
    let values: Vec<f64> = xs.into_iter().filter(|v| v.is_finite()).collect();
    let n = values.len();
    if n == 0 {
        return MeanCi { n, mean: f64::NAN, lo: f64::NAN, hi: f64::NAN };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return MeanCi { n, mean, lo: f64::NAN, hi: f64::NAN };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t975(n - 1) * var.sqrt() / (n as f64).sqrt();
    MeanCi { n, mean, lo: mean - half, hi: mean + half }
}

/// Trailing rolling sum over `window` values (fewer at the start), ignoring NaNs; NaN where a window
/// holds no finite value.
pub(crate) fn rolling_sum(xs: &[f64], window: usize) -> Vec<f64> {
    rolling(xs, window, |sum, _| sum)
}

/// Trailing rolling mean over `window` values (fewer at the start), ignoring NaNs.
pub(crate) fn rolling_mean(xs: &[f64], window: usize) -> Vec<f64> {
    rolling(xs, window, |sum, n| sum / n as f64)
}

fn rolling(xs: &[f64], window: usize, f: impl Fn(f64, usize) -> f64) -> Vec<f64> {
    let window = window.max(1);
    (0..xs.len())
        .map(|i| {
            let start = (i + 1).saturating_sub(window);
            let finite: Vec<f64> = xs[start..=i].iter().copied().filter(|v| v.is_finite()).collect();
            if finite.is_empty() { f64::NAN } else { f(finite.iter().sum(), finite.len()) }
        })
        .collect()
}

/// Minimum, lower quartile, median, upper quartile and maximum of the finite values (linear
/// interpolation between order statistics, as numpy's default); None if there are none.
pub(crate) fn five_numbers(xs: &[f64]) -> Option<[f64; 5]> {
    let mut v: Vec<f64> = xs.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        let h = p * (v.len() - 1) as f64;
        let (i, frac) = (h.floor() as usize, h - h.floor());
        let next = v.get(i + 1).copied().unwrap_or(v[i]);
        v[i] + frac * (next - v[i])
    };
    Some([v[0], q(0.25), q(0.5), q(0.75), v[v.len() - 1]])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_quantile_matches_tables() {
        assert!((t975(4) - 2.7764).abs() < 1e-4);
        assert!((t975(40) - 2.0211).abs() < 1e-4);
        assert!((t975(100) - 1.9840).abs() < 1e-4);
        assert!((t975(1000) - 1.9623).abs() < 1e-4);
        assert!(t975(0).is_nan());
    }

    #[test]
    fn mean_ci_like_summary_csv() {
        let m = mean_ci([1.0, 2.0, 3.0, 4.0, 5.0, f64::NAN]);
        assert_eq!(m.n, 5);
        let half = 2.7764 * 1.5811 / 5.0f64.sqrt();
        assert!((m.lo - (3.0 - half)).abs() < 1e-3);
        assert!((m.hi - (3.0 + half)).abs() < 1e-3);
        let one = mean_ci([7.0]);
        assert_eq!(one.mean, 7.0);
        assert!(one.lo.is_nan());
        assert!(mean_ci([]).mean.is_nan());
    }

    #[test]
    fn rolling_windows_trail() {
        assert_eq!(rolling_sum(&[1.0, 2.0, 3.0, 4.0], 3), vec![1.0, 3.0, 6.0, 9.0]);
        assert_eq!(rolling_mean(&[2.0, f64::NAN, 4.0], 2), vec![2.0, 2.0, 4.0]);
        assert!(rolling_sum(&[f64::NAN], 7)[0].is_nan());
    }

    #[test]
    fn quartiles_interpolate() {
        assert_eq!(five_numbers(&[4.0, 1.0, 3.0, 2.0, 5.0]), Some([1.0, 2.0, 3.0, 4.0, 5.0]));
        assert_eq!(five_numbers(&[1.0, 2.0]), Some([1.0, 1.25, 1.5, 1.75, 2.0]));
        assert_eq!(five_numbers(&[f64::NAN]), None);
    }
}
