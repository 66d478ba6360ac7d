//! Text maps of a [`Frame`] for `peacesim replay`: one character per cell, a legend, and a status panel
//! from the tick's metrics. With colour (a terminal), the ground is shaded by the faction in control.

use peacesim_core::frames::{CellCode, Frame};
use std::fmt::Write as _;

/// The character of faction `f`'s fighters: `1` to `9`, then `a` to `z`.
pub(crate) fn fighter_char(f: i8) -> char {
    const DIGITS: &[u8] = b"123456789abcdefghijklmnopqrstuvwxyz";
    usize::try_from(f).ok().and_then(|i| DIGITS.get(i)).map_or('?', |&b| char::from(b))
}

/// 256-colour backgrounds for controlled ground, by faction index (pale, so the characters stay legible).
pub(crate) const TINTS: [u8; 8] = [153, 223, 158, 229, 225, 195, 252, 230];

/// One character per cell, row-major: `~` water, `.` empty, `o` civilian, `d` displaced, `A` active, `j`
/// jailed, `c` security forces, `1`-`9` then `a`-`z` fighters by faction; on top, units `T` troops, `P` police,
/// `O` observers, `C` convoys and `X` this tick's incidents.
pub(crate) fn chars(frame: &Frame) -> Vec<char> {
    let w = frame.width as usize;
    let mut chars: Vec<char> = frame
        .cells
        .iter()
        .zip(&frame.fighters)
        .map(|(&code, &fighter)| match CellCode::from_number(code) {
            Some(CellCode::Water) => '~',
            Some(CellCode::Civilian) => 'o',
            Some(CellCode::Displaced) => 'd',
            Some(CellCode::Active) => 'A',
            Some(CellCode::Jailed) => 'j',
            Some(CellCode::Cop) => 'c',
            Some(CellCode::Fighter) => fighter_char(fighter),
            Some(CellCode::Empty) | None => '.',
        })
        .collect();
    let mut put = |x: u16, y: u16, c: char| {
        if let Some(cell) = chars.get_mut(usize::from(y) * w + usize::from(x)) {
            *cell = c;
        }
    };
    for u in &frame.units {
        put(
            u.x,
            u.y,
            match u.role.as_str() {
                "troops" => 'T',
                "police" => 'P',
                _ => 'O',
            },
        );
    }
    for c in &frame.convoys {
        put(c.x, c.y, 'C');
    }
    for i in &frame.incidents {
        put(i.x, i.y, 'X');
    }
    chars
}

/// The map as rows of [`chars`] (and, with `colour`, ANSI backgrounds for control).
pub(crate) fn map(frame: &Frame, colour: bool) -> String {
    let (w, h) = (frame.width as usize, frame.height as usize);
    let chars = chars(frame);
    let mut out = String::with_capacity((w + 1) * h * if colour { 12 } else { 1 });
    for y in 0..h {
        let mut tint: Option<u8> = None;
        for x in 0..w {
            let i = y * w + x;
            if colour {
                let want = usize::try_from(frame.control[i]).ok().map(|f| TINTS[f % TINTS.len()]);
                if want != tint {
                    match want {
                        Some(t) => {
                            let _ = write!(out, "\x1b[30;48;5;{t}m");
                        }
                        None => out.push_str("\x1b[0m"),
                    }
                    tint = want;
                }
            }
            out.push(chars[i]);
        }
        if colour && tint.is_some() {
            out.push_str("\x1b[0m");
        }
        out.push('\n');
    }
    out
}

/// The legend of the characters that appear in `frame`.
pub(crate) fn legend(frame: &Frame) -> String {
    let mut items: Vec<String> = Vec::new();
    let has = |code: CellCode| frame.cells.contains(&(code as u8));
    for (code, text) in [
        (CellCode::Water, "~ water"),
        (CellCode::Empty, ". empty"),
        (CellCode::Civilian, "o civilian"),
        (CellCode::Displaced, "d displaced"),
        (CellCode::Active, "A active"),
        (CellCode::Jailed, "j jailed"),
        (CellCode::Cop, "c security forces"),
    ] {
        if has(code) {
            items.push(text.to_owned());
        }
    }
    for (f, name) in frame.factions.iter().enumerate() {
        let f = f as i8;
        if frame.fighters.contains(&f) {
            items.push(format!("{} {name} fighter", fighter_char(f)));
        }
    }
    for (role, text) in [("troops", "T troops"), ("police", "P police"), ("observers", "O observers")] {
        if frame.units.iter().any(|u| u.role == role) {
            items.push(text.to_owned());
        }
    }
    if !frame.convoys.is_empty() {
        items.push("C aid convoy".to_owned());
    }
    if !frame.incidents.is_empty() {
        items.push("X incident".to_owned());
    }
    items.join(" | ")
}

/// A status panel from the tick's metrics: people, factions, peacekeeping, aid and this tick's incidents.
pub(crate) fn status(frame: &Frame, metric: &dyn Fn(&str) -> Option<f64>) -> String {
    let n = |name: &str| metric(name).unwrap_or(0.0);
    let mut out = String::new();
    let people = metric("people").unwrap_or_else(|| n("alive"));
    let _ = writeln!(
        out,
        "people {:.0}: displaced {:.0}, active {:.0}, jailed {:.0}; today civilian deaths {:.0}, combatant deaths {:.0}",
        people,
        n("displaced"),
        n("active"),
        n("jailed"),
        n("civilian_deaths"),
        n("combatant_deaths")
    );
    for name in &frame.factions {
        if let Some(fighters) = metric(&format!("fighters_{name}")) {
            let _ = writeln!(
                out,
                "faction {name}: {fighters:.0} fighters, {:.0}% of the territory",
                100.0 * metric(&format!("territory_{name}")).unwrap_or(0.0)
            );
        }
    }
    if !frame.units.is_empty() || metric("peacekeepers").is_some_and(|p| p > 0.0) {
        let count = |role: &str| frame.units.iter().filter(|u| u.role == role).count();
        let _ = writeln!(
            out,
            "peacekeeping: {:.0} people in {} units ({} troops, {} police, {} observers); today {:.0} incidents, {:.0} reached; mean response {:.2} days; trust {:.2}",
            n("peacekeepers"),
            frame.units.len(),
            count("troops"),
            count("police"),
            count("observers"),
            n("incidents"),
            n("incidents_reached"),
            n("mean_response_time"),
            n("mean_trust")
        );
    }
    if metric("aid_supplied_total").is_some() {
        let _ = writeln!(
            out,
            "aid: {} convoys on the road ({:.0} food in transit); delivered {:.0}, looted {:.0} in all; food insecure {:.0}%",
            frame.convoys.len(),
            n("aid_in_transit"),
            n("aid_delivered_total"),
            n("aid_looted_total"),
            100.0 * n("food_insecure_share")
        );
    }
    if !frame.incidents.is_empty() {
        let mut kinds: Vec<(&str, usize)> = Vec::new();
        for i in &frame.incidents {
            match kinds.iter_mut().find(|(k, _)| *k == i.kind) {
                Some((_, c)) => *c += 1,
                None => kinds.push((&i.kind, 1)),
            }
        }
        let list: Vec<String> = kinds.iter().map(|(k, c)| format!("{c} {k}")).collect();
        let _ = writeln!(out, "incidents today: {}", list.join(", "));
    }
    out
}

/// Unit `u` of the frame (in frame order): its role, strength, contingent and position.
pub(crate) fn unit(sim: &peacesim_core::Simulation, frame: &Frame, u: usize) -> String {
    let Some(unit) = frame.units.get(u) else {
        return format!("no unit {} (the map has {})", u + 1, frame.units.len());
    };
    let contingent = sim
        .params()
        .peacekeeping
        .as_ref()
        .and_then(|p| p.contingents.keys().nth(usize::from(unit.contingent)))
        .cloned()
        .unwrap_or_else(|| format!("#{}", unit.contingent));
    format!(
        "unit {} of {}: {}, {} people, contingent {contingent}, at ({}, {})",
        u + 1,
        frame.units.len(),
        unit.role,
        unit.strength,
        unit.x,
        unit.y
    )
}

/// District `d` (index into the map's sorted district names): residents, displaced, who holds most of its
/// cells and this tick's incidents in it.
pub(crate) fn district(sim: &peacesim_core::Simulation, frame: &Frame, d: usize) -> String {
    let params = sim.world().resource::<peacesim_core::Params>();
    let Some(map) = params.map.as_ref() else { return "the scenario has no map".to_owned() };
    let Some(name) = map.districts.get(d) else { return format!("no district {d}") };
    let w = frame.width as usize;
    let cells: Vec<usize> = (0..map.district.len()).filter(|&i| map.district[i] == Some(d as u16)).collect();
    let mut held = vec![0usize; frame.factions.len()];
    for &i in &cells {
        if let Some(h) = usize::try_from(frame.control[i]).ok().and_then(|f| held.get_mut(f)) {
            *h += 1;
        }
    }
    let holder = held
        .iter()
        .enumerate()
        .max_by_key(|&(_, n)| *n)
        .filter(|&(_, n)| *n > 0)
        .map_or("nobody".to_owned(), |(f, n)| {
            format!("{} ({}% of its cells)", frame.factions[f], 100 * n / cells.len().max(1))
        });
    let incidents = frame
        .incidents
        .iter()
        .filter(|x| map.district[usize::from(x.y) * w + usize::from(x.x)] == Some(d as u16))
        .count();
    let metric = |m: &str| sim.metric(m).map_or("-".to_owned(), |v| format!("{v:.0}"));
    format!(
        "district {name}: {} residents, {} displaced from it, held by {holder}, {incidents} incidents today",
        metric(&format!("alive_{name}")),
        metric(&format!("displaced_{name}"))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use peacesim_core::frames::{FrameIncident, FrameUnit};

    fn frame() -> Frame {
        Frame {
            tick: 4,
            width: 4,
            height: 2,
            factions: vec!["army".into(), "rebels".into()],
            control: vec![0, 0, -1, 1, 0, -1, 1, 1],
            cells: vec![2, 3, 1, 7, 0, 7, 4, 6],
            fighters: vec![-1, -1, -1, 1, -1, 0, -1, -1],
            units: vec![FrameUnit { x: 0, y: 1, role: "troops".into(), strength: 150, contingent: 0 }],
            convoys: vec![],
            incidents: vec![FrameIncident { x: 3, y: 0, kind: "combat_death".into() }],
        }
    }

    #[test]
    fn maps_overlay_units_and_incidents() {
        let f = frame();
        assert_eq!(map(&f, false), "od~X\nT1Ac\n");
        let coloured = map(&f, true);
        assert!(coloured.contains("\x1b[30;48;5;153m") && coloured.ends_with("\x1b[0m\n"), "{coloured:?}");
        let legend = legend(&f);
        assert_eq!(
            legend,
            "~ water | . empty | o civilian | d displaced | A active | c security forces | 1 army fighter | 2 rebels fighter | T troops | X incident"
        );
        let status = status(&f, &|m: &str| match m {
            "people" => Some(3.0),
            "fighters_army" => Some(1.0),
            "territory_army" => Some(0.375),
            _ => None,
        });
        assert!(status.contains("faction army: 1 fighters, 38% of the territory"), "{status}");
        assert!(status.contains("incidents today: 1 combat_death"), "{status}");
    }
}
