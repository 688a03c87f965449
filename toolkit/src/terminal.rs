//! Everything the commands print goes through here: reports on stdout, messages on stderr.
//!
//! Colour is decided once, by `anstream`, for both streams: styled text keeps its colour on
//! a terminal and loses it in a pipe or a file, with `NO_COLOR`, `CLICOLOR=0` or
//! `TERM=dumb`; `CLICOLOR_FORCE` keeps it anywhere.
//!
//! A reader that goes away (`| head -1`, `| grep -q`) closes the pipe. Writing then stops
//! quietly, and the command goes on to its verdict, so that its exit code means the same
//! with or without a pipe.

use std::fmt::Display;
use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

static STDOUT_CLOSED: AtomicBool = AtomicBool::new(false);
static STDERR_CLOSED: AtomicBool = AtomicBool::new(false);

/// Writes `text` to stdout.
pub fn print(text: &str) -> io::Result<()> {
    write(&mut anstream::stdout().lock(), text, &STDOUT_CLOSED)
}

/// Writes `value` to stdout as pretty JSON and a newline: a report for a script. JSON has
/// no styling and escapes every control character, so it is written as it is, without
/// `anstream` scanning megabytes of it for colour codes to strip.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write(&mut io::stdout().lock(), &text, &STDOUT_CLOSED)?;
    Ok(())
}

/// Writes `text` and a newline to stderr: a message for the person at the terminal.
pub fn say(text: impl Display) -> io::Result<()> {
    write(
        &mut anstream::stderr().lock(),
        &format!("{text}\n"),
        &STDERR_CLOSED,
    )
}

fn write(stream: &mut impl Write, text: &str, closed: &AtomicBool) -> io::Result<()> {
    if closed.load(Ordering::Relaxed) {
        return Ok(());
    }
    match stream
        .write_all(text.as_bytes())
        .and_then(|()| stream.flush())
    {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
            closed.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}
