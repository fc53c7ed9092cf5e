//! A pseudo-terminal to drive keyfolio as a person would: the child runs in a session of
//! its own with the pty as its controlling terminal (so `/dev/tty` works), and its output
//! is collected as it arrives. Used by the tests and by the idle benchmark.
#![allow(unsafe_code)] // libc calls; see the [lints] table in Cargo.toml

use std::io::{Read, Write};
use std::os::fd::FromRawFd;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

pub struct Pty {
    pub child: Child,
    master: std::fs::File,
    output: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pty {
    /// Starts `command` on a new `cols` x `rows` terminal.
    pub fn spawn(mut command: Command, cols: u16, rows: u16) -> std::io::Result<Self> {
        let (master, slave) = open_pty(cols, rows)?;
        command
            .env("TERM", "xterm-256color")
            .stdin(Stdio::from(slave.try_clone()?))
            .stdout(Stdio::from(slave.try_clone()?))
            .stderr(Stdio::from(slave));
        // SAFETY: only async-signal-safe calls between fork and exec.
        unsafe {
            use std::os::unix::process::CommandExt;
            command.pre_exec(|| {
                // The request's integer type differs between Linux and macOS.
                if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY as _, 0) < 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = command.spawn()?;
        // The parent's copies of the slave side must close, or reads never end.
        drop(command);
        let output = Arc::new(Mutex::new(Vec::new()));
        let mut source = master.try_clone()?;
        let sink = output.clone();
        let reader = std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = source.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().unwrap().extend_from_slice(&buf[..n]);
            }
        });
        Ok(Self {
            child,
            master,
            output,
            reader: Some(reader),
        })
    }

    /// Types `bytes` as if on the keyboard.
    pub fn send(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.master.write_all(bytes)?;
        self.master.flush()
    }

    /// Everything the child wrote so far.
    pub fn output(&self) -> String {
        String::from_utf8_lossy(&self.output.lock().unwrap()).into_owned()
    }

    /// The bytes the child wrote from byte `from` on.
    pub fn output_from(&self, from: usize) -> Vec<u8> {
        let out = self.output.lock().unwrap();
        out[from.min(out.len())..].to_vec()
    }

    /// How many bytes the child wrote so far.
    pub fn output_len(&self) -> usize {
        self.output.lock().unwrap().len()
    }

    /// Waits until the output after byte `from` contains `needle`.
    pub fn wait_for(&self, from: usize, needle: &str, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            let found = {
                let out = self.output.lock().unwrap();
                let tail = &out[from.min(out.len())..];
                String::from_utf8_lossy(tail).contains(needle)
            };
            if found {
                return true;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        false
    }

    /// Waits for the child to exit (killing it after `timeout`) and for its last output;
    /// returns how it ended and everything it wrote.
    pub fn finish(mut self, timeout: Duration) -> std::io::Result<(ExitStatus, String)> {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait()? {
                break status;
            }
            if Instant::now() > deadline {
                self.child.kill()?;
                break self.child.wait()?;
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        if let Some(reader) = self.reader.take() {
            let _ = reader.join();
        }
        Ok((status, self.output()))
    }
}

fn open_pty(cols: u16, rows: u16) -> std::io::Result<(std::fs::File, std::fs::File)> {
    let (mut master, mut slave) = (0, 0);
    let mut size = libc::winsize {
        ws_row: rows,
        ws_col: cols,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: openpty writes two descriptors, which we then own. (Pointers passed as
    // `*mut`: macOS declares them so, Linux as `*const`, which `*mut` coerces to.)
    let rc = unsafe {
        libc::openpty(
            &mut master,
            &mut slave,
            std::ptr::null_mut(),
            std::ptr::null_mut(),
            &raw mut size,
        )
    };
    if rc != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: both descriptors are fresh and owned by nobody else.
    unsafe {
        Ok((
            std::fs::File::from_raw_fd(master),
            std::fs::File::from_raw_fd(slave),
        ))
    }
}

/// The text on a terminal, rebuilt from what the child wrote: enough of a terminal for
/// ratatui's crossterm output (cursor moves, clears, printed text; styles are ignored).
pub struct Screen {
    cols: usize,
    rows: usize,
    cells: Vec<char>,
    x: usize,
    y: usize,
    /// Bytes fed so far, and the tail of an escape sequence or a character cut in two.
    fed: usize,
    pending: Vec<u8>,
}

impl Screen {
    pub fn new(cols: u16, rows: u16) -> Self {
        let (cols, rows) = (usize::from(cols), usize::from(rows));
        Self {
            cols,
            rows,
            cells: vec![' '; cols * rows],
            x: 0,
            y: 0,
            fed: 0,
            pending: Vec::new(),
        }
    }

    /// Applies what the child wrote since the last call.
    pub fn update(&mut self, pty: &Pty) {
        let new = pty.output_from(self.fed);
        self.fed += new.len();
        self.feed(&new);
    }

    /// Applies `bytes` of terminal output.
    pub fn feed(&mut self, bytes: &[u8]) {
        let mut data = std::mem::take(&mut self.pending);
        data.extend_from_slice(bytes);
        let text = match std::str::from_utf8(&data) {
            Ok(text) => text,
            Err(e) => {
                let (good, rest) = data.split_at(e.valid_up_to());
                self.pending = rest.to_vec();
                std::str::from_utf8(good).expect("valid up to here")
            }
        }
        .to_string();
        let chars: Vec<char> = text.chars().collect();
        let mut i = 0;
        while i < chars.len() {
            match chars[i] {
                '\x1b' => match self.escape(&chars[i..]) {
                    Some(len) => i += len,
                    None => {
                        // Cut off: keep it for the next call.
                        let rest: String = chars[i..].iter().collect();
                        let mut kept = rest.into_bytes();
                        kept.extend_from_slice(&self.pending);
                        self.pending = kept;
                        return;
                    }
                },
                '\r' => {
                    self.x = 0;
                    i += 1;
                }
                '\n' => {
                    self.y = (self.y + 1).min(self.rows - 1);
                    i += 1;
                }
                c if c < ' ' => i += 1,
                c => {
                    if self.x < self.cols && self.y < self.rows {
                        self.cells[self.y * self.cols + self.x] = c;
                    }
                    self.x += 1;
                    i += 1;
                }
            }
        }
    }

    /// Applies the escape sequence at the start of `s`; its length, or `None` if cut off.
    fn escape(&mut self, s: &[char]) -> Option<usize> {
        match s.get(1)? {
            '[' => {
                let end = s[2..].iter().position(|c| ('@'..='~').contains(c))? + 2;
                let params: String = s[2..end].iter().collect();
                let number = |n: usize| -> usize {
                    params
                        .trim_start_matches('?')
                        .split(';')
                        .nth(n)
                        .and_then(|v| v.parse().ok())
                        .unwrap_or(1)
                };
                match s[end] {
                    'H' | 'f' => {
                        self.y = number(0).saturating_sub(1).min(self.rows - 1);
                        self.x = number(1).saturating_sub(1);
                    }
                    'J' if params == "2" || params == "3" => self.cells.fill(' '),
                    'K' => {
                        let row = self.y * self.cols;
                        self.cells[row + self.x.min(self.cols)..row + self.cols].fill(' ');
                    }
                    'C' => self.x += number(0),
                    'D' => self.x = self.x.saturating_sub(number(0)),
                    _ => {}
                }
                Some(end + 1)
            }
            // OSC: up to BEL or ST.
            ']' => {
                let end = s.iter().position(|&c| c == '\u{7}' || c == '\u{9c}')?;
                Some(end + 1)
            }
            _ => Some(2),
        }
    }

    /// Row `y` as text, trailing blanks removed.
    pub fn row(&self, y: usize) -> String {
        let row: String = self.cells[y * self.cols..(y + 1) * self.cols]
            .iter()
            .collect();
        row.trim_end().to_string()
    }

    /// Every row, one line each.
    pub fn text(&self) -> String {
        (0..self.rows).map(|y| self.row(y) + "\n").collect()
    }
}
