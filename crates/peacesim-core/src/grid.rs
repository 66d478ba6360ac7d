//! The grid index: one byte of flags and one occupant per cell, and neighbourhoods as row spans, so that
//! "who is within vision" is a scan over a few short contiguous slices, never a scan over all agents.

use bevy_ecs::entity::{Entities, EntityIndex};
use bevy_ecs::prelude::*;
use peacesim_scenario::{Shape, Topology, Vision};
use rand::RngExt;
use rand_chacha::ChaCha8Rng;

/// The cell holds an agent.
pub const OCCUPIED: u8 = 1;
/// The occupant is a security-force member.
pub const FORCE: u8 = 1 << 1;
/// The occupant is an active citizen.
pub const ACTIVE: u8 = 1 << 2;
/// The occupant is a jailed citizen still holding its cell.
pub const JAILED: u8 = 1 << 3;
/// Bits 4..=6 hold the occupant citizen's population (group) index.
pub const GROUP_SHIFT: u8 = 4;
/// Mask of the group bits.
pub const GROUP_MASK: u8 = 0b0111 << GROUP_SHIFT;
/// The cell is water: permanently occupied by nobody (so never empty, never counted).
pub const WATER: u8 = 1 << 7;

/// On a [`FORCE`] cell, bit 3 (the citizen's [`JAILED`] bit) marks a faction's fighter; bits 4..=6 then hold
/// its faction index.
pub const FIGHTER: u8 = 1 << 3;
/// On a [`FORCE`] cell, bit 2 (the citizen's [`ACTIVE`] bit) marks an irregular fighter: one of a non-state
/// faction, who does not deter rebellion the way the government's forces do.
pub const IRREGULAR: u8 = 1 << 2;

/// How many citizens ahead a scan of the roster (metrics, food) prefetches the per-cell data of the
/// citizen's cell.
pub(crate) const SCAN_AHEAD: usize = 16;

/// Asks the processor to bring the cache lines holding `value` (its first and last byte: a record may
/// straddle two lines) closer. A hint: it changes no state and cannot fault, whatever the address; on other
/// architectures it does nothing. Public for loops outside this crate (the benchmarks' reference loop).
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
        let first = (value as *const T).cast::<i8>();
        let last = first.wrapping_add(size_of::<T>().max(1) - 1);
        // SAFETY: PREFETCHT0 is a hint that never faults and writes nothing; both addresses lie within the
        // referenced value.
        #[allow(unsafe_code)]
        unsafe {
            _mm_prefetch::<_MM_HINT_T0>(first);
            if (first as usize) >> 6 != (last as usize) >> 6 {
                _mm_prefetch::<_MM_HINT_T0>(last);
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// Whether flags show a security-force member that deters rebellion and arrests (a cop or a government
/// fighter): what citizens count as C in Epstein's ratio.
#[inline]
pub fn is_deterrent(f: u8) -> bool {
    f & (FORCE | IRREGULAR) == FORCE
}

/// Whether flags show an active citizen.
#[inline]
pub fn is_active_citizen(f: u8) -> bool {
    f & (FORCE | ACTIVE) == ACTIVE
}

/// Whether flags show a faction's fighter.
#[inline]
pub fn is_fighter(f: u8) -> bool {
    f & (FORCE | FIGHTER) == FORCE | FIGHTER
}

/// The group bits of flags: a citizen's group, or a fighter's faction.
#[inline]
fn group_of(f: u8) -> usize {
    usize::from((f & GROUP_MASK) >> GROUP_SHIFT)
}

/// Flags of a fighter of `faction` (irregular unless it is the government's).
pub fn fighter_flags(faction: u8, government: bool) -> u8 {
    OCCUPIED | FORCE | FIGHTER | (faction << GROUP_SHIFT) | if government { 0 } else { IRREGULAR }
}

/// Flags of a free citizen of `group`.
pub fn citizen_flags(group: u8, active: bool) -> u8 {
    OCCUPIED | (group << GROUP_SHIFT) | if active { ACTIVE } else { 0 }
}

/// A cell position.
#[derive(Component, Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub struct Position {
    /// Column, 0-based.
    pub x: u16,
    /// Row, 0-based.
    pub y: u16,
}

/// A neighbourhood shape as a list of rows `(dy, half_width)`: the row at offset `dy` covers
/// `dx` in `-half_width..=half_width`. Moore, von Neumann and Euclidean shapes all have this form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Neighbourhood {
    rows: Vec<(i32, i32)>,
    /// Every offset `(dx, dy)` of the shape except the centre, row by row, for sampling a uniform cell.
    cells: Vec<(i32, i32)>,
    /// Per row, a mask of its `2 * half + 1` low bits.
    masks: Vec<u64>,
    /// Whether every row is at most 31 cells wide and there are at most 31 rows (radius 15 or less), so that
    /// two spans pack into one word and per-byte counts cannot overflow.
    narrow: bool,
    /// The shape's rows as column masks around every centre column of one grid, if [`Neighbourhood::bind`]
    /// built them.
    columns: Option<ColumnMasks>,
    /// Narrow shapes: per row, the mask of its columns within a window of `2 * radius + 1` columns whose
    /// bit 0 is the column `radius` to the left of the centre (the same for every centre).
    window_masks: Vec<u64>,
}

/// A shape's rows as column masks on one grid at most 64 columns wide (a bit plane's row is one word): for
/// every centre column `cx` and row `r` of the shape, `masks[cx * rows + r]` has the bits of the row's
/// columns, wrapped on a torus and clipped on a bounded grid. A count is then one AND and one popcount per row
/// and plane, with no shifting or wrapping of spans.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ColumnMasks {
    width: u32,
    height: u32,
    torus: bool,
    masks: Vec<u64>,
}

impl Neighbourhood {
    /// Builds the shape for a vision specification.
    pub fn new(vision: &Vision) -> Self {
        let r = vision.radius.floor() as i32;
        let rows: Vec<(i32, i32)> = (-r..=r)
            .map(|dy| {
                let half = match vision.shape {
                    Shape::Moore => r,
                    Shape::VonNeumann => r - dy.abs(),
                    Shape::Euclidean => {
                        let rest = vision.radius * vision.radius - f64::from(dy * dy);
                        // Guard against sqrt(49) = 6.999...: add a hair before flooring.
                        (rest.sqrt() + 1e-9).floor() as i32
                    }
                };
                (dy, half)
            })
            .collect();
        let cells = rows
            .iter()
            .flat_map(|&(dy, half)| (-half..=half).map(move |dx| (dx, dy)))
            .filter(|&offset| offset != (0, 0))
            .collect();
        // Masks are only used by narrow shapes; wider rows (radius 32 and up) get a full word.
        let masks =
            rows.iter().map(|&(_, half)| 1u64.checked_shl(2 * half as u32 + 1).map_or(u64::MAX, |b| b - 1)).collect();
        let narrow = rows.len() <= 31 && rows.iter().all(|&(_, half)| half <= 15);
        let window_masks = if narrow {
            rows.iter().map(|&(_, half)| ((1u64 << (2 * half + 1)) - 1) << (r - half)).collect()
        } else {
            Vec::new()
        };
        Neighbourhood { rows, cells, masks, narrow, columns: None, window_masks }
    }

    /// The shape for a grid of `width` x `height` cells: on a grid at most 64 columns wide, with its rows
    /// precomputed as column masks around every centre column, which makes counts cheaper. Counts on any
    /// other grid take the general path; the results are the same. A torus whose side the shape's rows or
    /// columns would wrap past onto themselves keeps the general path too.
    pub fn bind(mut self, width: u32, height: u32, topology: Topology) -> Self {
        let torus = topology == Topology::Torus;
        let (w, h) = (width as i32, height as i32);
        let fits = (1..=64).contains(&w)
            && (!torus || (self.rows.len() as i32 <= h && self.rows.iter().all(|&(_, half)| 2 * half < w)));
        if fits {
            let masks = (0..w)
                .flat_map(|cx| {
                    self.rows.iter().map(move |&(_, half)| {
                        (cx - half..=cx + half).filter_map(|x| wrap(x, w, torus)).fold(0u64, |m, x| m | 1 << x)
                    })
                })
                .collect();
            self.columns = Some(ColumnMasks { width, height, torus, masks });
        }
        self
    }

    /// Number of cells in the shape, the centre excluded.
    pub fn len(&self) -> usize {
        self.cells.len()
    }

    /// Whether the shape is only its centre.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The offsets of the shape (centre excluded), row by row.
    pub fn offsets(&self) -> impl Iterator<Item = (i32, i32)> + '_ {
        self.cells.iter().copied()
    }
}

/// The grid index: flags and occupant of every cell, row-major.
#[derive(Resource, Debug, Clone)]
pub struct Grid {
    width: u32,
    height: u32,
    torus: bool,
    flags: Vec<u8>,
    /// The entity index of each cell's occupant, inverted (see [`encode`]) so that 0 is no occupant. Four
    /// bytes a cell rather than an [`Entity`]'s eight: every move reads one cell's and writes another's, at
    /// random on a large world, and half the bytes keep more of them in cache. The occupant's entity is its
    /// index's current one ([`Entities::resolve_from_index`]): an agent leaves the grid before its entity is
    /// despawned, so an index on the grid is always a live entity's.
    occupant: Vec<u32>,
    /// 64-bit words per row of a bit plane.
    words_per_row: usize,
    /// Bit plane of cells holding a force member.
    force_plane: Vec<u64>,
    /// Bit plane of cells whose flags have [`OCCUPIED`] (agents and water): an eighth of the flags' bytes, so
    /// that the probes of a move stay in cache on large grids.
    occupied_plane: Vec<u64>,
    /// Bit planes of cells holding an active citizen, one per group.
    active_planes: Vec<Vec<u64>>,
    /// Bit planes of cells holding a faction's fighter, one per faction: the conflict layer's counts and
    /// picks of hostile fighters are popcounts over them, as the citizens' are over the active planes.
    fighter_planes: Vec<Vec<u64>>,
}

/// A cell's occupant as the grid stores it: the entity's index, inverted, or 0 for none (no entity has the
/// index `u32::MAX`, whose inverse 0 is).
#[inline(always)]
fn encode(entity: Option<Entity>) -> u32 {
    entity.map_or(0, |e| encode_index(e.index_u32()))
}

/// A present occupant as the grid stores it ([`encode`]), from its entity index.
#[inline(always)]
fn encode_index(index: u32) -> u32 {
    !index
}

/// The entity index of a stored occupant ([`encode`]), or `None` for an empty cell.
#[inline(always)]
fn decode(stored: u32) -> Option<EntityIndex> {
    EntityIndex::from_raw_u32(!stored)
}

/// A coordinate one neighbourhood radius outside `0..size` at most, wrapped on a torus (without an integer
/// division: validation keeps radii below the grid side) or rejected on a bounded grid.
#[inline]
fn wrap(v: i32, size: i32, torus: bool) -> Option<i32> {
    // One unsigned comparison: a negative `v` is far above any size.
    if (v as u32) < size as u32 {
        Some(v)
    } else if torus {
        Some(if v < 0 { v + size } else { v - size })
    } else {
        None
    }
}

/// The bits of columns `a..=b` (at most 32 of them) of a row, shifted down to bit 0: `at` is the index of
/// the row's word that holds column `a`, and the row's next word is `strip` words on (see [`Grid::word`]).
#[inline]
fn span_bits(plane: &[u64], at: usize, strip: usize, a: usize, b: usize) -> u64 {
    let shift = a & 63;
    let len = b - a + 1;
    let mut bits = plane[at] >> shift;
    if shift + len > 64 {
        bits |= plane[at + strip] << (64 - shift);
    }
    bits & ((1u64 << len) - 1)
}

/// The number of set bits in each byte of `x` (a SIMD-within-a-register popcount that stops before the
/// final horizontal sum, so that per-byte counts of several rows can be accumulated).
#[inline]
fn byte_popcounts(x: u64) -> u64 {
    let x = x - ((x >> 1) & 0x5555_5555_5555_5555);
    let x = (x & 0x3333_3333_3333_3333) + ((x >> 2) & 0x3333_3333_3333_3333);
    (x + (x >> 4)) & 0x0f0f_0f0f_0f0f_0f0f
}

/// Sums accumulated per-byte counts: bytes 0-3 and bytes 4-7 separately. Each byte holds at most
/// 8 x 31 = 248 (31 rows), but the four bytes of a half may sum past 255, so they are added as integers
/// rather than by a multiply that would wrap within a byte.
#[inline]
fn split_byte_counts(acc: u64) -> (u32, u32) {
    let half_sum = |h: u64| ((h & 0xff) + (h >> 8 & 0xff) + (h >> 16 & 0xff) + (h >> 24 & 0xff)) as u32;
    (half_sum(acc & 0xffff_ffff), half_sum(acc >> 32))
}

/// Number of set bits in columns `a..=b` of a row whose first word is at index `at` (its next words `strip`
/// apart).
#[inline]
fn ones(plane: &[u64], at: usize, strip: usize, a: usize, b: usize) -> u32 {
    let (wa, wb) = (a >> 6, b >> 6);
    let low = !0u64 << (a & 63);
    let high = !0u64 >> (63 - (b & 63));
    let word = |wc: usize| plane[at + wc * strip];
    if wa == wb {
        (word(wa) & low & high).count_ones()
    } else {
        let middle: u32 = (wa + 1..wb).map(|wc| word(wc).count_ones()).sum();
        (word(wa) & low).count_ones() + middle + (word(wb) & high).count_ones()
    }
}

/// One row of a pick of the `k`-th set bit across rows: the position of the `k`-th set bit of `bits` if it
/// has more than `k`; otherwise `None`, with `k` reduced by its count for the rows that follow.
#[inline(always)]
fn select_bit(mut bits: u64, k: &mut u32) -> Option<u32> {
    let n = bits.count_ones();
    if *k >= n {
        *k -= n;
        return None;
    }
    for _ in 0..*k {
        bits &= bits - 1;
    }
    Some(bits.trailing_zeros())
}

/// A mask of bits `0..n` (all eight from 8 on).
#[inline(always)]
fn first_bits(n: usize) -> u8 {
    if n >= 8 { !0 } else { (1u8 << n) - 1 }
}

/// The planes of `planes` whose bits are set in `select` (bit i for plane i), in order, and how many.
#[inline(always)]
fn chosen(planes: &[Vec<u64>], select: u8) -> ([&[u64]; 8], usize) {
    let mut out: [&[u64]; 8] = [&[]; 8];
    let mut n = 0;
    for (i, plane) in planes.iter().enumerate().take(8) {
        if select >> i & 1 == 1 {
            out[n] = plane;
            n += 1;
        }
    }
    (out, n)
}

impl Grid {
    /// An empty grid.
    pub fn new(width: u32, height: u32, topology: Topology) -> Self {
        let cells = width as usize * height as usize;
        let words_per_row = (width as usize).div_ceil(64);
        // A strip of padding after the last: a window read (`window`) may load the word after a row's last,
        // and discards its bits.
        let plane = vec![0u64; (words_per_row + 1) * height as usize];
        Grid {
            width,
            height,
            torus: topology == Topology::Torus,
            flags: crate::memory::huge_vec(cells, 0),
            occupant: crate::memory::huge_vec(cells, 0),
            words_per_row,
            active_planes: vec![plane.clone(); 8],
            // Zeroed allocations rather than clones: most scenarios have no fighters, and the pages of planes
            // never written are never touched.
            fighter_planes: (0..8).map(|_| vec![0u64; plane.len()]).collect(),
            occupied_plane: plane.clone(),
            force_plane: plane,
        }
    }

    /// Writes a cell's flags, keeping the bit planes in step.
    #[inline]
    fn write(&mut self, p: Position, new: u8) {
        let i = self.index(p);
        let old = self.flags[i];
        self.flags[i] = new;
        if old == new {
            return;
        }
        let (x, y) = (p.x as usize, p.y as usize);
        let word = self.word(y, x >> 6);
        let bit = 1u64 << (x & 63);
        if is_deterrent(old) != is_deterrent(new) {
            self.force_plane[word] ^= bit;
        }
        if (old ^ new) & OCCUPIED != 0 {
            self.occupied_plane[word] ^= bit;
        }
        if is_active_citizen(old) {
            self.active_planes[((old & GROUP_MASK) >> GROUP_SHIFT) as usize][word] &= !bit;
        }
        if is_active_citizen(new) {
            self.active_planes[((new & GROUP_MASK) >> GROUP_SHIFT) as usize][word] |= bit;
        }
        if (old | new) & FORCE != 0 {
            if is_fighter(old) {
                self.fighter_planes[group_of(old)][word] &= !bit;
            }
            if is_fighter(new) {
                self.fighter_planes[group_of(new)][word] |= bit;
            }
        }
    }

    /// Writes the flags of an empty cell (whose flags are 0: every cell left empty is written 0, and a
    /// checkpoint with other flags on an empty cell is refused), keeping the bit planes in step. The same as
    /// [`Grid::write`] without reading the old flags: on large worlds the destination of a move is a cache
    /// miss, which a store alone does not wait for.
    #[inline]
    fn fill(&mut self, p: Position, new: u8) {
        let i = self.index(p);
        debug_assert_eq!(self.flags[i], 0, "cell {p:?} is not empty");
        self.flags[i] = new;
        let (x, y) = (p.x as usize, p.y as usize);
        let word = self.word(y, x >> 6);
        let bit = 1u64 << (x & 63);
        if is_deterrent(new) {
            self.force_plane[word] |= bit;
        }
        if is_fighter(new) {
            self.fighter_planes[group_of(new)][word] |= bit;
        }
        if new & OCCUPIED != 0 {
            self.occupied_plane[word] |= bit;
        }
        if is_active_citizen(new) {
            self.active_planes[((new & GROUP_MASK) >> GROUP_SHIFT) as usize][word] |= bit;
        }
    }

    /// Calls `visit(row_index, a, b)` for each contiguous column run `a..=b` of `shape` around `centre`
    /// (centre included), wrapping on a torus and clipping on a bounded grid.
    #[inline]
    fn for_each_span(&self, centre: Position, shape: &Neighbourhood, mut visit: impl FnMut(usize, usize, usize)) {
        let (w, h) = (self.width as i32, self.height as i32);
        let (cx, cy) = (i32::from(centre.x), i32::from(centre.y));
        for &(dy, half) in &shape.rows {
            let Some(y) = wrap(cy + dy, h, self.torus) else { continue };
            let (lo, hi) = (cx - half, cx + half);
            let y = y as usize;
            if lo >= 0 && hi < w {
                visit(y, lo as usize, hi as usize);
            } else if self.torus {
                if lo < 0 {
                    visit(y, (lo + w) as usize, (w - 1) as usize);
                    visit(y, 0, hi as usize);
                } else {
                    visit(y, lo as usize, (w - 1) as usize);
                    visit(y, 0, (hi - w) as usize);
                }
            } else {
                visit(y, lo.max(0) as usize, hi.min(w - 1) as usize);
            }
        }
    }

    /// The spans of `shape` around `centre` in two bit planes of a grid at most 64 wide, for narrow shapes:
    /// calls `visit(x0, bits_a, bits_b)` per row, the bits shifted down so that bit i is column x0 + i (mod
    /// width). On a torus the row is rotated so that a span across the edge is one contiguous run of bits;
    /// on a bounded grid the span is clipped.
    #[inline(always)]
    fn narrow_rows(
        &self,
        centre: Position,
        shape: &Neighbourhood,
        a: &[u64],
        b: &[u64],
        mut visit: impl FnMut(usize, u64, u64),
    ) {
        let (w, h) = (self.width as i32, self.height as i32);
        let (cx, cy) = (i32::from(centre.x), i32::from(centre.y));
        for (&(dy, half), &mask) in shape.rows.iter().zip(&shape.masks) {
            let Some(y) = wrap(cy + dy, h, self.torus) else { continue };
            let y = y as usize;
            let lo = cx - half;
            if self.torus {
                let shift = if lo < 0 { lo + w } else { lo } as u32;
                // Bits `shift..w` of the row, then its low bits wrapped in above them (two shifts so that a
                // shift by the full word width, at shift 0 on a 64-wide grid, gives 0 rather than overflowing).
                let (up, down) = (shift, (w as u32) - 1 - shift);
                let double = |row: u64| (row >> up) | ((row << 1) << down);
                visit(shift as usize, double(a[y]) & mask, double(b[y]) & mask);
            } else {
                let (first, last) = (lo.max(0), (cx + half).min(w - 1));
                let clip = (!0u64 >> (63 - last)) & (!0u64 << first);
                visit(first as usize, (a[y] & clip) >> first, (b[y] & clip) >> first);
            }
        }
    }

    /// The column masks of `shape` around `centre.x` if they were built for this grid.
    #[inline(always)]
    fn column_masks<'s>(&self, centre: Position, shape: &'s Neighbourhood) -> Option<&'s [u64]> {
        let c = shape.columns.as_ref()?;
        if (c.width, c.height, c.torus) != (self.width, self.height, self.torus) {
            return None;
        }
        let rows = shape.rows.len();
        let at = usize::from(centre.x) * rows;
        c.masks.get(at..at + rows)
    }

    /// For a narrow shape whose columns around `centre` do not cross the grid's left or right edge: the word
    /// and bit of the row where its window (see `Neighbourhood::window_masks`) starts.
    #[inline(always)]
    fn window_start(&self, centre: Position, shape: &Neighbourhood) -> Option<(usize, u32)> {
        let r = shape.window_masks.len() / 2;
        let cx = usize::from(centre.x);
        if shape.window_masks.is_empty() || cx < r || cx + r >= self.width as usize {
            return None;
        }
        Some(((cx - r) >> 6, ((cx - r) & 63) as u32))
    }

    /// The rows of a shape around `centre` with their masks (from [`Grid::column_masks`] or the shape's window
    /// masks), as at most two runs of consecutive grid rows: `(first row, masks of its rows)`. On a torus the
    /// rows wrap past the bottom edge at most once (validation keeps the radius below the grid's side), so the
    /// second run starts at row 0; on a bounded grid the rows beyond an edge are left out and the second run is
    /// empty. The counts then loop over plain slices, with no wrapping per row.
    #[inline(always)]
    fn row_runs<'m>(&self, centre: Position, masks: &'m [u64]) -> [(usize, &'m [u64]); 2] {
        let (h, r, cy) = (self.height as usize, masks.len() / 2, usize::from(centre.y));
        if self.torus {
            let first = if cy >= r { cy - r } else { cy + h - r };
            let (top, wrapped) = masks.split_at(masks.len().min(h - first));
            [(first, top), (0, wrapped)]
        } else {
            let (skip, last) = (r.saturating_sub(cy), masks.len().min(h + r - cy));
            [(cy + skip - r, &masks[skip..last]), (0, &[])]
        }
    }

    /// Force members, and active citizens of `group`, within `shape` around `centre` (centre excluded):
    /// popcounts over bit planes, a few machine words per row.
    #[inline(always)]
    pub fn count_forces_and_actives(&self, centre: Position, shape: &Neighbourhood, group: u8) -> (u32, u32) {
        let (forces, actives) = self.count_forces_and_actives_with_centre(centre, shape, group);
        let own = self.flags(centre);
        let own_group = (own & GROUP_MASK) >> GROUP_SHIFT;
        (forces - u32::from(is_deterrent(own)), actives - u32::from(is_active_citizen(own) && own_group == group))
    }

    /// [`Grid::count_forces_and_actives`] with the centre counted too.
    #[inline(always)]
    pub(crate) fn count_forces_and_actives_with_centre(
        &self,
        centre: Position,
        shape: &Neighbourhood,
        group: u8,
    ) -> (u32, u32) {
        let plane = &self.active_planes[group as usize];
        let stride = self.words_per_row;
        let (mut forces, mut actives) = (0u32, 0u32);
        if let Some(masks) = self.column_masks(centre, shape) {
            // One word per row (the grid is at most 64 wide): the row's words are consecutive.
            for (y, masks) in self.row_runs(centre, masks) {
                let (f, a) = crate::cpu::rows::masked(&self.force_plane[y..], &plane[y..], masks);
                forces += f;
                actives += a;
            }
        } else if shape.narrow && stride == 1 {
            let mut acc = 0u64;
            self.narrow_rows(centre, shape, &self.force_plane, plane, |_, f, a| acc += byte_popcounts(f | a << 32));
            (forces, actives) = split_byte_counts(acc);
        } else if let Some((word, shift)) = self.window_start(centre, shape) {
            for (y, masks) in self.row_runs(centre, &shape.window_masks) {
                // A run's rows are consecutive words of the strips of the window's two word columns.
                let (at, next) = (self.word(y, word), self.word(y, word + 1));
                let (f, a) = crate::cpu::rows::windows(
                    &self.force_plane[at..],
                    &self.force_plane[next..],
                    &plane[at..],
                    &plane[next..],
                    masks,
                    shift,
                );
                forces += f;
                actives += a;
            }
        } else if shape.narrow {
            // Spans of at most 31 bits: the force span goes in the low half of one word and the active span
            // in the high half, and one SWAR popcount per row counts both. Per-byte partial counts (at most
            // 8 per row) accumulate across at most 31 rows without overflowing a byte, and are summed once.
            let mut acc = 0u64;
            let strip = self.strip();
            self.for_each_span(centre, shape, |y, a, b| {
                let at = self.word(y, a >> 6);
                acc += byte_popcounts(
                    span_bits(&self.force_plane, at, strip, a, b) | span_bits(plane, at, strip, a, b) << 32,
                );
            });
            (forces, actives) = split_byte_counts(acc);
        } else {
            self.for_each_span(centre, shape, |y, a, b| {
                let (at, strip) = (self.word(y, 0), self.strip());
                forces += ones(&self.force_plane, at, strip, a, b);
                actives += ones(plane, at, strip, a, b);
            });
        }
        (forces, actives)
    }

    /// Active citizens of any of the first `groups` groups within `shape` around `centre` (centre excluded).
    #[inline(always)]
    pub fn count_actives(&self, centre: Position, shape: &Neighbourhood, groups: usize) -> u32 {
        let mut n = 0;
        for plane in &self.active_planes[..groups] {
            n += self.count_plane(centre, shape, plane);
        }
        let own = self.flags(centre);
        n - u32::from(is_active_citizen(own) && group_of(own) < groups)
    }

    /// Fighters of the factions whose bits are set in `factions` (bit i for faction i) within `shape` around
    /// `centre` (centre excluded).
    #[inline(always)]
    pub fn count_fighters(&self, centre: Position, shape: &Neighbourhood, factions: u8) -> u32 {
        // A cell holds one faction's fighter at most, so the union's count is the sum of the planes' counts:
        // one tight loop over the rows per faction, with no gathering of planes.
        let (mut n, mut rest) = (0u32, factions);
        while rest != 0 {
            n += self.count_plane(centre, shape, &self.fighter_planes[rest.trailing_zeros() as usize]);
            rest &= rest - 1;
        }
        let own = self.flags(centre);
        n - u32::from(is_fighter(own) && factions >> group_of(own) & 1 == 1)
    }

    /// The set bits of `plane` within `shape` around `centre`, centre included.
    #[inline(always)]
    fn count_plane(&self, centre: Position, shape: &Neighbourhood, plane: &[u64]) -> u32 {
        let stride = self.words_per_row;
        let mut n = 0u32;
        if let Some(masks) = self.column_masks(centre, shape) {
            for (y, masks) in self.row_runs(centre, masks) {
                // One plane: its count comes out twice.
                n += crate::cpu::rows::masked(&plane[y..], &plane[y..], masks).0;
            }
        } else if shape.narrow && stride == 1 {
            self.narrow_rows(centre, shape, plane, plane, |_, a, _| n += a.count_ones());
        } else if let Some((word, shift)) = self.window_start(centre, shape) {
            for (y, masks) in self.row_runs(centre, &shape.window_masks) {
                // As in `count_forces_and_actives`.
                let (at, next) = (self.word(y, word), self.word(y, word + 1));
                n +=
                    crate::cpu::rows::windows(&plane[at..], &plane[next..], &plane[at..], &plane[next..], masks, shift)
                        .0;
            }
        } else if shape.narrow {
            let strip = self.strip();
            self.for_each_span(centre, shape, |y, a, b| {
                n += span_bits(plane, self.word(y, a >> 6), strip, a, b).count_ones();
            });
        } else {
            self.for_each_span(centre, shape, |y, a, b| n += ones(plane, self.word(y, 0), self.strip(), a, b));
        }
        n
    }

    /// The flags and occupant of every cell, row-major (for checkpoints).
    pub(crate) fn cell_state(&self, entities: &Entities) -> (Vec<u8>, Vec<Option<Entity>>) {
        let occupants = self.occupant.iter().map(|&o| decode(o).map(|i| entities.resolve_from_index(i))).collect();
        (self.flags.clone(), occupants)
    }

    /// Replaces the flags and occupant of every cell and rebuilds the bit planes from the flags (for
    /// checkpoints). The planes are a function of the flags alone, so they come out as `write` left them.
    /// Returns `false`, changing nothing, if the lengths are not the grid's.
    pub(crate) fn restore_cells(&mut self, flags: &[u8], occupant: &[Option<Entity>]) -> bool {
        if flags.len() != self.flags.len() || occupant.len() != self.occupant.len() {
            return false;
        }
        self.flags.iter_mut().for_each(|f| *f = 0);
        self.force_plane.iter_mut().for_each(|w| *w = 0);
        self.occupied_plane.iter_mut().for_each(|w| *w = 0);
        self.active_planes.iter_mut().flatten().for_each(|w| *w = 0);
        self.fighter_planes.iter_mut().flatten().for_each(|w| *w = 0);
        for (i, &f) in flags.iter().enumerate() {
            self.write(self.position(i), f);
        }
        // Copied into the grid's own array, which is on huge pages where the system grants them.
        for (cell, &o) in self.occupant.iter_mut().zip(occupant) {
            *cell = encode(o);
        }
        true
    }

    /// Cells along x.
    pub fn width(&self) -> u32 {
        self.width
    }

    /// Cells along y.
    pub fn height(&self) -> u32 {
        self.height
    }

    /// Number of cells.
    pub fn cells(&self) -> usize {
        self.flags.len()
    }

    /// The index in a bit plane of the word of row `y` that holds columns `64 * column_word..` up to 63 more.
    ///
    /// The planes are stored in strips of 64 columns, one after another, each strip a word per row from
    /// the top row to the bottom: a count over a neighbourhood of 15 rows then reads 15 consecutive words
    /// (two or three cache lines) per strip it touches rather than 15 lines 256 bytes apart, as a row-major
    /// plane of a 2000x2000 grid had. On a grid at most 64 wide there is one strip and the layout is
    /// row-major.
    #[inline(always)]
    fn word(&self, y: usize, column_word: usize) -> usize {
        column_word * self.strip() + y
    }

    /// Words per strip of a bit plane (see [`Grid::word`]): one per row.
    #[inline(always)]
    fn strip(&self) -> usize {
        self.height as usize
    }

    /// Row-major index of a position.
    #[inline]
    pub fn index(&self, p: Position) -> usize {
        p.y as usize * self.width as usize + p.x as usize
    }

    /// Position of a row-major index.
    #[inline]
    pub fn position(&self, index: usize) -> Position {
        let w = self.width as usize;
        Position { x: (index % w) as u16, y: (index / w) as u16 }
    }

    /// Flags of a cell.
    #[inline]
    pub fn flags(&self, p: Position) -> u8 {
        self.flags[self.index(p)]
    }

    /// The agent on a cell: its entity, the current one of the index the grid holds (`entities` is the
    /// world's).
    #[inline]
    pub fn occupant(&self, p: Position, entities: &Entities) -> Option<Entity> {
        self.occupant_index(p).map(|i| entities.resolve_from_index(i))
    }

    /// The entity index of the agent on a cell (enough to find a citizen's roster slot,
    /// [`Roster::citizen_slot_at`](crate::world::Roster::citizen_slot_at)).
    #[inline]
    pub fn occupant_index(&self, p: Position) -> Option<EntityIndex> {
        decode(self.occupant[self.index(p)])
    }

    /// Reads a cell's flags and occupant without using them: issued a few turns before an agent on the cell
    /// acts, the reads bring its cache lines in while other work runs.
    #[inline(always)]
    pub fn touch(&self, p: Position) {
        let i = self.index(p);
        if let (Some(f), Some(o)) = (self.flags.get(i), self.occupant.get(i)) {
            prefetch(f);
            prefetch(o);
        }
    }

    /// Whether a cell is free to move into.
    #[inline]
    pub fn is_empty(&self, p: Position) -> bool {
        self.flags[self.index(p)] & OCCUPIED == 0
    }

    /// Puts `entity` with `flags` on an empty cell.
    #[inline]
    pub fn place(&mut self, p: Position, entity: Entity, flags: u8) {
        self.place_index(p, entity.index_u32(), flags);
    }

    /// [`Grid::place`] for the entity with index `index` (all the grid keeps of an occupant).
    #[inline]
    pub(crate) fn place_index(&mut self, p: Position, index: u32, flags: u8) {
        let i = self.index(p);
        self.fill(p, flags | OCCUPIED);
        self.occupant[i] = encode_index(index);
    }

    /// Makes a cell water, which no agent may enter (call before placing agents).
    pub fn set_water(&mut self, p: Position) {
        let i = self.index(p);
        self.write(p, 0);
        self.flags[i] = OCCUPIED | WATER;
        let word = self.word(p.y as usize, p.x as usize >> 6);
        self.occupied_plane[word] |= 1u64 << (p.x & 63);
        self.occupant[i] = 0;
    }

    /// Empties a cell.
    #[inline]
    pub fn clear(&mut self, p: Position) {
        let i = self.index(p);
        self.write(p, 0);
        self.occupant[i] = 0;
    }

    /// Replaces the flags of an occupied cell.
    #[inline]
    pub fn set_flags(&mut self, p: Position, flags: u8) {
        self.write(p, flags | OCCUPIED);
    }

    /// Moves the occupant of `from` to the empty cell `to`, keeping its flags.
    ///
    /// The hot half of a move: the flags, the occupant and each plane's bit change places directly, the planes
    /// chosen once from the flags (not once per cell, as the private `fill` of `to` and `write` of 0 on
    /// `from` would).
    #[inline(always)]
    pub fn relocate(&mut self, from: Position, to: Position) {
        self.relocate_as(from, to, None);
    }

    /// [`Grid::relocate`] for an occupant whose entity index the caller knows (`Some`): the occupant of `from`
    /// is then cleared without being read, so that the store into `to` does not wait on that load.
    #[inline(always)]
    pub(crate) fn relocate_as(&mut self, from: Position, to: Position, index: Option<u32>) {
        let (i, j) = (self.index(from), self.index(to));
        debug_assert_eq!(self.flags[j], 0, "cell {to:?} is not empty");
        let flags = std::mem::take(&mut self.flags[i]);
        self.flags[j] = flags;
        match index {
            Some(index) => {
                debug_assert_eq!(self.occupant[i], encode_index(index), "cell {from:?} holds another occupant");
                self.occupant[i] = encode(None);
                self.occupant[j] = encode_index(index);
            }
            None => self.occupant[j] = std::mem::take(&mut self.occupant[i]),
        }
        let ((fx, fy), (tx, ty)) = ((from.x as usize, from.y as usize), (to.x as usize, to.y as usize));
        let (from_word, from_bit, to_word, to_bit) =
            (self.word(fy, fx >> 6), 1u64 << (fx & 63), self.word(ty, tx >> 6), 1u64 << (tx & 63));
        let shift = |plane: &mut [u64]| {
            plane[from_word] &= !from_bit;
            plane[to_word] |= to_bit;
        };
        if flags & OCCUPIED != 0 {
            shift(&mut self.occupied_plane);
        }
        if flags & FORCE != 0 {
            if is_deterrent(flags) {
                shift(&mut self.force_plane);
            }
            if is_fighter(flags) {
                shift(&mut self.fighter_planes[group_of(flags)]);
            }
        } else if is_active_citizen(flags) {
            shift(&mut self.active_planes[((flags & GROUP_MASK) >> GROUP_SHIFT) as usize]);
        }
    }

    /// Calls `visit(start_index, slice)` for each contiguous run of cells of `shape` around `centre`
    /// (the centre included; callers subtract it). Rows wrap on a torus and are clipped on a bounded grid.
    #[inline]
    pub fn for_each_run(&self, centre: Position, shape: &Neighbourhood, mut visit: impl FnMut(usize, &[u8])) {
        let (w, h) = (self.width as i32, self.height as i32);
        let (cx, cy) = (i32::from(centre.x), i32::from(centre.y));
        for &(dy, half) in &shape.rows {
            let Some(y) = wrap(cy + dy, h, self.torus) else { continue };
            let row = (y * w) as usize;
            let (lo, hi) = (cx - half, cx + half);
            if lo >= 0 && hi < w {
                visit(row + lo as usize, &self.flags[row + lo as usize..=row + hi as usize]);
            } else if self.torus {
                // The validated radius keeps 2 * half + 1 <= width, so the run wraps at most once.
                if lo < 0 {
                    let a = (lo + w) as usize;
                    visit(row + a, &self.flags[row + a..row + w as usize]);
                    visit(row, &self.flags[row..=row + hi as usize]);
                } else {
                    visit(row + lo as usize, &self.flags[row + lo as usize..row + w as usize]);
                    let b = (hi - w) as usize;
                    visit(row, &self.flags[row..=row + b]);
                }
            } else {
                let (a, b) = (lo.max(0) as usize, hi.min(w - 1) as usize);
                visit(row + a, &self.flags[row + a..=row + b]);
            }
        }
    }

    /// Counts the cells of `shape` around `centre` (centre excluded) whose flags satisfy `pred`.
    #[inline]
    pub fn count(&self, centre: Position, shape: &Neighbourhood, pred: impl Fn(u8) -> bool) -> u32 {
        let mut n = 0u32;
        self.for_each_run(centre, shape, |_, run| n += run.iter().filter(|&&f| pred(f)).count() as u32);
        n - u32::from(pred(self.flags(centre)))
    }

    /// The position of the `k`-th (0-based, in the same scan order as [`Grid::nth`]) active citizen of any of
    /// the first `groups` groups within `shape` around `centre`, centre excluded: popcounts per row, then
    /// a bit select in the row that holds it.
    pub fn nth_active(&self, centre: Position, shape: &Neighbourhood, groups: usize, k: u32) -> Option<Position> {
        let (planes, n) = chosen(&self.active_planes, first_bits(groups));
        let in_groups = |f: u8| is_active_citizen(f) && group_of(f) < groups;
        self.nth_union(centre, shape, &planes[..n], k, in_groups)
    }

    /// The position of the `k`-th (0-based, in the same scan order as [`Grid::nth`]) fighter of the factions
    /// whose bits are set in `factions` within `shape` around `centre`, centre excluded.
    #[inline(always)]
    pub fn nth_fighter(&self, centre: Position, shape: &Neighbourhood, factions: u8, k: u32) -> Option<Position> {
        let (planes, n) = chosen(&self.fighter_planes, factions);
        let of_factions = |f: u8| is_fighter(f) && factions >> group_of(f) & 1 == 1;
        self.nth_union(centre, shape, &planes[..n], k, of_factions)
    }

    /// The `k`-th set bit, in [`Grid::nth`]'s scan order and centre excluded, of the union of `planes`
    /// within `shape` around `centre`; `pred` tells the same cells from their flags, for the shapes too wide
    /// for the planes' spans.
    #[inline(always)]
    fn nth_union(
        &self,
        centre: Position,
        shape: &Neighbourhood,
        planes: &[&[u64]],
        k: u32,
        pred: impl Fn(u8) -> bool,
    ) -> Option<Position> {
        if !shape.narrow {
            return self.nth(centre, shape, k, pred).map(|i| self.position(i));
        }
        if self.words_per_row > 1
            && let Some((word, shift)) = self.window_start(centre, shape)
        {
            // Rows of several words, the shape's columns clear of the grid's left and right edges: each row's
            // window from the runs of consecutive words of its two strips (as `count_plane` reads them), in
            // the byte scan's order (rows from the top of the shape, columns left to right); the window's bit
            // i is column cx - r + i.
            let (cx, cy, r) = (usize::from(centre.x), usize::from(centre.y), shape.window_masks.len() / 2);
            let mut k = k;
            for (top, masks) in self.row_runs(centre, &shape.window_masks) {
                let (at, next) = (self.word(top, word), self.word(top, word + 1));
                for (i, m) in masks.iter().enumerate() {
                    let mut bits = planes
                        .iter()
                        .fold(0u64, |acc, p| acc | crate::cpu::rows::window(p[at + i], p[next + i], shift))
                        & m;
                    if top + i == cy {
                        bits &= !(1u64 << r);
                    }
                    if let Some(bit) = select_bit(bits, &mut k) {
                        return Some(Position { x: (cx - r + bit as usize) as u16, y: (top + i) as u16 });
                    }
                }
            }
            return None;
        }
        if self.words_per_row > 1 {
            // Rows of several words, near the left or right edge: each span (at most 31 columns) from the
            // planes, in the byte scan's order (`for_each_span` visits the runs of `for_each_run`), so that the
            // bytes of the flags, eight times the planes' memory, are not read.
            let (strip, cx, cy) = (self.strip(), usize::from(centre.x), usize::from(centre.y));
            let (mut k, mut found) = (k, None);
            self.for_each_span(centre, shape, |y, a, b| {
                if found.is_some() {
                    return;
                }
                let at = self.word(y, a >> 6);
                let mut bits = planes.iter().fold(0u64, |acc, p| acc | span_bits(p, at, strip, a, b));
                if y == cy && (a..=b).contains(&cx) {
                    bits &= !(1u64 << (cx - a));
                }
                if let Some(bit) = select_bit(bits, &mut k) {
                    found = Some(Position { x: (a + bit as usize) as u16, y: y as u16 });
                }
            });
            return found;
        }
        let (w, h) = (self.width as i32, self.height as i32);
        let (cx, cy) = (i32::from(centre.x), i32::from(centre.y));
        let mut k = k;
        for (&(dy, half), &mask) in shape.rows.iter().zip(&shape.masks) {
            let Some(y) = wrap(cy + dy, h, self.torus) else { continue };
            let row = planes.iter().fold(0u64, |acc, p| acc | p[y as usize]) & !(u64::from(dy == 0) << cx);
            let lo = cx - half;
            // Columns of this row's span in scan order: on a torus, a span across the left edge starts at
            // lo + w (the wrapped part comes first in the byte scan, as in `for_each_run`).
            let (start, bits) = if self.torus {
                let shift = if lo < 0 { lo + w } else { lo } as u32;
                (shift as i32, ((row >> shift) | ((row << 1) << ((w as u32) - 1 - shift))) & mask)
            } else {
                let (first, last) = (lo.max(0), (cx + half).min(w - 1));
                (first, (row & ((!0u64 >> (63 - last)) & (!0u64 << first))) >> first)
            };
            let Some(bit) = select_bit(bits, &mut k) else { continue };
            let mut x = start + bit as i32;
            if x >= w {
                x -= w;
            }
            return Some(Position { x: x as u16, y: y as u16 });
        }
        None
    }

    /// The index of the `k`-th (0-based, in row-major scan order) cell of `shape` around `centre`, centre
    /// excluded, whose flags satisfy `pred`.
    pub fn nth(&self, centre: Position, shape: &Neighbourhood, k: u32, pred: impl Fn(u8) -> bool) -> Option<usize> {
        let centre_index = self.index(centre);
        let mut seen = 0u32;
        let mut found = None;
        self.for_each_run(centre, shape, |start, run| {
            if found.is_some() {
                return;
            }
            for (offset, &f) in run.iter().enumerate() {
                let i = start + offset;
                if i != centre_index && pred(f) {
                    if seen == k {
                        found = Some(i);
                        return;
                    }
                    seen += 1;
                }
            }
        });
        found
    }

    /// A uniformly random cell of `shape` around `centre` (centre excluded) whose flags satisfy `pred`, or
    /// `None` if there is none. Tries rejection sampling first (cheap when such cells are common) and
    /// falls back to counting, so the choice is uniform either way.
    pub fn random_in(
        &self,
        centre: Position,
        shape: &Neighbourhood,
        rng: &mut ChaCha8Rng,
        pred: impl Fn(u8) -> bool,
    ) -> Option<Position> {
        let w = self.width as usize;
        self.random_where(centre, shape, rng, |x, y| pred(self.flags[y * w + x]), &pred)
    }

    /// [`Grid::random_in`] for an empty cell (`f & OCCUPIED == 0`), with the same draws and the same result,
    /// probing the occupancy bit plane instead of the flag bytes.
    #[inline(always)]
    pub fn random_empty_in(&self, centre: Position, shape: &Neighbourhood, rng: &mut ChaCha8Rng) -> Option<Position> {
        let probe = |x: usize, y: usize| self.occupied_plane[self.word(y, x >> 6)] >> (x & 63) & 1 == 0;
        self.random_where(centre, shape, rng, probe, |f| f & OCCUPIED == 0)
    }

    /// The sampling behind [`Grid::random_in`]: up to 32 uniformly drawn offsets tested with `probe(x, y)`,
    /// then, if all fail, a uniform choice among the cells whose flags satisfy `pred` (which must agree
    /// with `probe`).
    #[inline(always)]
    fn random_where(
        &self,
        centre: Position,
        shape: &Neighbourhood,
        rng: &mut ChaCha8Rng,
        probe: impl Fn(usize, usize) -> bool,
        pred: impl Fn(u8) -> bool,
    ) -> Option<Position> {
        // On Epstein's 74-77%-full grids 32 tries all fail with probability below 3e-4; the counted fallback
        // keeps the choice uniform then.
        const TRIES: usize = 32;
        if shape.cells.is_empty() {
            return None;
        }
        let (w, h) = (self.width as i32, self.height as i32);
        for _ in 0..TRIES {
            let (dx, dy) = shape.cells[rng.random_range(0..shape.cells.len() as u32) as usize];
            let (Some(x), Some(y)) =
                (wrap(i32::from(centre.x) + dx, w, self.torus), wrap(i32::from(centre.y) + dy, h, self.torus))
            else {
                continue;
            };
            if probe(x as usize, y as usize) {
                return Some(Position { x: x as u16, y: y as u16 });
            }
        }
        self.counted_pick(centre, shape, rng, pred)
    }

    /// The fallback of [`Grid::random_where`]: a uniform choice among the cells whose flags satisfy `pred`,
    /// counted. Rarely taken, so kept out of line: the probe loop then needs fewer registers saved and
    /// restored per call.
    #[cold]
    #[inline(never)]
    fn counted_pick(
        &self,
        centre: Position,
        shape: &Neighbourhood,
        rng: &mut ChaCha8Rng,
        pred: impl Fn(u8) -> bool,
    ) -> Option<Position> {
        let n = self.count(centre, shape, &pred);
        if n == 0 {
            return None;
        }
        let k = rng.random_range(0..n);
        self.nth(centre, shape, k, pred).map(|i| self.position(i))
    }

    /// A uniformly random cell of `shape` around `centre` (centre excluded), or `None` when the draw falls
    /// off a bounded grid.
    #[inline]
    pub fn sample_in(&self, centre: Position, shape: &Neighbourhood, rng: &mut ChaCha8Rng) -> Option<Position> {
        if shape.cells.is_empty() {
            return None;
        }
        let (w, h) = (self.width as i32, self.height as i32);
        let (dx, dy) = shape.cells[rng.random_range(0..shape.cells.len() as u32) as usize];
        let x = wrap(i32::from(centre.x) + dx, w, self.torus)?;
        let y = wrap(i32::from(centre.y) + dy, h, self.torus)?;
        Some(Position { x: x as u16, y: y as u16 })
    }

    /// A uniformly random empty cell anywhere on the grid, or `None` if the grid is full.
    pub fn random_empty(&self, rng: &mut ChaCha8Rng) -> Option<Position> {
        for _ in 0..64 {
            let i = rng.random_range(0..self.flags.len());
            if self.flags[i] & OCCUPIED == 0 {
                return Some(self.position(i));
            }
        }
        let empty = self.flags.iter().filter(|&&f| f & OCCUPIED == 0).count();
        if empty == 0 {
            return None;
        }
        let k = rng.random_range(0..empty);
        self.flags.iter().enumerate().filter(|(_, f)| **f & OCCUPIED == 0).nth(k).map(|(i, _)| self.position(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vision(shape: Shape, radius: f64) -> Vision {
        Vision { shape, radius }
    }

    #[test]
    fn shapes_have_the_textbook_sizes() {
        assert_eq!(Neighbourhood::new(&vision(Shape::Moore, 1.0)).len(), 8);
        assert_eq!(Neighbourhood::new(&vision(Shape::Euclidean, 1.7)).len(), 8);
        assert_eq!(Neighbourhood::new(&vision(Shape::VonNeumann, 1.0)).len(), 4);
        // Mesa's von Neumann diamond of radius 7: 2 r (r + 1) = 112 cells.
        assert_eq!(Neighbourhood::new(&vision(Shape::VonNeumann, 7.0)).len(), 112);
        // Euclidean radius 7: the lattice points with x^2 + y^2 <= 49, minus the centre.
        let expected =
            (-7i32..=7).flat_map(|y| (-7i32..=7).map(move |x| (x, y))).filter(|&(x, y)| x * x + y * y <= 49).count()
                - 1;
        assert_eq!(Neighbourhood::new(&vision(Shape::Euclidean, 7.0)).len(), expected);
    }

    #[test]
    fn wide_shapes_build_and_count() {
        // Radius 64 (the largest validated) once overflowed the row-mask shift.
        let shape = Neighbourhood::new(&vision(Shape::Moore, 64.0));
        assert_eq!(shape.len(), 129 * 129 - 1);
        let grid = Grid::new(200, 200, Topology::Bounded);
        assert_eq!(grid.count(Position { x: 100, y: 100 }, &shape, |f| f & OCCUPIED == 0), 129 * 129 - 1);
    }

    #[test]
    fn counting_wraps_on_a_torus_and_clips_when_bounded() {
        let shape = Neighbourhood::new(&vision(Shape::Moore, 1.0));
        for topology in [Topology::Torus, Topology::Bounded] {
            let mut grid = Grid::new(5, 5, topology);
            let mut world = World::new();
            for (x, y) in [(4, 4), (1, 0), (0, 1), (2, 2)] {
                let e = world.spawn_empty().id();
                grid.place(Position { x, y }, e, FORCE);
            }
            let corner = Position { x: 0, y: 0 };
            let n = grid.count(corner, &shape, |f| f & FORCE != 0);
            // (4,4) is a diagonal neighbour of (0,0) only on the torus.
            assert_eq!(n, if topology == Topology::Torus { 3 } else { 2 });
            let brute: u32 = shape
                .offsets()
                .filter_map(|(dx, dy)| {
                    let (x, y) = (dx, dy);
                    if topology == Topology::Torus {
                        Some(Position { x: x.rem_euclid(5) as u16, y: y.rem_euclid(5) as u16 })
                    } else if x >= 0 && y >= 0 {
                        Some(Position { x: x as u16, y: y as u16 })
                    } else {
                        None
                    }
                })
                .map(|p| u32::from(grid.flags(p) & FORCE != 0))
                .sum();
            assert_eq!(n, brute);
        }
    }

    #[test]
    fn swar_counts_match_a_brute_force_scan_even_past_255() {
        use rand::SeedableRng;
        // A full 40x40 torus, Moore radius 15: 960 cells in view, so both counts exceed a byte.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for (width, shape) in [(40, Shape::Moore), (130, Shape::Euclidean), (40, Shape::VonNeumann)] {
            let vision = Vision { shape, radius: 15.0 };
            let neighbourhood = Neighbourhood::new(&vision);
            let mut grid = Grid::new(width, 40, Topology::Torus);
            let mut world = World::new();
            for i in 0..grid.cells() {
                let roll: f64 = rng.random();
                let flags = if roll < 0.3 {
                    FORCE
                } else if roll < 0.9 {
                    citizen_flags(0, roll < 0.6)
                } else {
                    continue;
                };
                let p = grid.position(i);
                grid.place(p, world.spawn_empty().id(), flags);
            }
            for probe in [Position { x: 0, y: 0 }, Position { x: 17, y: 39 }, Position { x: (width - 1) as u16, y: 20 }]
            {
                let brute_forces = grid.count(probe, &neighbourhood, |f| f & FORCE != 0);
                let brute_actives = grid.count(probe, &neighbourhood, |f| f & ACTIVE != 0);
                assert!(brute_forces > 255 || brute_actives > 255 || shape != Shape::Moore);
                assert_eq!(grid.count_forces_and_actives(probe, &neighbourhood, 0), (brute_forces, brute_actives));
                assert_eq!(grid.count_actives(probe, &neighbourhood, 1), brute_actives);
            }
        }
    }

    #[test]
    fn bit_plane_paths_agree_with_byte_scans_on_both_topologies() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        for topology in [Topology::Torus, Topology::Bounded] {
            for (width, vision) in [
                (40, Vision { shape: Shape::Euclidean, radius: 7.0 }),
                (64, Vision { shape: Shape::Moore, radius: 3.0 }),
                (33, Vision { shape: Shape::VonNeumann, radius: 7.0 }),
                (100, Vision { shape: Shape::Euclidean, radius: 7.0 }),
                (150, Vision { shape: Shape::Moore, radius: 5.0 }),
            ] {
                let shape = Neighbourhood::new(&vision);
                // The same shape with column masks for this grid (widths up to 64), and bound to another grid
                // (so the masks do not apply and the general path runs).
                let bound = shape.clone().bind(width, 30, topology);
                assert_eq!(bound.columns.is_some(), width <= 64, "{topology:?} {width}");
                let elsewhere = shape.clone().bind(width - 1, 30, topology);
                let mut grid = Grid::new(width, 30, topology);
                let mut world = World::new();
                for i in 0..grid.cells() {
                    let roll: f64 = rng.random();
                    let flags = if roll < 0.1 {
                        FORCE
                    } else if roll < 0.8 {
                        citizen_flags(u8::from(roll < 0.45), roll < 0.3 || (0.5..0.6).contains(&roll))
                    } else {
                        continue;
                    };
                    grid.place(grid.position(i), world.spawn_empty().id(), flags);
                }
                for _ in 0..200 {
                    let centre = grid.position(rng.random_range(0..grid.cells()));
                    let own_active = |g: u8| move |f: u8| f & (ACTIVE | GROUP_MASK) == ACTIVE | (g << GROUP_SHIFT);
                    for group in 0..2u8 {
                        let expected = (
                            grid.count(centre, &shape, |f| f & FORCE != 0),
                            grid.count(centre, &shape, own_active(group)),
                        );
                        let own = grid.flags(centre);
                        let own_active =
                            u32::from(own & (FORCE | ACTIVE | GROUP_MASK) == ACTIVE | (group << GROUP_SHIFT));
                        let with_centre = (expected.0 + u32::from(own & FORCE != 0), expected.1 + own_active);
                        for shape in [&shape, &bound, &elsewhere] {
                            assert_eq!(grid.count_forces_and_actives(centre, shape, group), expected);
                            assert_eq!(grid.count_forces_and_actives_with_centre(centre, shape, group), with_centre);
                        }
                    }
                    for groups in 1..=2usize {
                        let in_groups =
                            |f: u8| f & ACTIVE != 0 && (((f & GROUP_MASK) >> GROUP_SHIFT) as usize) < groups;
                        let n = grid.count(centre, &shape, in_groups);
                        for shape in [&shape, &bound, &elsewhere] {
                            assert_eq!(grid.count_actives(centre, shape, groups), n);
                        }
                        for k in 0..=n {
                            let expected = grid.nth(centre, &shape, k, in_groups).map(|i| grid.position(i));
                            assert_eq!(
                                grid.nth_active(centre, &shape, groups, k),
                                expected,
                                "{topology:?} {width} {centre:?} k={k}"
                            );
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fighter_planes_count_and_pick_what_byte_scans_do() {
        use rand::SeedableRng;
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for topology in [Topology::Torus, Topology::Bounded] {
            for (width, vision) in [
                (60, Vision { shape: Shape::Moore, radius: 3.0 }),
                (80, Vision { shape: Shape::Moore, radius: 2.0 }),
                (64, Vision { shape: Shape::Euclidean, radius: 7.0 }),
                (150, Vision { shape: Shape::VonNeumann, radius: 5.0 }),
                (70, Vision { shape: Shape::Moore, radius: 20.0 }),
            ] {
                let shape = Neighbourhood::new(&vision);
                let bound = shape.clone().bind(width, 45, topology);
                let mut grid = Grid::new(width, 45, topology);
                let mut world = World::new();
                for i in 0..grid.cells() {
                    let roll = rng.random_range(0..100u32);
                    let flags = match roll {
                        0..5 => FORCE,
                        5..25 => fighter_flags((roll % 5) as u8, roll % 5 == 0),
                        25..70 => citizen_flags((roll % 2) as u8, roll % 7 == 0),
                        _ => continue,
                    };
                    grid.place(grid.position(i), world.spawn_empty().id(), flags);
                }
                for round in 0..300 {
                    let centre = grid.position(rng.random_range(0..grid.cells()));
                    let factions = rng.random_range(0..32u32) as u8;
                    let of = |f: u8| f & (FORCE | FIGHTER) == FORCE | FIGHTER && factions >> group_of(f) & 1 == 1;
                    let n = grid.count(centre, &shape, of);
                    for s in [&shape, &bound] {
                        assert_eq!(grid.count_fighters(centre, s, factions), n, "{topology:?} {width} {round}");
                    }
                    for k in 0..=n {
                        let expected = grid.nth(centre, &shape, k, of).map(|i| grid.position(i));
                        assert_eq!(
                            grid.nth_fighter(centre, &bound, factions, k),
                            expected,
                            "{topology:?} {width} k={k}"
                        );
                    }
                    // Keep the planes changing: a fighter moves, changes side or dies; a citizen joins up.
                    let f = grid.flags(centre);
                    if is_fighter(f) {
                        match round % 3 {
                            0 => {
                                if let Some(to) = grid.random_empty_in(centre, &shape, &mut rng) {
                                    grid.relocate(centre, to);
                                }
                            }
                            1 => grid.set_flags(centre, fighter_flags((group_of(f) as u8 + 1) % 5, false)),
                            _ => grid.clear(centre),
                        }
                    } else if f & (OCCUPIED | FORCE | WATER) == OCCUPIED {
                        grid.set_flags(centre, fighter_flags((round % 5) as u8, false));
                    }
                }
                // A checkpoint's restore rebuilds the planes from the flags alone.
                let (flags, occupants) = grid.cell_state(world.entities());
                let mut restored = Grid::new(width, 45, topology);
                assert!(restored.restore_cells(&flags, &occupants));
                assert_eq!(restored.fighter_planes, grid.fighter_planes);
                assert_eq!(restored.cell_state(world.entities()), (flags, occupants));
            }
        }
    }

    #[test]
    fn occupants_are_the_live_entities_placed_moved_and_cleared() {
        let mut world = World::new();
        let mut grid = Grid::new(5, 4, Topology::Torus);
        let (a, b) = (world.spawn_empty().id(), world.spawn_empty().id());
        let (p, q, r) = (Position { x: 0, y: 0 }, Position { x: 4, y: 3 }, Position { x: 2, y: 1 });
        grid.place(p, a, citizen_flags(0, false));
        grid.place(q, b, FORCE);
        assert_eq!(grid.occupant(p, world.entities()), Some(a));
        assert_eq!(grid.occupant(q, world.entities()), Some(b));
        assert_eq!(grid.occupant_index(q), Some(b.index()));
        assert_eq!(grid.occupant(r, world.entities()), None);
        grid.relocate(p, r);
        assert_eq!((grid.occupant(p, world.entities()), grid.occupant(r, world.entities())), (None, Some(a)));
        grid.clear(q);
        assert_eq!(grid.occupant(q, world.entities()), None);
        grid.place(q, b, citizen_flags(1, true));
        let (_, occupants) = grid.cell_state(world.entities());
        assert_eq!(occupants.iter().flatten().count(), 2);
        assert_eq!((occupants[grid.index(r)], occupants[grid.index(q)]), (Some(a), Some(b)));
    }

    #[test]
    fn column_masks_are_only_built_where_rows_do_not_wrap_onto_themselves() {
        let disc = Neighbourhood::new(&vision(Shape::Euclidean, 7.0));
        // A torus 14 wide would see the 15-cell middle row wrap onto itself, one 14 high the 15 rows.
        assert!(disc.clone().bind(15, 15, Topology::Torus).columns.is_some());
        assert!(disc.clone().bind(14, 40, Topology::Torus).columns.is_none());
        assert!(disc.clone().bind(40, 14, Topology::Torus).columns.is_none());
        // A bounded grid clips instead of wrapping; a grid wider than a word takes the general path.
        assert!(disc.clone().bind(10, 10, Topology::Bounded).columns.is_some());
        assert!(disc.clone().bind(65, 40, Topology::Bounded).columns.is_none());
        // Masks of a small bounded grid: the middle row around column 1 clipped to columns 0..=8.
        let bound = disc.bind(10, 10, Topology::Bounded);
        let masks = &bound.columns.as_ref().expect("bound").masks;
        assert_eq!(masks[15 + 7], 0b1_1111_1111);
        // ... and on a torus 15 wide around column 0: every column.
        let torus = Neighbourhood::new(&vision(Shape::Euclidean, 7.0)).bind(15, 15, Topology::Torus);
        assert_eq!(torus.columns.as_ref().expect("bound").masks[7], (1 << 15) - 1);
    }

    #[test]
    fn random_in_finds_the_only_empty_cell() {
        use rand::SeedableRng;
        let shape = Neighbourhood::new(&vision(Shape::Moore, 1.0));
        let mut grid = Grid::new(3, 3, Topology::Torus);
        let mut world = World::new();
        for i in 0..9 {
            if i != 7 {
                let e = world.spawn_empty().id();
                let p = grid.position(i);
                grid.place(p, e, 0);
            }
        }
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        for _ in 0..20 {
            let p = grid.random_in(Position { x: 1, y: 1 }, &shape, &mut rng, |f| f & OCCUPIED == 0);
            assert_eq!(p, Some(grid.position(7)));
        }
        grid.place(grid.position(7), world.spawn_empty().id(), 0);
        assert_eq!(grid.random_in(Position { x: 1, y: 1 }, &shape, &mut rng, |f| f & OCCUPIED == 0), None);
        assert_eq!(grid.random_empty(&mut rng), None);
    }

    #[test]
    fn random_empty_in_draws_and_finds_what_random_in_does() {
        use rand::SeedableRng;
        // Grids wider than a word, bounded and torus, some full neighbourhoods, water, moves and clears: the
        // bit-plane probe must give the same cell from the same draws as the flag-byte probe.
        for (topology, width) in [(Topology::Torus, 70u32), (Topology::Bounded, 70), (Topology::Torus, 40)] {
            let mut grid = Grid::new(width, 30, topology);
            let mut world = World::new();
            let mut rng = ChaCha8Rng::seed_from_u64(u64::from(width));
            for i in 0..grid.cells() {
                let p = grid.position(i);
                match rng.random_range(0..100u32) {
                    0..5 => grid.set_water(p),
                    5..85 => grid.place(p, world.spawn_empty().id(), 0),
                    _ => {}
                }
            }
            for round in 0..2000u32 {
                let shape = Neighbourhood::new(&vision(
                    if round % 2 == 0 { Shape::Moore } else { Shape::VonNeumann },
                    f64::from(1 + round % 7),
                ));
                let centre = grid.position(rng.random_range(0..grid.cells()));
                let (mut a, mut b) = (rng.clone(), rng.clone());
                let by_flags = grid.random_in(centre, &shape, &mut a, |f| f & OCCUPIED == 0);
                let by_plane = grid.random_empty_in(centre, &shape, &mut b);
                assert_eq!(by_flags, by_plane, "round {round}");
                assert_eq!(a.get_word_pos(), b.get_word_pos(), "round {round}");
                rng = a;
                // Keep the grid changing: move an occupant or clear a cell.
                if let Some(to) = by_plane
                    && grid.flags(centre) & (OCCUPIED | WATER) == OCCUPIED
                {
                    grid.relocate(centre, to);
                } else if grid.flags(centre) & WATER == 0 {
                    grid.clear(centre);
                }
            }
        }
    }
}
