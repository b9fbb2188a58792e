//! The command table: every command's name, what it parses to and its help. The parser,
//! `--help`, `help COMMAND` and the "unknown command" hints all read this one table.

use super::Command;
use crate::Error;
use crate::suggest;

/// One command.
#[derive(Debug)]
pub(crate) struct CommandSpec {
    /// The name as typed on the command line.
    pub(crate) name: &'static str,
    /// What the name parses to (`help` parses to `Help(None)`, before its argument is read).
    pub(crate) command: Command,
    /// The one-line help, listed by `--help` and shown by `help COMMAND`.
    pub(crate) summary: &'static str,
    /// The usage line of `help COMMAND`; `{program}` stands for the program name.
    pub(crate) usage: &'static str,
    /// The text of `help COMMAND`, wrapped when shown; `{program}` stands for the program
    /// name.
    pub(crate) body: &'static str,
}

/// `main`, the command that runs when none is given. It is accepted by name (as Sacred
/// accepts it) but not listed among the commands.
const MAIN: CommandSpec = CommandSpec {
    name: "main",
    command: Command::Main,
    summary: "Run the experiment function.",
    usage: "{program} [main] [with UPDATE...] [options]",
    body: "Resolves the configuration from the parameter defaults and what follows `with` \
           (named configs, config files and KEY=VALUE updates), starts a run and calls the \
           experiment function with it. `-F/--file_storage` and `-m/--mongo_db` add \
           observers that record the run, and `-u/--unobserved` ignores them. \
           `-n/--name`, `-c/--comment` and `-i/--id` label the run; `-p/--print-config` \
           prints the configuration first.",
};

/// Every command, in the order `--help` lists them, then `main`.
pub(crate) const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "print_config",
        command: Command::PrintConfig,
        summary: "Print the updated configuration and exit.",
        usage: "{program} print_config [with UPDATE...] [--sources]",
        body: "Resolves the configuration as a run would, from the parameter defaults and what \
               follows `with`, prints it and exits without running the experiment. With \
               `--sources`, each value also shows where it came from: a default, a named \
               config, a config file or the command line.",
    },
    CommandSpec {
        name: "print_named_configs",
        command: Command::PrintNamedConfigs,
        summary: "Print the available named configs and exit.",
        usage: "{program} print_named_configs",
        body: "Lists the named configs that `with NAME` selects, each with its documentation, \
               and exits without running the experiment.",
    },
    CommandSpec {
        name: "save_config",
        command: Command::SaveConfig,
        summary: "Store the updated configuration in a file.",
        usage: "{program} save_config [with UPDATE...] [--config-file=FILE]",
        body: "Resolves the configuration like print_config, writes it to FILE and exits \
               without running the experiment. FILE is given as in Sacred, with \
               `with config_filename=FILE`, or with `--config-file`, and defaults to \
               `config.json`; its extension chooses the format (.json, .toml, .yaml, .yml).",
    },
    CommandSpec {
        name: "print_dependencies",
        command: Command::PrintDependencies,
        summary: "Print the detected source-files and dependencies.",
        usage: "{program} print_dependencies",
        body: "Lists what a run records about the code: the packages compiled into the \
               binary, with their versions (`*` marks the crate's own direct dependencies), \
               the source files embedded at build time with their md5, and the git \
               repositories with their commit (`M` marks uncommitted changes), and exits \
               without running the experiment.",
    },
    CommandSpec {
        name: "sync",
        command: Command::Sync(Vec::new()),
        summary: "Send kept run journals to the observers that lack them.",
        usage: "{program} sync [JOURNAL...] [-F DIR] [-m DB]",
        body: "Every observed run writes its events to a journal first (in `.sacred/journal`, \
               or SACRED_JOURNAL_DIR or sacred.toml's journal_dir). When an observer could not \
               store a run, the run ends with exit code 3 and keeps its journal; sync sends the \
               whole run to that observer later, from any process. Without JOURNAL it sends \
               every journal in the journal directory; without -F and -m it sends each run to \
               the observers that could not store it (give -m again when its URL has a \
               password). An observer that has the run already is skipped, so sync is safe to \
               run twice; a journal is removed once every observer of its run has it. Exit \
               code 3 when something could not be sent.",
    },
    CommandSpec {
        name: "sweep",
        command: Command::Sweep,
        summary: "Run, or queue, the runs of a grid of config values.",
        usage: "{program} sweep [with UPDATE...] [--random N] [-j N] [-q] [options]",
        body: "An update whose value is a list sweeps it: `with lr=[0.1,0.01] batch_size=[16,32]` \
               is the grid of 4 runs, the last key varying fastest. For a parameter whose type \
               is a list (Vec, array, tuple), a list is its value, and a list of lists sweeps \
               it; wrapping a list once more (`x=[[1,2]]`) makes it one value of any \
               parameter. `--random N` runs N points drawn from the grid (all distinct while \
               N is at most the grid's size), the same N for the same sweep. Each run gets \
               its own seed, derived from the sweep (or from `seed=S`), and `meta.sweep_id` \
               and `meta.sweep_point`. The runs go one after the other, `-j N` at a time as \
               processes of their own, or into the queue with `-q` (and `-m`), for workers.",
    },
    CommandSpec {
        name: "worker",
        command: Command::Worker,
        summary: "Run the queued runs of this experiment, one at a time.",
        usage: "{program} worker -m DB [--max-runs N] [--idle-exit SECS] [--dead-after SECS]",
        body: "Claims the QUEUED runs of this experiment in the database of -m, highest \
               priority (-P) first, then the oldest, each with one atomic find-and-modify, \
               and runs each with its stored config and seed in a process of its own, \
               recorded in place like any run. Any number of workers on any number of hosts \
               share a queue: each queued run is claimed once. Before each claim, a RUNNING \
               run of this experiment without a beat for --dead-after seconds (default: \
               three of its beat intervals) is put back in the queue, at most 3 times, then \
               marked FAILED. Exits after --max-runs runs, or when the queue has been empty \
               for --idle-exit seconds; without either it waits for more.",
    },
    CommandSpec {
        name: "rerun",
        command: Command::Rerun(String::new()),
        summary: "Run a stored run again with its config and seed.",
        usage: "{program} rerun ID (-m DB | -F DIR) [options]",
        body: "Reads the run ID from the database of -m (or the directory of -F) and runs the \
               experiment again with its stored config, seed included, recorded as a new run \
               whose `meta.rerun_of` is ID. A deterministic experiment gives the same result.",
    },
    CommandSpec {
        name: "dead",
        command: Command::Dead,
        summary: "List the RUNNING runs whose process died.",
        usage: "{program} dead -m DB [--dead-after SECONDS] [--mark]",
        body: "Lists the RUNNING runs of this experiment without a beat for --dead-after \
               seconds (default: three of each run's beat intervals, Sacred's 10 s for runs \
               started without a worker). With --mark they are marked FAILED.",
    },
    CommandSpec {
        name: "runs",
        command: Command::Runs,
        summary: "List, show, compare, plot and remove recorded runs.",
        usage: "{program} runs ls|show|diff|metrics|export|plot|rm [ARG...] [-F DIR | -m DB]",
        body: "Reads the runs recorded in file storage (-F DIR; default the configured \
               directory, else ./runs) or MongoDB (-m DB), this experiment's own by default \
               (--all for every experiment's). `ls` lists them, newest first, with the config \
               values that differ; `show ID` prints one run; `diff A B` compares runs; \
               `metrics ID` prints a run's series (--csv, --json); `export` writes one CSV of \
               config, result and metric summaries; `plot NAME -o FILE.png` draws a metric \
               of many runs (the `plot` feature); `rm ID` removes runs after asking. \
               `{program} runs --help` lists every flag.",
    },
    CommandSpec {
        name: "help",
        command: Command::Help(None),
        summary: "Print the help of the experiment or of one command.",
        usage: "{program} help [COMMAND]",
        body: "Without COMMAND, prints the help of the experiment, as `{program} --help` \
               does: the usage, the flags, the commands and the config parameters. With \
               COMMAND, prints the help of that command.",
    },
    MAIN,
];

impl CommandSpec {
    /// The commands `--help` lists: all but `main`.
    pub(crate) fn listed() -> impl Iterator<Item = &'static CommandSpec> {
        COMMANDS
            .iter()
            .filter(|spec| !matches!(spec.command, Command::Main))
    }

    /// The command called `name`, `main` included.
    pub(crate) fn find(name: &str) -> Option<&'static CommandSpec> {
        COMMANDS.iter().find(|spec| spec.name == name)
    }

    /// The row of a parsed command.
    pub(crate) fn of(command: &Command) -> &'static CommandSpec {
        let wanted = std::mem::discriminant(command);
        COMMANDS
            .iter()
            .find(|spec| std::mem::discriminant(&spec.command) == wanted)
            // Every variant has a row (a test checks it).
            .unwrap_or(&MAIN)
    }

    /// A "did you mean" hint for a mistyped command name, `main` included.
    pub(crate) fn did_you_mean(name: &str) -> Option<String> {
        suggest::did_you_mean(name, COMMANDS.iter().map(|spec| spec.name))
    }
}

/// The error for `help NAME` when there is no command `NAME`.
pub(crate) fn unknown_help_topic(name: &str) -> Error {
    let hint = CommandSpec::did_you_mean(name)
        .map(|h| format!("\n  {h}"))
        .unwrap_or_default();
    let listed: Vec<&str> = CommandSpec::listed().map(|spec| spec.name).collect();
    Error::usage(format!(
        "`help {name}`: unknown command `{name}`; expected one of main, {}{hint}",
        listed.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_one_row() {
        let commands = [
            Command::Main,
            Command::PrintConfig,
            Command::PrintNamedConfigs,
            Command::PrintDependencies,
            Command::SaveConfig,
            Command::Help(None),
            Command::Sync(Vec::new()),
            Command::Sweep,
            Command::Worker,
            Command::Rerun(String::new()),
            Command::Dead,
            Command::Runs,
        ];
        for command in &commands {
            let rows = COMMANDS
                .iter()
                .filter(|spec| {
                    std::mem::discriminant(&spec.command) == std::mem::discriminant(command)
                })
                .count();
            assert_eq!(rows, 1, "{command:?}");
            assert_eq!(CommandSpec::of(command).command, *command);
        }
        assert_eq!(COMMANDS.len(), commands.len());
        assert_eq!(
            CommandSpec::of(&Command::Help(Some("x".to_owned()))).name,
            "help"
        );
    }

    #[test]
    fn names_are_unique_and_found() {
        for spec in COMMANDS {
            assert_eq!(
                CommandSpec::find(spec.name).map(|s| s.name),
                Some(spec.name)
            );
        }
        assert!(CommandSpec::find("with").is_none());
        assert!(CommandSpec::find("").is_none());
    }

    #[test]
    fn main_is_accepted_but_not_listed() {
        let listed: Vec<&str> = CommandSpec::listed().map(|spec| spec.name).collect();
        assert_eq!(
            listed,
            [
                "print_config",
                "print_named_configs",
                "save_config",
                "print_dependencies",
                "sync",
                "sweep",
                "worker",
                "rerun",
                "dead",
                "runs",
                "help"
            ]
        );
        assert!(CommandSpec::find("main").is_some());
    }

    #[test]
    fn unknown_help_topic_lists_and_suggests() {
        assert_eq!(
            unknown_help_topic("print_confg").to_string(),
            "`help print_confg`: unknown command `print_confg`; expected one of main, \
             print_config, print_named_configs, save_config, print_dependencies, sync, sweep, worker, rerun, dead, \
             runs, help\n  did you mean `print_config`?"
        );
        assert_eq!(
            unknown_help_topic("mian").to_string(),
            "`help mian`: unknown command `mian`; expected one of main, print_config, \
             print_named_configs, save_config, print_dependencies, sync, sweep, worker, rerun, \
             dead, runs, help\n  did you mean `main`?"
        );
        let far = unknown_help_topic("small_model").to_string();
        assert!(!far.contains("did you mean"), "{far}");
        assert_eq!(unknown_help_topic("x").exit_code(), 2);
    }
}
