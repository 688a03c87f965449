//! The program every platform repository's `xtask` crate runs: parse the command line, run
//! the command, map the outcome to an exit code. [`main`] is the toolkit alone; a
//! [`Toolkit`] adds the organisation's own rules first.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;

use crate::checks::Rule;
use crate::cli::Cli;
use crate::diagnostic::Diagnostics;

/// Every command allocates hundreds of thousands of small values on two threads, where
/// glibc's allocator spends much of its time growing and trimming its heaps. Declared here,
/// it is the allocator of every program built on the toolkit.
#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

/// The toolkit as it ships: `fn main() -> ExitCode { platform_toolkit::main() }`.
pub fn main() -> ExitCode {
    Toolkit::new().main()
}

/// The toolkit with the organisation's own rules, as a repository's `xtask/src/main.rs`
/// builds it:
///
/// ```ignore
/// fn main() -> std::process::ExitCode {
///     platform_toolkit::Toolkit::new().rule(&rules::COST_CENTRE).main()
/// }
/// ```
///
/// `check` runs each rule after the toolkit's own, at the level `[checks]` gives its id;
/// `explain` and `docs/checks.md` show what its [`crate::rule::RuleDoc`] says.
#[derive(Default)]
pub struct Toolkit {
    rules: Vec<&'static Rule>,
}

impl Toolkit {
    pub fn new() -> Toolkit {
        Toolkit::default()
    }

    /// Adds one of the organisation's rules (made with [`Rule::new`], its id a
    /// [`crate::rule::RuleId::Org`]).
    pub fn rule(mut self, rule: &'static Rule) -> Toolkit {
        self.rules.push(rule);
        self
    }

    /// Runs the command line: exit code 0, 1 (a check or comparison failed) or 2 (bad input,
    /// or a command that could not run; nothing written).
    pub fn main(self) -> ExitCode {
        if let Err(reason) = crate::checks::set_org(self.rules) {
            let _ = crate::terminal::say(format!(
                "error: the organisation's rules in xtask/src/main.rs: {reason}"
            ));
            return ExitCode::from(2);
        }
        // The shell asking for the candidates of a word (`completions` printed the script
        // that asks): answered, and nothing else runs.
        clap_complete::CompleteEnv::with_factory(<Cli as clap::CommandFactory>::command)
            .var(crate::cli::completion::VAR)
            .complete();
        let cli = Cli::parse();
        let writes = cli.command.writes();
        match crate::run(cli) {
            Ok(code) => code,
            Err(err) => {
                // Nothing more can be said when stderr is gone; the exit code still says it.
                let _ = match err.downcast_ref::<Diagnostics>() {
                    Some(diagnostics) => crate::terminal::say(format!(
                        "{}{}",
                        diagnostics.render().trim_end(),
                        if writes { "; nothing was written" } else { "" }
                    )),
                    None => {
                        crate::terminal::say(crate::secrets::redact(&format!("error: {err:#}")))
                    }
                };
                ExitCode::from(2)
            }
        }
    }
}
