//! A hand-written loop of Epstein's civil violence Model I, the rules of `epstein-run2`, to measure peacesim
//! against what a loop written for this one model reaches on the same machine (docs/performance.md, "Side by
//! side with a hand-written loop").
//!
//! It is not peacesim and shares none of its state: no ECS, no other layer, no metrics row, events or
//! checkpoints. It keeps what the model needs and nothing else: three bit planes (occupied cells, cops,
//! actives), each cell's occupant, and a 24-byte record per citizen. The work per agent-step is peacesim's:
//! the same generator (ChaCha8, a stream each for the order, the citizens and the cops), peacesim's shuffle,
//! cells sampled the same way (up to 32 uniform draws among the vision's offsets, then a counted choice),
//! and counts by popcounts of bit-plane words (on grids at most 64 wide, one AND per row with a mask
//! precomputed per centre column). Its draws are not peacesim's, so its runs are not peacesim's runs; its
//! statistics are (`tests/reference.rs` checks them over many seeds).
//!
//! The grid's size is a type parameter: [`Fixed`] compiles it into the loop, as a loop written for one grid
//! is; [`Dynamic`] reads it at run time, as a simulator that reads it from a scenario must.

use peacesim_core::grid::prefetch;
use peacesim_scenario::{
    ActivationOrder, ArrestRatioRule, DistributionKind, JailDistribution, MovementTiming, Placement, Scenario, Shape,
    Topology,
};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// A grid's width and height, known when the loop is compiled ([`Fixed`]) or when it runs ([`Dynamic`]).
pub trait Dims: Copy {
    /// Cells per row.
    fn width(self) -> usize;
    /// Rows.
    fn height(self) -> usize;
}

/// A grid size compiled into the loop.
#[derive(Debug, Clone, Copy, Default)]
pub struct Fixed<const W: usize, const H: usize>;

impl<const W: usize, const H: usize> Dims for Fixed<W, H> {
    #[inline(always)]
    fn width(self) -> usize {
        W
    }
    #[inline(always)]
    fn height(self) -> usize {
        H
    }
}

/// A grid size read at run time.
#[derive(Debug, Clone, Copy)]
pub struct Dynamic {
    /// Cells per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
}

impl Dims for Dynamic {
    #[inline(always)]
    fn width(self) -> usize {
        self.width
    }
    #[inline(always)]
    fn height(self) -> usize {
        self.height
    }
}

/// The parameters of the model the loop runs, read from a scenario.
#[derive(Debug, Clone, PartialEq)]
pub struct Rules {
    /// Cells per row.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// L.
    pub legitimacy: f64,
    /// k.
    pub arrest_constant: f64,
    /// T.
    pub threshold: f64,
    /// J_max: terms are uniform in `0..=max_jail`.
    pub max_jail: u16,
    /// Citizens per cell.
    pub citizen_density: f64,
    /// Cops per cell.
    pub cop_density: f64,
    /// The Euclidean vision radius of citizens and cops.
    pub vision: f64,
}

impl Rules {
    /// The rules of `scenario`, if it is the model this loop implements: one population and one force of
    /// cops, both placed by density with the same Euclidean vision and moving; a torus; uniform hardship and
    /// risk aversion in [0, 1]; NetLogo's floor ratio; uniform jail terms; citizens then forces, moving
    /// before acting; no other layer. Anything else is refused, naming what differs.
    pub fn from_scenario(s: &Scenario) -> Result<Rules, String> {
        let r = &s.rules;
        let (Some((_, people)), Some((_, cops))) = (s.populations.first_key_value(), s.forces.first_key_value()) else {
            return Err(format!("scenario {}: the reference loop needs a population and a force", s.name));
        };
        let unit = |d: &peacesim_scenario::Distribution| {
            d.kind == DistributionKind::Uniform && d.low.unwrap_or(0.0) == 0.0 && d.high.unwrap_or(1.0) == 1.0
        };
        let checks = [
            (s.populations.len() == 1 && s.forces.len() == 1, "one population and one force"),
            (s.grid.topology == Topology::Torus, "a torus"),
            (s.map.is_none() && s.food.is_none() && s.climate.is_none() && s.demography.is_none(), "no other layer"),
            (s.schedule.is_empty() && s.conflict.is_none() && s.displacement.is_none(), "no other layer"),
            (s.peacekeeping.is_none() && s.aid.is_none() && s.events.is_empty(), "no other layer"),
            (s.factions.is_empty() && s.relations.is_empty(), "no factions"),
            (r.arrest_ratio == ArrestRatioRule::Floor, "the floor ratio"),
            (r.jail_term.distribution == JailDistribution::Uniform, "uniform terms"),
            (r.jail_term.max.is_some_and(|m| m <= u32::from(u16::MAX)), "a longest term below 65536"),
            (!r.jailed_keep_cell && !r.actives_kill, "Model I"),
            (r.activation_order == ActivationOrder::CitizensThenForces, "citizens then forces"),
            (r.movement_timing == MovementTiming::BeforeActing, "moves before acting"),
            (people.vision == cops.vision && people.vision.shape == Shape::Euclidean, "one Euclidean vision"),
            (people.movement && cops.movement, "agents that move"),
            (people.density.is_some() && cops.density.is_some(), "placement by density"),
            (s.grid.placement == Placement::ExactCount, "exact-count placement"),
            (unit(&people.hardship) && unit(&people.risk_aversion), "uniform hardship and risk aversion"),
            (s.grid.width <= u32::from(u16::MAX) && s.grid.height <= u32::from(u16::MAX), "a grid below 65536"),
        ];
        if let Some((_, what)) = checks.iter().find(|(ok, _)| !ok) {
            return Err(format!("scenario {}: the reference loop needs {what}", s.name));
        }
        Ok(Rules {
            width: s.grid.width as usize,
            height: s.grid.height as usize,
            legitimacy: r.legitimacy,
            arrest_constant: r.arrest_constant,
            threshold: r.threshold,
            max_jail: r.jail_term.max.map_or(0, |m| m as u16),
            citizen_density: people.density.unwrap_or(0.0),
            cop_density: cops.density.unwrap_or(0.0),
            vision: people.vision.radius,
        })
    }
}

const QUIET: u8 = 0;
const ACTIVE: u8 = 1;
const JAILED: u8 = 2;
/// Marks a cop's slot in the order and on the grid.
const COP: u32 = 1 << 31;
/// How many turns ahead an agent's record is prefetched, and its cell (peacesim's distances).
const FAR: usize = 40;
/// See [`FAR`].
const NEAR: usize = 16;
/// The bytes of records and occupants above which turns prefetch (peacesim's bound).
const PREFETCH_ABOVE: usize = 256 * 1024;

/// A citizen: grievance H (1 - L), risk aversion, cell (kept while in jail), days left in jail and state.
#[derive(Debug, Clone, Copy)]
struct Citizen {
    grievance: f64,
    risk: f64,
    x: u16,
    y: u16,
    jail: u16,
    state: u8,
}

/// The world of the loop: see the module's documentation.
#[derive(Debug, Clone)]
pub struct Reference<D: Dims> {
    dims: D,
    /// Words per row of a plane.
    words: usize,
    occupied: Vec<u64>,
    cops_plane: Vec<u64>,
    actives: Vec<u64>,
    /// Each cell's occupant: a citizen's index, or a cop's with [`COP`].
    occupant: Vec<u32>,
    citizens: Vec<Citizen>,
    cops: Vec<(u16, u16)>,
    /// The vision's offsets, the centre excluded.
    offsets: Vec<(i16, i16)>,
    /// The vision's rows: `(dy, half-width)`.
    rows: Vec<(i32, i32)>,
    /// On a grid at most 64 wide whose rows the vision does not wrap onto themselves: per centre column, each
    /// row's columns as a mask, the centre excluded.
    masks: Option<Vec<u64>>,
    /// Arrest probability by floor(C / (A + 1)), for ratios below 64.
    probability: [f64; 64],
    threshold: f64,
    max_jail: u16,
    /// Whether the world outgrows the cache, and turns read ahead.
    prefetch: bool,
    order: Vec<u32>,
    order_rng: ChaCha8Rng,
    citizen_rng: ChaCha8Rng,
    cop_rng: ChaCha8Rng,
}

#[inline(always)]
fn wrap(v: i32, n: usize) -> usize {
    let n = n as i32;
    (if v < 0 {
        v + n
    } else if v >= n {
        v - n
    } else {
        v
    }) as usize
}

/// The bits of `len` columns from column `a` of a row of `words` words (`a + len` at most the row's width,
/// `len` at most 63), in the low bits.
#[inline(always)]
fn span(row: &[u64], a: usize, len: usize) -> u64 {
    let (w, s) = (a >> 6, a & 63);
    let mut bits = row[w] >> s;
    if s + len > 64 {
        bits |= row[w + 1] << (64 - s);
    }
    bits & ((1u64 << len) - 1)
}

impl<D: Dims> Reference<D> {
    /// The world of `rules` on a grid of `dims` (which must be the rules' size), set up from `seed`.
    pub fn new(rules: &Rules, dims: D, seed: u64) -> Result<Self, String> {
        let (w, h) = (dims.width(), dims.height());
        if (w, h) != (rules.width, rules.height) {
            return Err(format!("a {w}x{h} loop for a {}x{} grid", rules.width, rules.height));
        }
        let r = rules.vision.floor() as i32;
        let rows: Vec<(i32, i32)> = (-r..=r)
            .map(|dy| (dy, ((rules.vision * rules.vision - f64::from(dy * dy)).sqrt() + 1e-9).floor() as i32))
            .collect();
        if rows.len() > h || rows.iter().any(|&(_, half)| 2 * half as usize + 1 > w.min(63)) {
            return Err(format!("a vision of radius {} does not fit a {w}x{h} torus", rules.vision));
        }
        let offsets = rows
            .iter()
            .flat_map(|&(dy, half)| (-half..=half).map(move |dx| (dx as i16, dy as i16)))
            .filter(|&o| o != (0, 0))
            .collect();
        let masks = (w <= 64).then(|| {
            (0..w as i32)
                .flat_map(|cx| {
                    rows.iter().map(move |&(dy, half)| {
                        (-half..=half).filter(|&dx| (dx, dy) != (0, 0)).fold(0u64, |m, dx| m | 1 << wrap(cx + dx, w))
                    })
                })
                .collect()
        });
        let mut probability = [0.0; 64];
        for (n, p) in probability.iter_mut().enumerate() {
            *p = 1.0 - (-rules.arrest_constant * n as f64).exp();
        }
        let words = w.div_ceil(64);
        let cells = w * h;
        let mut world = Reference {
            dims,
            words,
            occupied: vec![0; words * h],
            cops_plane: vec![0; words * h],
            actives: vec![0; words * h],
            occupant: vec![0; cells],
            citizens: Vec::new(),
            cops: Vec::new(),
            offsets,
            rows,
            masks,
            probability,
            threshold: rules.threshold,
            max_jail: rules.max_jail,
            prefetch: false,
            order: Vec::new(),
            order_rng: ChaCha8Rng::seed_from_u64(seed.wrapping_mul(4) + 1),
            citizen_rng: ChaCha8Rng::seed_from_u64(seed.wrapping_mul(4) + 2),
            cop_rng: ChaCha8Rng::seed_from_u64(seed.wrapping_mul(4) + 3),
        };
        let n_citizens = (rules.citizen_density * cells as f64).round() as usize;
        let n_cops = (rules.cop_density * cells as f64).round() as usize;
        if n_citizens + n_cops > cells {
            return Err(format!("{} agents on {cells} cells", n_citizens + n_cops));
        }
        world.prefetch = cells * size_of::<u32>() + n_citizens * size_of::<Citizen>() > PREFETCH_ABOVE;
        let mut setup = ChaCha8Rng::seed_from_u64(seed.wrapping_mul(4));
        let mut free: Vec<u32> = (0..cells as u32).collect();
        peacesim_core::rng::shuffle(&mut free, &mut setup);
        for (i, &cell) in free[..n_citizens].iter().enumerate() {
            let (x, y) = (cell as usize % w, cell as usize / w);
            let hardship: f64 = setup.random();
            world.citizens.push(Citizen {
                grievance: hardship * (1.0 - rules.legitimacy),
                risk: setup.random(),
                x: x as u16,
                y: y as u16,
                jail: 0,
                state: QUIET,
            });
            world.put(x, y, i as u32);
        }
        for (i, &cell) in free[n_citizens..n_citizens + n_cops].iter().enumerate() {
            let (x, y) = (cell as usize % w, cell as usize / w);
            world.cops.push((x as u16, y as u16));
            world.put(x, y, i as u32 | COP);
        }
        Ok(world)
    }

    /// Agents acting each tick (citizens, jailed or not, and cops).
    pub fn agents(&self) -> usize {
        self.citizens.len() + self.cops.len()
    }

    /// Active and jailed citizens.
    pub fn census(&self) -> (usize, usize) {
        let count = |s| self.citizens.iter().filter(|c| c.state == s).count();
        (count(ACTIVE), count(JAILED))
    }

    /// Runs one tick: every citizen in a random order, then every cop in a random order.
    pub fn tick(&mut self) {
        peacesim_core::cpu::with_popcnt(
            #[inline(always)]
            || self.tick_inner(),
        );
    }

    #[inline(always)]
    fn tick_inner(&mut self) {
        let mut order = std::mem::take(&mut self.order);
        order.clear();
        order.extend(0..self.citizens.len() as u32);
        peacesim_core::rng::shuffle(&mut order, &mut self.order_rng);
        let split = order.len();
        order.extend((0..self.cops.len() as u32).map(|i| i | COP));
        peacesim_core::rng::shuffle(&mut order[split..], &mut self.order_rng);
        // On worlds larger than the cache, read an agent's record, then its cell's words of the planes, a
        // few turns before it acts (as peacesim's pass does).
        let ahead = self.prefetch;
        for (i, &slot) in order.iter().enumerate() {
            if ahead {
                if let Some(&far) = order.get(i + FAR) {
                    self.touch_record(far);
                }
                if let Some(&near) = order.get(i + NEAR) {
                    self.touch_cell(near);
                }
            }
            if slot & COP == 0 {
                self.citizen_turn(slot as usize);
            } else {
                self.cop_turn((slot & !COP) as usize);
            }
        }
        self.order = order;
    }

    /// Prefetches the record of the agent in an order slot.
    #[inline(always)]
    fn touch_record(&self, slot: u32) {
        if slot & COP == 0 {
            prefetch(&self.citizens[slot as usize]);
        } else {
            prefetch(&self.cops[(slot & !COP) as usize]);
        }
    }

    /// Prefetches what an agent's turn reads of its own cell: its word of the occupied plane and its occupant.
    #[inline(always)]
    fn touch_cell(&self, slot: u32) {
        let (x, y) = if slot & COP == 0 {
            let c = &self.citizens[slot as usize];
            (usize::from(c.x), usize::from(c.y))
        } else {
            let c = self.cops[(slot & !COP) as usize];
            (usize::from(c.0), usize::from(c.1))
        };
        let (word, _) = self.bit(x, y);
        prefetch(&self.occupied[word]);
        prefetch(&self.occupant[y * self.dims.width() + x]);
    }

    #[inline(always)]
    fn bit(&self, x: usize, y: usize) -> (usize, u64) {
        (y * self.words + (x >> 6), 1 << (x & 63))
    }

    #[inline(always)]
    fn put(&mut self, x: usize, y: usize, who: u32) {
        let (word, bit) = self.bit(x, y);
        self.occupied[word] |= bit;
        if who & COP != 0 {
            self.cops_plane[word] |= bit;
        }
        self.occupant[y * self.dims.width() + x] = who;
    }

    /// A uniformly random empty cell within vision of `(x, y)`, or `None`.
    #[inline(always)]
    fn empty_near(&mut self, x: usize, y: usize, cop: bool) -> Option<(usize, usize)> {
        let (w, h) = (self.dims.width(), self.dims.height());
        let rng = if cop { &mut self.cop_rng } else { &mut self.citizen_rng };
        for _ in 0..32 {
            let (dx, dy) = self.offsets[rng.random_range(0..self.offsets.len() as u32) as usize];
            let (nx, ny) = (wrap(x as i32 + i32::from(dx), w), wrap(y as i32 + i32::from(dy), h));
            let (word, bit) = (ny * self.words + (nx >> 6), 1u64 << (nx & 63));
            if self.occupied[word] & bit == 0 {
                return Some((nx, ny));
            }
        }
        self.counted_empty(x, y, cop)
    }

    #[cold]
    #[inline(never)]
    fn counted_empty(&mut self, x: usize, y: usize, cop: bool) -> Option<(usize, usize)> {
        let (w, h) = (self.dims.width(), self.dims.height());
        let cells = |&(dx, dy): &(i16, i16)| (wrap(x as i32 + i32::from(dx), w), wrap(y as i32 + i32::from(dy), h));
        let empty = |&(nx, ny): &(usize, usize)| self.occupied[ny * self.words + (nx >> 6)] >> (nx & 63) & 1 == 0;
        let n = self.offsets.iter().map(cells).filter(empty).count();
        if n == 0 {
            return None;
        }
        let rng = if cop { &mut self.cop_rng } else { &mut self.citizen_rng };
        let k = rng.random_range(0..n);
        self.offsets.iter().map(cells).filter(empty).nth(k)
    }

    /// Moves the occupant of `from` to the empty cell `to`.
    #[inline(always)]
    fn relocate(&mut self, from: (usize, usize), to: (usize, usize), cop: bool, active: bool) {
        let ((fw, fb), (tw, tb)) = (self.bit(from.0, from.1), self.bit(to.0, to.1));
        let shift = |plane: &mut [u64]| {
            plane[fw] &= !fb;
            plane[tw] |= tb;
        };
        shift(&mut self.occupied);
        if cop {
            shift(&mut self.cops_plane);
        }
        if active {
            shift(&mut self.actives);
        }
        let w = self.dims.width();
        self.occupant[to.1 * w + to.0] = self.occupant[from.1 * w + from.0];
    }

    /// Calls `visit(row, bits, at)` for each row of the vision around `(x, y)`, with `bits` the row's
    /// columns of each of `planes` from column `at` up (the centre included unless the grid takes masks),
    /// and returns whether the centre was left out.
    #[inline(always)]
    fn for_rows<const N: usize>(
        &self,
        planes: [&[u64]; N],
        x: usize,
        y: usize,
        mut visit: impl FnMut(usize, [u64; N], usize),
    ) -> bool {
        let (w, h) = (self.dims.width(), self.dims.height());
        let top = y as i32 - self.rows.len() as i32 / 2;
        if let Some(masks) = &self.masks {
            let masks = &masks[x * self.rows.len()..(x + 1) * self.rows.len()];
            if top >= 0 && top as usize + masks.len() <= h {
                // No row wraps: the rows are consecutive words.
                let top = top as usize;
                let rows = planes.map(|p| &p[top..top + masks.len()]);
                for (r, &m) in masks.iter().enumerate() {
                    visit(top + r, rows.map(|p| p[r] & m), 0);
                }
            } else {
                for (r, &m) in masks.iter().enumerate() {
                    let row = wrap(top + r as i32, h);
                    visit(row, planes.map(|p| p[row] & m), 0);
                }
            }
            return true;
        }
        for (r, &(_, half)) in self.rows.iter().enumerate() {
            let row = wrap(top + r as i32, h);
            let words = planes.map(|p| &p[row * self.words..(row + 1) * self.words]);
            let (a, len) = (x as i32 - half, 2 * half as usize + 1);
            if a < 0 {
                let (head, at) = ((-a) as usize, w - (-a) as usize);
                visit(row, words.map(|p| span(p, at, head)), at);
                visit(row, words.map(|p| span(p, 0, len - head)), 0);
            } else if a as usize + len > w {
                let tail = w - a as usize;
                visit(row, words.map(|p| span(p, a as usize, tail)), a as usize);
                visit(row, words.map(|p| span(p, 0, len - tail)), 0);
            } else {
                visit(row, words.map(|p| span(p, a as usize, len)), a as usize);
            }
        }
        false
    }

    #[inline(always)]
    fn citizen_turn(&mut self, i: usize) {
        let c = self.citizens[i];
        let (mut x, mut y) = (usize::from(c.x), usize::from(c.y));
        let mut state = c.state;
        if state == JAILED {
            if c.jail > 0 {
                self.citizens[i].jail -= 1;
                return;
            }
            // Released: back to its cell if it is free, else to an empty cell nearby.
            let (word, bit) = self.bit(x, y);
            let cell = if self.occupied[word] & bit == 0 { Some((x, y)) } else { self.empty_near(x, y, false) };
            let Some((nx, ny)) = cell else { return };
            (x, y, state) = (nx, ny, QUIET);
            self.put(x, y, i as u32);
        }
        if let Some(to) = self.empty_near(x, y, false) {
            self.relocate((x, y), to, false, state == ACTIVE);
            (x, y) = to;
        }
        let active = c.grievance > self.threshold && {
            let (mut cops, mut actives) = (0, 0);
            let centre_out = self.for_rows([&self.cops_plane, &self.actives], x, y, |_, [c, a], _| {
                cops += c.count_ones();
                actives += a.count_ones();
            });
            if !centre_out && state == ACTIVE {
                actives -= 1;
            }
            let ratio = (cops / (actives + 1)) as usize;
            let p = self.probability.get(ratio).copied().unwrap_or(1.0);
            c.grievance - c.risk * p > self.threshold
        };
        if active != (state == ACTIVE) {
            let (word, bit) = self.bit(x, y);
            if active {
                self.actives[word] |= bit;
            } else {
                self.actives[word] &= !bit;
            }
        }
        let c = &mut self.citizens[i];
        (c.x, c.y, c.state) = (x as u16, y as u16, if active { ACTIVE } else { QUIET });
    }

    #[inline(always)]
    fn cop_turn(&mut self, j: usize) {
        let (mut x, mut y) = (usize::from(self.cops[j].0), usize::from(self.cops[j].1));
        if let Some(to) = self.empty_near(x, y, true) {
            self.relocate((x, y), to, true, false);
            (x, y) = to;
            self.cops[j] = (x as u16, y as u16);
        }
        let mut n = 0;
        self.for_rows([&self.actives], x, y, |_, [bits], _| n += bits.count_ones());
        if n == 0 {
            return;
        }
        // The k-th active within vision, row by row.
        let mut k = self.cop_rng.random_range(0..n);
        let mut found = None;
        self.for_rows([&self.actives], x, y, |row, [mut bits], at| {
            let c = bits.count_ones();
            if found.is_some() || k >= c {
                k = k.saturating_sub(c);
                return;
            }
            for _ in 0..k {
                bits &= bits - 1;
            }
            found = Some((at + bits.trailing_zeros() as usize, row));
        });
        let Some((cx, cy)) = found else { return };
        let victim = self.occupant[cy * self.dims.width() + cx] as usize;
        let (word, bit) = self.bit(cx, cy);
        self.occupied[word] &= !bit;
        self.actives[word] &= !bit;
        let term = self.cop_rng.random_range(0..=self.max_jail);
        let c = &mut self.citizens[victim];
        (c.x, c.y, c.jail, c.state) = (cx as u16, cy as u16, term, JAILED);
    }
}
