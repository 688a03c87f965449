//! One module per command, named after it, each with one entry point `run`. Commands are
//! the only layer that reads the command line's arguments, prints, and ties the domain
//! modules together: `render` and `checks` never call each other, so a command passes
//! what one needs from the other (the rules' docs, the generated files out of date).

pub mod check;
pub mod diff;
pub mod explain;
pub mod list;
pub mod new_env;
pub mod parity;
pub mod promote;
pub mod render;
pub mod show;

use crate::model::Platform;
use crate::render::Generated;

/// Every file `render` makes of `platform`, `docs/checks.md` with every rule among them.
pub fn generated_files(platform: &Platform) -> anyhow::Result<Vec<Generated>> {
    crate::render::generate(platform, &crate::checks::docs())
}
