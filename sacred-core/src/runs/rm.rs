//! `runs rm ID…`: removes runs, after asking (or with `--yes`); nothing else.

use std::io::{BufRead, Write};

use super::Context;
use crate::Error;

pub(super) fn rm(context: &Context<'_>) -> Result<(), Error> {
    let ids = context.ids(1, "rm ID…")?;
    // Every id must name a run before anything is removed.
    let mut described = Vec::with_capacity(ids.len());
    for id in ids {
        let run = context.run(id)?;
        described.push(format!(
            "{} ({}, {})",
            run.id,
            run.text("experiment.name").unwrap_or("?"),
            super::format::status(&run, context.now)
        ));
    }
    let location = context.reader.location();
    if !context.args.yes && !confirm(context, &described, &location)? {
        context.env.out("nothing removed\n");
        return Ok(());
    }
    for id in ids {
        context.reader.remove(id).map_err(super::read_error)?;
        context
            .env
            .out(&format!("removed run {id} from {location}\n"));
    }
    Ok(())
}

/// Asks on standard error and reads the answer from standard input: `y` or `yes` removes.
/// Only a real process can ask; elsewhere `--yes` is needed.
fn confirm(context: &Context<'_>, described: &[String], location: &str) -> Result<bool, Error> {
    if !context.env.is_process() {
        return Err(Error::usage(
            "`runs rm`: cannot ask for confirmation here; expected --yes to remove without asking",
        ));
    }
    let mut stderr = std::io::stderr();
    let _ = write!(
        stderr,
        "Remove {} run{} from {location}: {}? [y/N] ",
        described.len(),
        if described.len() == 1 { "" } else { "s" },
        described.join(", ")
    );
    let _ = stderr.flush();
    let mut answer = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::Io {
            action: "read the answer from standard input".to_owned(),
            source: e,
        })?;
    Ok(matches!(
        answer.trim().to_ascii_lowercase().as_str(),
        "y" | "yes"
    ))
}
