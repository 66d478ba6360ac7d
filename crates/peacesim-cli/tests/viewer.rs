//! The full-screen viewer of `peacesim replay`, driven as a person would drive it: in a tmux session, keys
//! sent with `send-keys`, the screen read back with `capture-pane`. Needs tmux: when it is missing, the test
//! installs Debian's package (as root or through passwordless sudo) and fails with instructions otherwise.

mod common;
use common::ensure_tool;

use std::process::Command;
use std::time::Duration;

struct Session(String);

impl Drop for Session {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["kill-session", "-t", &self.0]).output();
    }
}

fn tmux(args: &[&str]) -> String {
    let o = Command::new("tmux").args(args).output().expect("tmux runs");
    assert!(o.status.success(), "tmux {args:?}: {}", String::from_utf8_lossy(&o.stderr));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Waits until the screen shows `text` (or fails after 200 looks 0.1 s apart), and returns the screen.
fn wait_for(session: &str, text: &str) -> String {
    let mut screen = String::new();
    for _ in 0..200 {
        screen = tmux(&["capture-pane", "-p", "-t", session]);
        if screen.contains(text) {
            return screen;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("`{text}` never appeared; the screen:\n{screen}");
}

fn keys(session: &str, keys: &[&str]) {
    let mut args = vec!["send-keys", "-t", session];
    args.extend_from_slice(keys);
    tmux(&args);
}

#[test]
fn the_viewer_steps_jumps_inspects_plays_and_quits() {
    ensure_tool(&["tmux"], "-V", "tmux");
    let name = format!("peacesim-viewer-{}", std::process::id());
    let command = format!("{} replay district-mission --seed 2; sleep 30", env!("CARGO_BIN_EXE_peacesim"));
    tmux(&["new-session", "-d", "-s", &name, "-x", "170", "-y", "45", &command]);
    let _session = Session(name.clone());
    let screen = wait_for(&name, "day 0 of 365 · paused");
    assert!(screen.contains("district-mission · seed 2") && screen.contains("q quit"), "{screen}");
    // The map: the river crosses it.
    assert!(screen.lines().any(|l| l.contains("~~~~~~~~~~")), "{screen}");

    keys(&name, &["n"]);
    wait_for(&name, "day 1 of 365 · paused");
    keys(&name, &["Right"]);
    wait_for(&name, "day 2 of 365 · paused");

    keys(&name, &["g", "1", "2", "0"]);
    wait_for(&name, "jump to day: 120_");
    keys(&name, &["Enter"]);
    wait_for(&name, "day 120 of 365 · paused");
    // Back in time: replayed from the start, to the same state as running there directly.
    keys(&name, &["g", "3", "0", "Enter"]);
    let screen = wait_for(&name, "day 30 of 365 · paused");
    let direct = Command::new(env!("CARGO_BIN_EXE_peacesim"))
        .args(["replay", "district-mission", "--seed", "2", "--until", "30", "--colour", "never"])
        .output()
        .expect("peacesim runs");
    let direct = String::from_utf8_lossy(&direct.stdout);
    let people = direct.lines().find(|l| l.starts_with("people ")).expect("a people line");
    assert!(screen.contains(people), "the viewer at day 30 shows `{people}`:\n{screen}");

    keys(&name, &["u"]);
    wait_for(&name, "unit 1 of ");
    keys(&name, &["u"]);
    wait_for(&name, "unit 2 of ");
    keys(&name, &["d"]);
    let screen = wait_for(&name, "district camp: ");
    assert!(screen.contains("held by"), "{screen}");

    keys(&name, &["Space"]);
    wait_for(&name, "· playing");
    std::thread::sleep(Duration::from_millis(800));
    keys(&name, &["Space"]);
    let screen = wait_for(&name, "· paused");
    let day: u64 = screen
        .split("day ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|d| d.parse().ok())
        .unwrap_or_else(|| panic!("no day on the screen:\n{screen}"));
    assert!(day > 30, "playing moves time on: day {day}");

    keys(&name, &["q"]);
    // The viewer restores the terminal on quitting; the shell's `sleep` then holds the pane open.
    let quit = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        !tmux(&["capture-pane", "-p", "-t", &name]).contains("q quit")
    });
    assert!(quit, "the viewer did not quit:\n{}", tmux(&["capture-pane", "-p", "-t", &name]));
}
