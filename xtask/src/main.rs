//! `cargo xtask`: the platform toolkit. An organisation adds its own rules to `check` here:
//! `platform_toolkit::Toolkit::new().rule(&MY_RULE).main()` (the toolkit's README says how).

fn main() -> std::process::ExitCode {
    platform_toolkit::main()
}
