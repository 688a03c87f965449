//! A small background worker: it does one unit of work per interval, logs it, and stops
//! cleanly on SIGTERM (what Kubernetes sends before it stops a pod) or SIGINT, after the
//! unit in progress.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use signal_hook::consts::{SIGINT, SIGTERM};

const NAME: &str = env!("CARGO_PKG_NAME");

fn main() -> std::io::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [SIGTERM, SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))?;
    }
    let interval = Duration::from_secs(interval_secs(std::env::var("INTERVAL_SECS").ok()));
    eprintln!("{NAME}: started, one unit of work every {interval:?}");
    let mut done: u64 = 0;
    while !stop.load(Ordering::Relaxed) {
        done += 1;
        eprintln!("{NAME}: {}", work(done));
        // Sleep in short steps, so that a stop request is seen within a tenth of a second.
        let mut slept = Duration::ZERO;
        while slept < interval && !stop.load(Ordering::Relaxed) {
            std::thread::sleep(Duration::from_millis(100));
            slept += Duration::from_millis(100);
        }
    }
    eprintln!("{NAME}: stopping after {done} unit(s) of work");
    Ok(())
}

/// The seconds between units of work: `INTERVAL_SECS`, or 10.
fn interval_secs(setting: Option<String>) -> u64 {
    setting.and_then(|s| s.parse().ok()).unwrap_or(10)
}

/// One unit of work; replace it with the real one.
fn work(unit: u64) -> String {
    format!("unit {unit} done")
}

#[cfg(test)]
mod tests {
    use super::{interval_secs, work};

    #[test]
    fn the_interval_defaults_to_ten_seconds() {
        assert_eq!(interval_secs(None), 10);
        assert_eq!(interval_secs(Some("3".to_owned())), 3);
        assert_eq!(interval_secs(Some("soon".to_owned())), 10);
    }

    #[test]
    fn each_unit_is_logged_with_its_number() {
        assert_eq!(work(2), "unit 2 done");
    }
}
