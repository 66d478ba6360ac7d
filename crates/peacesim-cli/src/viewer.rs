//! The full-screen viewer of `peacesim replay` (ratatui): the map, a status panel and keys to step, play and
//! pause, jump to a tick (forward by running on, backward by replaying from the start, which determinism
//! makes exact), inspect a unit or a district, and quit.

use crate::textmap::{legend, status};
use anyhow::Context;
use peacesim_core::Simulation;
use peacesim_core::frames::Frame;
use peacesim_scenario::Scenario;
use ratatui::crossterm::event::{self, Event, KeyCode, KeyEventKind};
use ratatui::layout::{Constraint, Layout};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use std::time::Duration;

/// The keys, as the help line shows them.
const HELP: &str =
    "space play/pause · n or → step · g jump to tick · u next unit · d next district · esc clear · q quit";

struct Viewer<'a> {
    scenario: &'a Scenario,
    seed: u64,
    ticks: u64,
    sim: Simulation,
    frame: Frame,
    playing: bool,
    /// Digits typed after `g`.
    jump: Option<String>,
    unit: Option<usize>,
    district: Option<usize>,
    message: String,
}

/// Runs the viewer on the terminal until the user quits. The terminal is restored on every exit path.
pub(crate) fn view(scenario: &Scenario, seed: u64, ticks: u64) -> anyhow::Result<()> {
    let sim = Simulation::new(scenario, seed)?;
    let frame = sim.frame();
    let mut v = Viewer {
        scenario,
        seed,
        ticks,
        sim,
        frame,
        playing: false,
        jump: None,
        unit: None,
        district: None,
        message: String::new(),
    };
    let mut terminal = ratatui::try_init().context("cannot open the terminal for the viewer")?;
    let result = v.run(&mut terminal);
    ratatui::restore();
    result
}

impl Viewer<'_> {
    fn run(&mut self, terminal: &mut ratatui::DefaultTerminal) -> anyhow::Result<()> {
        loop {
            terminal.draw(|f| self.draw(f))?;
            let wait = if self.playing { Duration::from_millis(100) } else { Duration::from_millis(500) };
            if event::poll(wait)? {
                if let Event::Key(key) = event::read()?
                    && key.kind == KeyEventKind::Press
                    && !self.key(key.code)?
                {
                    return Ok(());
                }
            } else if self.playing {
                if self.sim.tick() < self.ticks {
                    self.step();
                } else {
                    self.playing = false;
                    self.message = "the end of the run".to_owned();
                }
            }
        }
    }

    /// Handles a key; `false` to quit.
    fn key(&mut self, code: KeyCode) -> anyhow::Result<bool> {
        if let Some(digits) = &mut self.jump {
            match code {
                KeyCode::Char(c) if c.is_ascii_digit() => digits.push(c),
                KeyCode::Backspace => {
                    digits.pop();
                }
                KeyCode::Enter => {
                    let target = digits.parse::<u64>().unwrap_or(0);
                    self.jump = None;
                    self.jump_to(target)?;
                }
                KeyCode::Esc => self.jump = None,
                _ => {}
            }
            return Ok(true);
        }
        match code {
            KeyCode::Char('q') => return Ok(false),
            KeyCode::Char(' ') => self.playing = !self.playing,
            KeyCode::Char('n') | KeyCode::Right => {
                self.playing = false;
                if self.sim.tick() < self.ticks {
                    self.step();
                }
            }
            KeyCode::Char('g') => {
                self.playing = false;
                self.jump = Some(String::new());
            }
            KeyCode::Char('u') => {
                let n = self.frame.units.len();
                self.unit = if n == 0 { None } else { Some(self.unit.map_or(0, |u| (u + 1) % n)) };
                self.district = None;
                if n == 0 {
                    self.message = "no peacekeeping units on the map".to_owned();
                }
            }
            KeyCode::Char('d') => {
                let n = self.districts().len();
                self.district = if n == 0 { None } else { Some(self.district.map_or(0, |d| (d + 1) % n)) };
                self.unit = None;
                if n == 0 {
                    self.message = "the scenario has no districts".to_owned();
                }
            }
            KeyCode::Esc => (self.unit, self.district) = (None, None),
            _ => {}
        }
        Ok(true)
    }

    fn step(&mut self) {
        self.sim.step();
        self.frame = self.sim.frame();
        self.message.clear();
    }

    /// Runs on to `target`, or replays from the start when it lies in the past.
    fn jump_to(&mut self, target: u64) -> anyhow::Result<()> {
        let target = target.min(self.ticks);
        if target < self.sim.tick() {
            self.sim = Simulation::new(self.scenario, self.seed)?;
        }
        let now = self.sim.tick();
        self.sim.run(target - now);
        self.frame = self.sim.frame();
        self.message = format!("jumped to {} {target}", self.unit_word());
        Ok(())
    }

    fn unit_word(&self) -> &'static str {
        if self.frame.factions.is_empty() { "tick" } else { "day" }
    }

    fn districts(&self) -> &[String] {
        self.sim.world().resource::<peacesim_core::Params>().map.as_ref().map_or(&[], |m| &m.districts[..])
    }

    /// Whether cell `i` is highlighted (the selected unit's cell or the selected district's cells).
    fn highlighted(&self, i: usize) -> bool {
        let w = self.frame.width as usize;
        if let Some(u) = self.unit.and_then(|u| self.frame.units.get(u)) {
            return i == usize::from(u.y) * w + usize::from(u.x);
        }
        match (self.district, self.sim.world().resource::<peacesim_core::Params>().map.as_ref()) {
            (Some(d), Some(map)) => map.district.get(i).copied().flatten() == Some(d as u16),
            _ => false,
        }
    }

    fn draw(&self, f: &mut ratatui::Frame<'_>) {
        let [main, help] = Layout::vertical([Constraint::Min(3), Constraint::Length(1)]).areas(f.area());
        let map_width = (self.frame.width as u16).saturating_add(2);
        let [map_area, panel] = Layout::horizontal([Constraint::Length(map_width), Constraint::Min(30)]).areas(main);
        let title = format!(" {} · seed {} ", self.scenario.name, self.seed);
        let rows =
            self.map_lines(map_area.height.saturating_sub(2) as usize, map_area.width.saturating_sub(2) as usize);
        f.render_widget(Paragraph::new(rows).block(Block::bordered().title(title)), map_area);
        f.render_widget(
            Paragraph::new(self.panel_lines()).wrap(Wrap { trim: false }).block(Block::bordered().title(" status ")),
            panel,
        );
        let line = match &self.jump {
            Some(digits) => format!("jump to {}: {digits}_   (enter to go, esc to cancel)", self.unit_word()),
            None => HELP.to_owned(),
        };
        f.render_widget(Paragraph::new(line).style(Style::default().add_modifier(Modifier::DIM)), help);
    }

    /// The map as styled lines: one character per cell, the ground's background by the faction in control,
    /// units, convoys and incidents on top, the selection in reverse video; cropped to `rows` x `cols`.
    fn map_lines(&self, rows: usize, cols: usize) -> Vec<Line<'static>> {
        let fr = &self.frame;
        let (w, h) = (fr.width as usize, fr.height as usize);
        let chars = crate::textmap::chars(fr);
        (0..h.min(rows))
            .map(|y| {
                Line::from(
                    (0..w.min(cols))
                        .map(|x| {
                            let i = y * w + x;
                            let mut style = Style::default().fg(Color::Black);
                            style = match usize::try_from(fr.control[i]) {
                                Ok(f) => {
                                    style.bg(Color::Indexed(crate::textmap::TINTS[f % crate::textmap::TINTS.len()]))
                                }
                                Err(_) if chars[i] == '~' => style.fg(Color::Blue),
                                Err(_) => style.fg(Color::Reset),
                            };
                            if matches!(chars[i], 'T' | 'P' | 'O') {
                                style = style.fg(Color::Blue).add_modifier(Modifier::BOLD);
                            } else if chars[i] == 'X' {
                                style = style.fg(Color::Red).add_modifier(Modifier::BOLD);
                            }
                            if self.highlighted(i) {
                                style = style.add_modifier(Modifier::REVERSED);
                            }
                            Span::styled(chars[i].to_string(), style)
                        })
                        .collect::<Vec<_>>(),
                )
            })
            .collect()
    }

    fn panel_lines(&self) -> Vec<Line<'static>> {
        let fr = &self.frame;
        let state = if self.playing { "playing" } else { "paused" };
        let mut lines = vec![
            Line::from(Span::styled(
                format!("{} {} of {} · {state}", self.unit_word(), self.sim.tick(), self.ticks),
                Style::default().add_modifier(Modifier::BOLD),
            )),
            Line::from(""),
        ];
        let text = status(fr, &|m: &str| self.sim.metric(m));
        lines.extend(text.lines().map(|l| Line::from(l.to_owned())));
        lines.push(Line::from(""));
        lines.push(Line::from(legend(fr)));
        lines.push(Line::from(""));
        if let Some(u) = self.unit {
            lines.push(Line::from(crate::textmap::unit(&self.sim, fr, u)));
        }
        if let Some(d) = self.district {
            lines.push(Line::from(crate::textmap::district(&self.sim, fr, d)));
        }
        if !self.message.is_empty() {
            lines.push(Line::from(self.message.clone()));
        }
        lines
    }
}
