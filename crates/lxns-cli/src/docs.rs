//! `lxns generate-docs PREFIX`: man pages and shell completions from the clap definitions,
//! so they cannot drift from the options. One page per command (`lxns(1)`, `lxns-run(1)`,
//! `lxns-netns-add(1)` …) in `PREFIX/share/man/man1`; completions for bash, zsh and fish in
//! the directories those shells read under `PREFIX/share`.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap_complete::Shell;

pub fn generate(cmd: &clap::Command, prefix: &Path) -> Result<ExitCode> {
    let mut cmd = cmd.clone();
    cmd.build();
    let man = prefix.join("share/man/man1");
    std::fs::create_dir_all(&man).with_context(|| format!("create {}", man.display()))?;
    let mut pages = 0;
    write_pages(&cmd, "lxns", &man, &mut pages)?;
    for (shell, dir, file) in [
        (Shell::Bash, "share/bash-completion/completions", "lxns"),
        (Shell::Zsh, "share/zsh/site-functions", "_lxns"),
        (Shell::Fish, "share/fish/vendor_completions.d", "lxns.fish"),
    ] {
        let dir = prefix.join(dir);
        std::fs::create_dir_all(&dir).with_context(|| format!("create {}", dir.display()))?;
        let path = dir.join(file);
        let mut out = Vec::new();
        clap_complete::generate(shell, &mut cmd.clone(), "lxns", &mut out);
        std::fs::write(&path, out).with_context(|| format!("write {}", path.display()))?;
        println!("{}", path.display());
    }
    println!("{} man pages in {}", pages, man.display());
    Ok(ExitCode::SUCCESS)
}

/// `cmd`'s page as `name.1`, then its (visible) subcommands' as `name-sub.1`.
fn write_pages(cmd: &clap::Command, name: &str, dir: &Path, pages: &mut usize) -> Result<()> {
    let page = cmd
        .clone()
        .display_name(name.to_owned())
        .bin_name(name.replace('-', " "));
    let mut out = Vec::new();
    clap_mangen::Man::new(page)
        .title(name.to_uppercase())
        .section("1")
        .manual("lxns")
        .render(&mut out)
        .context("render man page")?;
    let path = dir.join(format!("{name}.1"));
    std::fs::write(&path, out).with_context(|| format!("write {}", path.display()))?;
    *pages += 1;
    for sub in cmd
        .get_subcommands()
        .filter(|s| !s.is_hide_set() && s.get_name() != "help")
    {
        write_pages(sub, &format!("{name}-{}", sub.get_name()), dir, pages)?;
    }
    Ok(())
}
