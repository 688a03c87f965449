//! Machine output on stdout. A reader that stops early (`| head`) closes the pipe; the
//! error that causes is passed up, and `main` ends quietly on it instead of panicking.

use std::io::Write as _;

/// Writes `text` to stdout.
pub fn print(text: &str) -> std::io::Result<()> {
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()
}

/// Whether an error is a closed pipe on stdout.
pub fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
