//! Designs: the design points (one value per varied parameter) of grid, Latin hypercube, Saltelli (Sobol)
//! and table designs.

use crate::stats::{saltelli_base, saltelli_points};
use peacesim_scenario::experiment::{DesignKind, Experiment, Vary};
use rand::RngExt;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

/// ChaCha stream of the experiment's master seed used to draw LHS and Saltelli samples; run seeds do not use it.
const DESIGN_STREAM: u64 = 1 << 40;

/// The design's random number generator: the master seed on its own stream.
pub fn design_rng(master_seed: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(master_seed);
    rng.set_stream(DESIGN_STREAM);
    rng
}

/// Full factorial: later-listed parameters vary fastest (as NetLogo BehaviorSpace).
pub fn grid(values: &[Vec<toml::Value>]) -> Vec<Vec<toml::Value>> {
    let mut points = vec![Vec::new()];
    for column in values {
        let mut next = Vec::with_capacity(points.len() * column.len());
        for point in &points {
            for v in column {
                let mut p: Vec<toml::Value> = point.clone();
                p.push(v.clone());
                next.push(p);
            }
        }
        points = next;
    }
    points
}

/// Latin hypercube in the unit cube: `n` points, for each dimension one point in each of the `n` strata,
/// strata matched at random across dimensions.
pub fn lhs_unit(n: usize, d: usize, rng: &mut ChaCha8Rng) -> Vec<Vec<f64>> {
    let mut points = vec![vec![0.0; d]; n];
    for dim in 0..d {
        let mut strata: Vec<usize> = (0..n).collect();
        strata.shuffle(rng);
        for (point, stratum) in points.iter_mut().zip(strata) {
            point[dim] = (stratum as f64 + rng.random::<f64>()) / n as f64;
        }
    }
    points
}

/// Maps a unit-cube coordinate onto a parameter's [low, high] (rounded for integer parameters).
pub fn scale(v: &Vary, u: f64) -> toml::Value {
    let (low, high) = (v.low.unwrap_or(0.0), v.high.unwrap_or(1.0));
    let x = low + u * (high - low);
    if v.integer { toml::Value::Integer(x.round() as i64) } else { toml::Value::Float(x) }
}

/// The design points of a grid, lhs or sobol experiment (table designs are read by the plan).
pub fn points(e: &Experiment) -> Vec<Vec<toml::Value>> {
    match e.design.kind {
        DesignKind::Grid => {
            let columns: Vec<Vec<toml::Value>> = e
                .vary
                .iter()
                .map(|v| match (&v.values, &v.range) {
                    (Some(values), _) => values.clone(),
                    (None, Some(r)) => r.values(),
                    (None, None) => Vec::new(),
                })
                .collect();
            grid(&columns)
        }
        DesignKind::Lhs => {
            let n = e.design.samples.unwrap_or(0) as usize;
            let unit = lhs_unit(n, e.vary.len(), &mut design_rng(e.master_seed));
            unit.iter().map(|u| e.vary.iter().zip(u).map(|(v, &x)| scale(v, x)).collect()).collect()
        }
        DesignKind::Sobol => {
            let n = e.design.samples.unwrap_or(0) as usize;
            let (a, b) = saltelli_base(n, e.vary.len(), &mut design_rng(e.master_seed));
            let unit = saltelli_points(&a, &b);
            unit.iter().map(|u| e.vary.iter().zip(u).map(|(v, &x)| scale(v, x)).collect()).collect()
        }
        DesignKind::Table => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_varies_the_last_parameter_fastest() {
        let a = vec![toml::Value::Integer(1), toml::Value::Integer(2)];
        let b = vec![toml::Value::String("x".into()), toml::Value::String("y".into()), toml::Value::String("z".into())];
        let p = grid(&[a, b]);
        assert_eq!(p.len(), 6);
        assert_eq!(p[0], vec![toml::Value::Integer(1), toml::Value::String("x".into())]);
        assert_eq!(p[1], vec![toml::Value::Integer(1), toml::Value::String("y".into())]);
        assert_eq!(p[3], vec![toml::Value::Integer(2), toml::Value::String("x".into())]);
    }

    #[test]
    fn lhs_puts_one_sample_in_each_stratum_of_each_dimension() {
        for (n, d) in [(1, 1), (7, 3), (50, 4)] {
            let points = lhs_unit(n, d, &mut design_rng(42));
            assert_eq!(points.len(), n);
            for dim in 0..d {
                let mut strata: Vec<usize> = points.iter().map(|p| (p[dim] * n as f64).floor() as usize).collect();
                strata.sort_unstable();
                assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {dim} of an {n}-point LHS");
            }
        }
        // Different seeds give different designs.
        assert_ne!(lhs_unit(10, 2, &mut design_rng(1)), lhs_unit(10, 2, &mut design_rng(2)));
    }
}
