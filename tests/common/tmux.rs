//! Driving the TUI in a real terminal (tmux), as a person would: send keys,
//! read the screen. Each session has its own tmux server socket.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: String,
}

impl Tmux {
    /// Starts `command` (run by sh) in a new tmux session of `width`×`height`.
    pub fn start(command: &str, width: u16, height: u16) -> Tmux {
        let socket = format!("kubetutor-test-{:08x}", rand::random::<u32>());
        let tmux = Tmux { socket };
        let status = tmux
            .cmd(&[
                "new-session",
                "-d",
                "-s",
                "t",
                "-x",
                &width.to_string(),
                "-y",
                &height.to_string(),
                command,
            ])
            .status()
            .expect("tmux runs");
        assert!(status.success(), "tmux new-session failed");
        let _ = tmux
            .cmd(&["set-option", "-t", "t", "remain-on-exit", "on"])
            .status();
        // OSC 52 from the program lands in tmux's paste buffer (`clipboard`).
        let _ = tmux
            .cmd(&["set-option", "-s", "set-clipboard", "on"])
            .status();
        tmux
    }

    /// What the program last put on the clipboard (OSC 52), as tmux holds it.
    #[allow(dead_code)]
    pub fn clipboard(&self) -> String {
        let out = self.cmd(&["show-buffer"]).output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn cmd(&self, args: &[&str]) -> Command {
        let mut command = Command::new("tmux");
        command
            .args(["-L", &self.socket])
            .args(args)
            .env_remove("TMUX");
        command
    }

    /// Sends tmux key names (Enter, Down, C-s, …).
    pub fn keys(&self, keys: &[&str]) {
        for key in keys {
            assert!(
                self.cmd(&["send-keys", "-t", "t", key])
                    .status()
                    .unwrap()
                    .success()
            );
            std::thread::sleep(Duration::from_millis(30));
        }
    }

    /// Types text literally.
    pub fn type_text(&self, text: &str) {
        assert!(
            self.cmd(&["send-keys", "-t", "t", "-l", text])
                .status()
                .unwrap()
                .success()
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    /// Pastes `text` as a terminal does: bracketed when the program asked
    /// for it (tmux's `paste-buffer -p`), newlines as carriage returns.
    #[allow(dead_code)]
    pub fn paste(&self, text: &str) {
        assert!(
            self.cmd(&["set-buffer", "-b", "kt", text])
                .status()
                .unwrap()
                .success()
        );
        assert!(
            self.cmd(&["paste-buffer", "-p", "-d", "-b", "kt", "-t", "t"])
                .status()
                .unwrap()
                .success()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    /// Moves the editor cursor `down` lines from the top, to the end of that
    /// line, and types `text`.
    #[allow(dead_code)]
    pub fn edit_line(&self, down: usize, text: &str) {
        self.keys(&["C-Home"]);
        for _ in 0..down {
            self.keys(&["Down"]);
        }
        self.keys(&["End"]);
        self.type_text(text);
    }

    /// The screen with its colours, as terminal escape sequences.
    #[allow(dead_code)] // only the README's screen recorder uses it
    pub fn screen_with_colours(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p", "-e", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub fn screen(&self) -> String {
        let out = self
            .cmd(&["capture-pane", "-p", "-t", "t"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Waits until the screen contains `text` (also across a wrapped line);
    /// panics with the screen if it does not within `timeout`.
    pub fn wait_for(&self, text: &str, timeout: Duration) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if screen.contains(text) || screen.replace('\n', "").contains(text) {
                return screen;
            }
            if start.elapsed() > timeout {
                panic!("waited {timeout:?} for {text:?}; the screen shows:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    /// Whether the program in the pane asked for mouse events (and has not
    /// given them back).
    #[allow(dead_code)]
    pub fn mouse_tracking(&self) -> bool {
        let out = self
            .cmd(&["display-message", "-p", "-t", "t", "#{mouse_any_flag}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Pid of the process running in the pane.
    pub fn pane_pid(&self) -> i32 {
        let out = self
            .cmd(&["list-panes", "-t", "t", "-F", "#{pane_pid}"])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .expect("a pane pid")
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]).status();
    }
}

/// The text inside the box titled `title` on `screen`, its lines joined by
/// spaces: what a pane says, whatever its wrapping.
pub fn pane_text(screen: &str, title: &str) -> String {
    let rows: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    // A pane without the focus, and the focused one (thick border, ▶).
    let frames = [("┌ ", '┐', '└'), ("┏▶ ", '┓', '┗')];
    for (r, row) in rows.iter().enumerate() {
        for (corner, right_corner, bottom) in frames {
            let marker: Vec<char> = format!("{corner}{title}").chars().collect();
            let Some(left) = (0..row.len()).find(|&c| row[c..].starts_with(&marker)) else {
                continue;
            };
            let Some(right) = (left + 1..row.len()).find(|&c| row[c] == right_corner) else {
                continue;
            };
            let mut text = Vec::new();
            for line in &rows[r + 1..] {
                if line.get(left) == Some(&bottom) {
                    break;
                }
                let inner: String = line.iter().skip(left + 1).take(right - left - 1).collect();
                text.push(inner.trim().to_string());
            }
            return text
                .into_iter()
                .filter(|t| !t.is_empty())
                .collect::<Vec<_>>()
                .join(" ");
        }
    }
    String::new()
}

/// The shell command that runs the TUI in `namespace` with its own state
/// folder, then reports how it exited and whether the terminal is back in
/// canonical mode ("EXITED 0 MODE icanon END").
pub fn tui_command(state: &Path, kubeconfig: &Path, namespace: &str, extra_env: &str) -> String {
    format!(
        "cd {dir} && XDG_STATE_HOME={state} KUBECONFIG={kubeconfig} {extra_env} {bin} -n {namespace}; \
         code=$?; mode=$(stty -a | tr ' ' '\\n' | grep -x -e icanon -e -icanon); \
         echo \"EXITED $code MODE $mode END\"; sleep 60",
        dir = env!("CARGO_MANIFEST_DIR"),
        state = state.display(),
        kubeconfig = kubeconfig.display(),
        bin = super::KUBETUTOR,
    )
}

/// The line of step `number` in the Steps pane, with its mark.
pub fn step_line(screen: &str, number: usize) -> String {
    let needle = format!(" {number:>2} ");
    screen
        .lines()
        .find_map(|line| {
            let at = line.find(&needle)?;
            let mark = line[..at].chars().last()?;
            matches!(mark, '✓' | '✗' | '!' | '?' | '·' | '○' | '▶')
                .then(|| line[at - mark.len_utf8()..].chars().take(40).collect())
        })
        .unwrap_or_default()
}

pub fn wait_for_mark(tmux: &Tmux, timeout: Duration, number: usize, mark: char) -> String {
    let start = Instant::now();
    loop {
        let screen = tmux.screen();
        if step_line(&screen, number).starts_with(mark) {
            return screen;
        }
        assert!(
            start.elapsed() < timeout,
            "step {number} is not marked {mark} after {timeout:?}:\n{screen}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}
