//! `sacred`: the command-line tool for runs of any experiment, Python Sacred's included.
//!
//! ```text
//! sacred runs ls -F runs             # or: sacred ls -F runs
//! sacred runs show 3 -m localhost:27017:my_db
//! sacred runs diff 3 4
//! sacred runs plot training.loss 3 4 -o loss.png
//! ```
//!
//! It needs no experiment: it reads file storage (`-F DIR`, default the configured
//! directory, else `./runs`) or MongoDB (`-m URL`, with the `mongo` feature).

use sacred::Env;

/// The subcommands of `runs`, which `sacred` also takes without the word `runs`.
const SHORTHANDS: [&str; 7] = ["ls", "show", "diff", "metrics", "export", "plot", "rm"];

fn main() {
    let env = Env::from_process();
    let args: Vec<String> = match std::env::args_os()
        .map(|a| a.into_string())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(args) => args,
        Err(bad) => {
            env.err(&format!(
                "error: argument {bad:?} is not valid UTF-8; expected text\n"
            ));
            std::process::exit(2);
        }
    };
    let rest = match args.get(1).map(String::as_str) {
        Some("runs") => &args[2..],
        Some(word) if SHORTHANDS.contains(&word) => &args[1..],
        Some("-V" | "--version") => {
            env.out(&format!("sacred {}\n", env!("CARGO_PKG_VERSION")));
            return;
        }
        _ => {
            env.out(
                "Usage: sacred runs SUBCOMMAND [ARG…] [-F DIR | -m URL]   (or sacred SUBCOMMAND …)\n\
                 Subcommands: ls, show, diff, metrics, export, plot, rm; `sacred runs --help` \
                 says more.\n",
            );
            let code =
                i32::from(args.len() > 1 && !matches!(args[1].as_str(), "-h" | "--help" | "help"));
            std::process::exit(code * 2);
        }
    };
    if let Err(error) = sacred::runs_from(rest, &env) {
        env.err(&format!("error: {error}\n"));
        std::process::exit(error.exit_code());
    }
}
