//! The toolkit as a program of its own, for its tests and benchmarks: a platform
//! repository runs the same thing through its thin `xtask` crate.

use std::process::ExitCode;

fn main() -> ExitCode {
    platform_toolkit::main()
}
