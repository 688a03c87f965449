//! `cargo xtask`: the platform toolkit, with this organisation's own rules. Add a rule to
//! `check` here: `platform_toolkit::Toolkit::new().rule(&rules::MY_RULE).main()`, with the
//! rule in a module of this crate (the toolkit's README, "Rules of your own", shows one).

fn main() -> std::process::ExitCode {
    platform_toolkit::main()
}
