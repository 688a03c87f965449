//! The command line: every command, its arguments, and the help a person reads.

mod args;
pub mod completion;
pub mod manual;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

pub use args::*;

#[derive(Debug, Parser)]
#[command(
    name = "cargo xtask",
    bin_name = "cargo xtask",
    version,
    about = "Manage the platform monorepo: environments, names, and what Podplane consumes",
    long_about = "Manage the platform monorepo: environments, names, and what Podplane consumes.\n\n\
        Reads environments/platform.toml and environments/<env>/environment.toml, resolves every \
        environment's names by the naming conventions, and validates everything before it writes \
        anything. The repository is found from the current directory upward, like cargo.",
    after_help = "Examples:\n  \
        cargo xtask list\n  \
        cargo xtask show prod\n  \
        cargo xtask new-env qa --stage staging --like staging\n  \
        cargo xtask render --check\n  \
        cargo xtask affected --base main\n  \
        cargo xtask new-repo ../initech-platform --org initech --domain initech.com\n\n\
        Exit codes: 0 success, 1 findings, 2 the command could not run (bad arguments or invalid input).\n\n\
        Environment: XTASK_TODAY=YYYY-MM-DD runs diff, parity, promote and check as on that day \
        (parity allowances expire); without it, the system clock's day in UTC."
)]
pub struct Cli {
    /// Run as if started in DIR; the repository is found from there upward. Outside any
    /// repository cargo has no `xtask` alias: `cargo run -q --manifest-path DIR/Cargo.toml -p
    /// xtask -- -C DIR COMMAND`
    #[arg(short = 'C', value_name = "DIR", global = true)]
    pub directory: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

// One command line is parsed per run: the size of its largest variant costs nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List every environment: name, stage, account, region, cluster id and zone
    #[command(
        long_about = "List every environment: name, stage, account, region, cluster id and zone. \
            With --format json, one object per environment with its resolved names (cluster id \
            and name, zone, API and registry hosts, VPC) and its services with their versions, \
            as docs/json-output.md describes.",
        after_help = "Examples:\n  cargo xtask list\n  cargo xtask list --format json | jq -r '.[] | select(.stage == \"production\") | .cluster.zone'"
    )]
    List(ListArgs),

    /// Show one environment fully resolved, each value marked with where it came from
    #[command(
        long_about = "Show one environment fully resolved: every value after defaults from \
            platform.toml and the naming conventions are applied. In TOML form each value carries \
            a comment saying where it came from: a line of a file, a convention, or a crate.",
        after_help = "Examples:\n  cargo xtask show prod\n  cargo xtask show staging --format json | jq .values.cluster.id.value"
    )]
    Show(ShowArgs),

    /// Create a new environment with consistent names and a VPC of its own
    #[command(
        name = "new-env",
        long_about = "Create environments/NAME/environment.toml from a commented template, with a \
            freshly allocated VPC /16 that overlaps no other environment. With --like, copy the \
            shape of an existing environment: its pools, components, access and services. \
            The new environment is validated with all the others before anything is written, \
            and refused, with the rule's message, if `check` would reject it (a development \
            environment in production's account, a second identity environment); an existing \
            environment is never overwritten.",
        after_help = "Examples:\n  \
            cargo xtask new-env qa --stage staging --like staging\n  \
            cargo xtask new-env prod-us --stage production --like prod --region us-east-1 --account 345678901234"
    )]
    NewEnv(NewEnvArgs),

    /// Generate a new platform monorepo of this shape for another organisation
    #[command(
        name = "new-repo",
        long_about = "Write a complete platform monorepo for an organisation into DIR: the \
            workspace (Cargo.toml, Cargo.lock, .cargo/config.toml), a thin xtask/ crate that \
            depends on the toolkit at a pinned revision (--toolkit), an example service (crates/hello), the six environments \
            (identity, observability, ci, dev, staging, prod) named by the conventions for --org \
            and --domain, ci/, docs/, a README, .ci/run, and every generated file. Values it \
            cannot know (account ids, team members, the seed digest) are placeholders such as \
            <production-account-id>, which `check` reports as warnings until they are filled \
            in; the flags below set some of them. The tree is built beside DIR, loaded, checked \
            and rendered, then moved into place, and a git repository is made with one first \
            commit on `main` (unless DIR is inside one already, or with --no-git). DIR must be \
            absent or empty; nothing is written when anything is wrong. The new repository \
            records the toolkit version, the answers given here and a hash of each scaffold \
            file in toolkit.toml, which `cargo xtask upgrade` works from.",
        after_help = "Examples:\n  \
            cargo xtask new-repo ../initech-platform --org initech --domain initech.com\n  \
            cargo xtask new-repo ../platform --org initech --domain initech.com --region us-east-2 \\\n    \
            --prod-account 444455556666 --nonprod-account 111122223333 --admin ada@initech.com\n  \
            cargo xtask new-repo ../platform --org initech --domain initech.com --dry-run"
    )]
    NewRepo(NewRepoArgs),

    /// Add a service crate, and deploy it to environments
    #[command(
        name = "new-service",
        long_about = "Write crates/NAME: a Cargo.toml that inherits the workspace's package \
            fields and lints and declares the service in [package.metadata.platform], a small \
            real program (web: an HTTP server with a /healthz health check; worker: a loop that \
            stops cleanly on SIGTERM) and a README. The image defaults to [images] registry of \
            platform.toml and the name. Cargo.lock gains the crate. With --deploy-to ENV, each \
            environment's file gets [services.NAME] at version 0.1.0 (every other byte kept) \
            and is rendered. A service staging runs and production does not yet is pending \
            promotion, not a parity violation. Nothing is written when anything is wrong.",
        after_help = "Examples:\n  \
            cargo xtask new-service billing --template web --port 9090 --deploy-to dev --deploy-to staging\n  \
            cargo xtask new-service reports --template worker --deploy-to dev\n  \
            cargo xtask new-service api --template web --image registry.example.com/team/api --dry-run"
    )]
    NewService(NewServiceArgs),

    /// Write the files Podplane consumes, and the docs, from the environment files
    #[command(
        long_about = "Write every generated file from the environment files: per cluster \
            podplane.cluster.jsonc, platform.auto.tfvars, deploy.sh and README.md; for the \
            identity environment podplane.oidc.jsonc; docs/environments.md and docs/checks.md; \
            the workflows of .github/workflows/; and the JSON Schemas of the hand-written \
            files, which editors read. Only files whose contents change are written, each \
            atomically, and generated files that no environment produces any more are removed. \
            With --check, nothing is written: the command shows a unified diff of what would \
            change and exits 1 if anything would.",
        after_help = "Examples:\n  cargo xtask render\n  cargo xtask render --check\n  cargo xtask render --check --format json | jq -r '.changes[].path'"
    )]
    Render(RenderArgs),

    /// Show what differs between two environments, classified by whether it matters
    #[command(
        long_about = "Compare two resolved environments path by path (services.hello.version, \
            pools.ingress.size). A is the candidate and B the reference: `diff staging prod`. \
            Every difference is must-match (changes behaviour), scale (cost only: sizes, \
            a worker's replicas), convention (differs only by the environments' names) or free \
            (descriptions). A candidate running a newer service version than the reference is \
            pending promotion; the reference running a version the candidate does not have is a \
            violation. [[parity.allow]] entries of platform.toml excuse must-match differences. \
            Either side may be ENV@REV: the environment as committed at a git revision. One \
            environment against its own past (`diff prod@main prod`) is a report of what \
            changed from A to B, old → new, versions as upgrades or downgrades, and exits 0. \
            Secrets are never printed. Exits 1 when a violation remains.",
        after_help = "Examples:\n  cargo xtask diff staging prod\n  cargo xtask diff prod@main prod\n  cargo xtask diff staging prod --format markdown"
    )]
    Diff(DiffArgs),

    /// Check every parity candidate against the reference named in [parity]
    #[command(
        long_about = "Compare every candidate of [parity] in platform.toml (staging) with the \
            reference (prod), as `diff` does. A must-match difference is a violation unless a \
            [[parity.allow]] entry covers its path with a reason; an allowance past its `until` \
            date no longer allows and is reported as expired (the day is the system clock's, \
            or XTASK_TODAY=YYYY-MM-DD). Exits 1 when a violation remains.",
        after_help = "Examples:\n  cargo xtask parity\n  cargo xtask parity --format json\n  XTASK_TODAY=2027-03-01 cargo xtask parity"
    )]
    Parity(ParityArgs),

    /// Copy the service versions of FROM into TO, and the services TO does not run yet
    #[command(
        long_about = "Copy the service versions of FROM into TO's environment.toml, changing \
            only those values, and add each service FROM runs and TO does not yet, with its \
            version, replicas, variables and secrets' names (its host name comes from TO's \
            zone): every comment and the formatting of every other line survive. \
            Prints the diff of what changed and renders TO again. Refuses, unless --force, when \
            FROM still has must-match differences from TO other than the versions being \
            promoted (what was validated would then not be what TO would run), or when \
            promoting would lower a version.",
        after_help = "Examples:\n  cargo xtask promote staging prod --dry-run\n  cargo xtask promote staging prod --service hello"
    )]
    Promote(PromoteArgs),

    /// Give a service a new version: its crate, Cargo.lock and the environments that track it
    #[command(
        long_about = "Give a service's crate a new version (the next patch release unless \
            --minor, --major or --to says otherwise) and, in the same change, its entry in \
            Cargo.lock and the version of the development- and staging-stage environments that \
            run the version it had; those are rendered again. Production is left alone: it moves \
            by promotion. `check` asks for this when a service's code changed \
            (service-version-bumped), and refuses a version its crate never had (version-known) \
            or a stale lock file (lock-current). Nothing is written when anything is wrong.",
        after_help = "Examples:\n  cargo xtask bump hello\n  cargo xtask bump hello --minor --dry-run\n  cargo xtask bump hello --to 2.0.0-rc.1"
    )]
    Bump(BumpArgs),

    /// Check the topology's rules: named lints with levels, pointing at the line to fix
    #[command(
        long_about = "Check that the repository is sound: the files' schema, the isolation rules \
            of the topology (production's account, access, telemetry, CI, the one issuer, VPCs), \
            no secret values, staging before production, a new version for every service whose \
            code changed since --base (HEAD by default), naming conventions, parity and fresh \
            generated files. Every finding names its rule and level; [checks] in platform.toml \
            sets a rule to deny, warn or allow, like clippy's lints. `cargo xtask explain RULE` \
            says what a rule is for. Exits 0 when no finding is at deny level, 1 when one is, \
            2 when the check could not run.",
        after_help = "Examples:\n  cargo xtask check\n  cargo xtask check --format github\n  cargo xtask explain prod-separate-account"
    )]
    Check(CheckArgs),

    /// List the services to rebuild and the environments whose deployment changed since REV
    #[command(
        long_about = "Compare the working tree with a git revision and say what the change \
            reaches. Services: the deployable crates whose image must be rebuilt because a file \
            they are built from changed (their own directory, a path dependency's, a workspace-wide \
            input such as the root Cargo.toml or the toolchain, or a Cargo.lock entry that their \
            build resolves). Environments: those whose resolved configuration or generated files \
            differ from ENV@REV; `deploy` says whether its deploy.sh changed. With --format github, \
            prints `services=`, `environments=` and `deploy=` lines (JSON arrays) to append to \
            $GITHUB_OUTPUT for a workflow's matrix. Exits 2 when git does not know REV.",
        after_help = "Examples:\n  cargo xtask affected --base main\n  cargo xtask affected --base HEAD~1 --format json\n  cargo xtask affected --base \"$BASE_SHA\" --format github >> \"$GITHUB_OUTPUT\""
    )]
    Affected(AffectedArgs),

    /// Say what a check rule is for and why, like rustc --explain
    #[command(after_help = "Example:\n  cargo xtask explain single-issuer")]
    Explain(ExplainArgs),

    /// Bring the repository to this toolkit: the pin, the formats, the scaffold files
    #[command(
        long_about = "Bring the repository to this toolkit's version: move the pin in xtask/Cargo.toml \
            (--to), bring the scaffold files new-repo wrote up to date (README.md, .ci/run, ci/*.sh, \
            docs, the workspace manifest, the thin xtask: one nobody edited is replaced, an edited \
            one is merged three ways and keeps its edits), run the migrations of the hand-written \
            files between the version in toolkit.toml and this one, then update Cargo.lock and \
            render. A release of another version (--to latest, the newest release tag of the \
            pinned git repository, or a tag vX.Y.Z) moves only the pin, for that toolkit's own \
            `cargo xtask upgrade` to finish. It needs a clean git tree, and puts the tree back \
            if anything fails. Exit 1 \
            when a merge left conflicts, marked <<<<<<< … >>>>>>> in the files it lists; with \
            --check, exit 1 when the repository is behind this toolkit.",
        after_help = "Examples:\n  \
            cargo xtask upgrade --check --to latest\n  \
            cargo xtask upgrade --dry-run\n  \
            cargo xtask upgrade --to git:https://github.com/OWNER/platform-toolkit@v0.2.0\n  \
            cargo xtask -C ../platform upgrade --to path:toolkit   # a 0.1.0 repository, from the toolkit's"
    )]
    Upgrade(UpgradeArgs),

    /// Print the shell's completion script: commands, flags, environments, services, rules
    #[command(
        long_about = "Print the script that makes the shell complete `xtask` (alias xtask='cargo \
            xtask'): commands and flags, and from the repository the current directory is in, \
            environment names (ENV@REV with its branches and tags), services and rule ids. The \
            shell asks this program for each completion, so a new environment completes at once.",
        after_help = "Examples:\n  \
            alias xtask='cargo xtask'\n  \
            source <(cargo xtask completions bash)     # in ~/.bashrc\n  \
            cargo xtask completions zsh > ~/.zfunc/_xtask\n  \
            cargo xtask completions fish > ~/.config/fish/completions/xtask.fish"
    )]
    Completions(CompletionsArgs),

    /// Print the manual page (roff), made from the same definitions as --help
    #[command(
        long_about = "Print the manual page in roff, made from the same definitions as --help: \
            the main page on stdout, or with --out DIR one page per command.",
        after_help = "Examples:\n  \
            cargo xtask man > cargo-xtask.1 && man ./cargo-xtask.1\n  \
            cargo xtask man --out target/man"
    )]
    Man(ManArgs),
}

impl Command {
    /// Whether the command writes files when it runs (so that a refusal says it wrote none).
    pub fn writes(&self) -> bool {
        match self {
            Command::NewEnv(_) => true,
            Command::Render(args) => !args.check,
            Command::Promote(args) => !args.dry_run,
            Command::Bump(args) => !args.dry_run,
            Command::Upgrade(args) => !args.dry_run && !args.check,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Cli;
    use clap::CommandFactory;

    #[test]
    fn the_command_line_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
