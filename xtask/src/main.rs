//! `cargo xtask`: the platform toolkit, with Acme's own rules (`rules.rs`).

mod rules;

fn main() -> std::process::ExitCode {
    platform_toolkit::Toolkit::new()
        .rule(&rules::PROD_LOG_LEVEL)
        .main()
}
