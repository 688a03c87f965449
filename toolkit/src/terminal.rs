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

/// Writes `text` to stdout: through `anstream`, which strips what a terminal would take
/// for a colour or a command where none may be written, unless `text` has nothing it would
/// strip (a large `show` or `list` has none, and scanning it in `anstream` costs more than
/// making it did).
pub fn print(text: &str) -> io::Result<()> {
    if nothing_to_strip(text) {
        write(&mut io::stdout().lock(), text.as_bytes(), &STDOUT_CLOSED)
    } else {
        let styled = as_written_to(&io::stdout(), text);
        write(&mut io::stdout().lock(), &styled, &STDOUT_CLOSED)
    }
}

/// `text` as `anstream` writes it to `stream`: with its colour on a terminal, stripped of
/// it elsewhere. Made in memory, to be written in one call: `anstream` writes each piece
/// between two escape sequences it strips to the stream itself, a system call apiece (a
/// `check` with 300 findings made 6,700 of them).
fn as_written_to<S: anstream::stream::RawStream>(stream: &S, text: &str) -> Vec<u8> {
    let choice = anstream::AutoStream::choice(stream);
    let mut styled = anstream::AutoStream::new(Vec::with_capacity(text.len()), choice);
    // Writing to memory cannot fail.
    let _ = styled.write_all(text.as_bytes());
    styled.into_inner()
}

/// Whether `text` holds no control character but the ASCII whitespace `anstream` keeps:
/// no escape sequence (ESC, or C1's CSI), and nothing else it would drop. Byte by byte,
/// without stopping early, which the compiler turns into vector instructions; 0xC2 leads
/// every C1 control in UTF-8 (and a few printable characters, which then take anstream's
/// way as well).
fn nothing_to_strip(text: &str) -> bool {
    let strippable = |b: u8| (b < 0x20 && !b.is_ascii_whitespace()) | (b == 0x7f) | (b == 0xc2);
    !text.bytes().fold(false, |found, b| found | strippable(b))
}

/// Writes `value` to stdout as pretty JSON and a newline: a report for a script. JSON has
/// no styling and escapes every control character, so it is written as it is, without
/// `anstream` scanning megabytes of it for colour codes to strip.
pub fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    let mut text = serde_json::to_string_pretty(value)?;
    text.push('\n');
    write(&mut io::stdout().lock(), text.as_bytes(), &STDOUT_CLOSED)?;
    Ok(())
}

/// Writes `text` and a newline to stderr: a message for the person at the terminal.
pub fn say(text: impl Display) -> io::Result<()> {
    let styled = as_written_to(&io::stderr(), &format!("{text}\n"));
    write(&mut io::stderr().lock(), &styled, &STDERR_CLOSED)
}

fn write(stream: &mut impl Write, text: &[u8], closed: &AtomicBool) -> io::Result<()> {
    if closed.load(Ordering::Relaxed) {
        return Ok(());
    }
    match stream.write_all(text).and_then(|()| stream.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => {
            closed.store(true, Ordering::Relaxed);
            Ok(())
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::nothing_to_strip;

    #[test]
    fn text_is_written_as_it_is_only_when_anstream_would_strip_nothing() {
        let plain = [
            "env  stage\nprod production\n",
            "tabs\tand\r\nfeeds\x0c, a dash — and a times ×\n",
        ];
        assert!(plain.into_iter().all(nothing_to_strip));
        let samples = [
            "\x1b[1mbold\x1b[0m",
            "\u{9b}31mred",
            "a bell\x07",
            "a delete\x7f",
            "a C1 \u{85} next line",
            "a null\0",
        ];
        for text in samples {
            // Some of these anstream keeps as they are; all of them take its way.
            assert!(!nothing_to_strip(text), "{text:?}");
        }
        for text in plain.into_iter().chain(samples) {
            let stripped = anstream::adapter::strip_str(text).to_string();
            assert!(!nothing_to_strip(text) || stripped == text, "{text:?}");
        }
    }
}
