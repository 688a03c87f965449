//! The manual pages, in roff, made by clap_mangen from the same definitions as `--help`:
//! the main page, and one per command.

use clap::CommandFactory;

use super::Cli;

/// The main page.
pub fn page() -> anyhow::Result<String> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command().name("cargo-xtask")).render(&mut page)?;
    Ok(String::from_utf8(page)?)
}

/// The main page and one per command, each as its file name and its roff.
pub fn pages() -> anyhow::Result<Vec<(String, String)>> {
    let mut command = Cli::command().name("cargo-xtask");
    command.build();
    let mut pages = vec![("cargo-xtask.1".to_owned(), page()?)];
    for sub in command.get_subcommands() {
        let name = format!("cargo-xtask-{}", sub.get_name());
        // A page lives as long as the program: its name is leaked, as clap names commands.
        let title: &'static str = name.clone().leak();
        let mut page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(title)).render(&mut page)?;
        pages.push((format!("{name}.1"), String::from_utf8(page)?));
    }
    Ok(pages)
}
