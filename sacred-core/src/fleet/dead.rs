//! `dead`: the RUNNING runs of this experiment whose process died (no beat for longer than
//! their limit), listed, and with `--mark` marked FAILED.

use std::time::Duration;

use super::{store, store_failed};
use crate::cli::Flags;
use crate::log::Logger;
use crate::observer::DeadAction;
use crate::{Env, Error, Outcome};

/// Lists the dead runs, one line each (`ID  HOST  silent for S s  last beat T`), and marks
/// them FAILED with `--mark`.
///
/// # Errors
/// No `-m`, or the store cannot be reached.
pub(crate) fn dead(flags: &Flags, env: &Env, logger: &Logger) -> Result<Outcome, Error> {
    let mut store = store(flags, env, "dead")?;
    let failed = store_failed("look for dead runs");
    let dead_after = flags.dead_after.map(Duration::from_secs_f64);
    let runs = store.dead(Some(&logger.name), dead_after).map_err(failed)?;
    let mut marked = 0;
    for run in &runs {
        let last = run
            .last_beat
            .map_or_else(|| "never".to_owned(), |t| t.to_string());
        let mut line = format!(
            "{}\t{}\tsilent for {:.0} s\tlast beat {last}",
            run.id,
            run.host.as_deref().unwrap_or("unknown"),
            run.silent_for.as_secs_f64()
        );
        if flags.mark
            && store
                .settle_dead(run, DeadAction::MarkFailed)
                .map_err(failed)?
        {
            line.push_str("\tmarked FAILED");
            marked += 1;
        }
        line.push('\n');
        env.out(&line);
    }
    logger.info(&format!(
        "{} dead run(s) of `{}`{}",
        runs.len(),
        logger.name,
        if flags.mark {
            format!(", {marked} marked FAILED")
        } else {
            String::new()
        }
    ));
    Ok(Outcome::Done)
}
