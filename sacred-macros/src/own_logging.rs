//! Whether the experiment's code sets up logging of its own: `tracing_subscriber::fmt::
//! init()`, `env_logger::init()` and the like claim the process-wide `tracing` subscriber
//! and `log` logger, which can be set once only. When it does, the runtime leaves both
//! slots free for it instead of installing sacred's first, which would make `init()` panic.
//!
//! `#[experiment(logging = "own" | "sacred")]` decides explicitly; without it the macro
//! reads the file holding the experiment and the modules that file declares (`mod x;`),
//! as tokens, and looks for the name of a logging crate or of a function that installs a
//! logger. Comments and strings are not tokens it looks at. A setup elsewhere (a library
//! function of the crate) is not seen: the run's failure then says to add the argument.

use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};

/// Names whose use means the code installs a global subscriber or logger: the crates that
/// do it, and the functions of `tracing` and `log` that do it directly.
const SETUP_NAMES: &[&str] = &[
    "tracing_subscriber",
    "tracing_log",
    "env_logger",
    "pretty_env_logger",
    "simple_logger",
    "simplelog",
    "stderrlog",
    "fern",
    "flexi_logger",
    "log4rs",
    "set_global_default",
    "set_logger",
    "set_boxed_logger",
];

/// At most this many files are read, against cycles and very large module trees.
const MAX_FILES: usize = 256;

/// Why the experiment `item`, in the file the macro was called from, and the modules that
/// file declares, set up logging of their own (`` `env_logger` in src/main.rs ``), or
/// `None` when they do not. Items marked `#[cfg(test)]` or `#[test]` are left out: their
/// setup runs in tests only.
pub(crate) fn detect(item: &TokenStream) -> Option<String> {
    if let Some(name) = setup_in(item.clone()) {
        return Some(format!("`{name}` in the experiment function"));
    }
    let file = crate::crate_files::call_site_file()?;
    let (name, found_in) = module_tree_setup(&file)?;
    let shown = std::env::var_os("CARGO_MANIFEST_DIR")
        .and_then(|dir| found_in.strip_prefix(dir).ok().map(Path::to_path_buf))
        .unwrap_or(found_in);
    Some(format!("`{name}` in {}", shown.display()))
}

/// The setup name found in `file` or a module file it declares (and so on down), with the
/// file it is in.
fn module_tree_setup(file: &Path) -> Option<(String, PathBuf)> {
    let mut pending = vec![(file.to_path_buf(), true)];
    let mut seen = Vec::new();
    while let Some((path, root)) = pending.pop() {
        if seen.contains(&path) || seen.len() >= MAX_FILES {
            continue;
        }
        seen.push(path.clone());
        let Some(tokens) = std::fs::read_to_string(&path)
            .ok()
            .and_then(|text| text.parse::<TokenStream>().ok())
        else {
            continue;
        };
        if let Some(name) = setup_in(tokens.clone()) {
            return Some((name, path));
        }
        let dir = module_dir(&path, root);
        for name in declared_modules(tokens) {
            for candidate in [
                dir.join(format!("{name}.rs")),
                dir.join(&name).join("mod.rs"),
            ] {
                if candidate.is_file() {
                    pending.push((candidate, false));
                    break;
                }
            }
        }
    }
    None
}

/// The directory where the modules that `file` declares live: next to it for a crate root
/// (the file the macro was called from is taken as one) or a `mod.rs`, else in the
/// directory named after it.
fn module_dir(file: &Path, root: bool) -> PathBuf {
    let parent = file.parent().map(Path::to_path_buf).unwrap_or_default();
    let stem = file.file_stem().and_then(|s| s.to_str()).unwrap_or("");
    if root || matches!(stem, "mod" | "main" | "lib") {
        parent
    } else {
        parent.join(stem)
    }
}

/// The first of [`SETUP_NAMES`] that `tokens` name, at any depth, outside the items marked
/// `#[cfg(test)]` or `#[test]`.
fn setup_in(tokens: TokenStream) -> Option<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut i = 0;
    while i < trees.len() {
        if let Some(after) = test_only_item(&trees[i..]) {
            i += after;
            continue;
        }
        match &trees[i] {
            TokenTree::Ident(ident) => {
                let name = ident.to_string();
                let name = name.strip_prefix("r#").unwrap_or(&name);
                if SETUP_NAMES.contains(&name) {
                    return Some(name.to_owned());
                }
            }
            TokenTree::Group(group) => {
                if let Some(name) = setup_in(group.stream()) {
                    return Some(name);
                }
            }
            TokenTree::Punct(_) | TokenTree::Literal(_) => {}
        }
        i += 1;
    }
    None
}

/// When `trees` start with `#[cfg(test)]` or `#[test]`: how many trees the attribute and
/// the item it marks take (up to the item's first `{…}` block or its `;`).
fn test_only_item(trees: &[TokenTree]) -> Option<usize> {
    let [TokenTree::Punct(hash), TokenTree::Group(attr), rest @ ..] = trees else {
        return None;
    };
    let attr = attr.stream().to_string().replace(' ', "");
    if hash.as_char() != '#' || !(attr == "cfg(test)" || attr == "test") {
        return None;
    }
    let end = rest.iter().position(|tree| match tree {
        TokenTree::Group(group) => group.delimiter() == proc_macro2::Delimiter::Brace,
        TokenTree::Punct(punct) => punct.as_char() == ';',
        _ => false,
    })?;
    Some(2 + end + 1)
}

/// The modules that `tokens` declare from files, `mod name;` at their top level, leaving out
/// the ones marked `#[cfg(test)]`. A `#[path]` attribute is not followed, nor are the
/// modules declared inside inline modules (rare around an experiment).
fn declared_modules(tokens: TokenStream) -> Vec<String> {
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut modules = Vec::new();
    for (i, window) in trees.windows(3).enumerate() {
        let [
            TokenTree::Ident(keyword),
            TokenTree::Ident(name),
            TokenTree::Punct(semi),
        ] = window
        else {
            continue;
        };
        if keyword != "mod" || semi.as_char() != ';' || only_in_tests(&trees[..i]) {
            continue;
        }
        let name = name.to_string();
        modules.push(name.strip_prefix("r#").unwrap_or(&name).to_owned());
    }
    modules
}

/// Whether the item whose `mod` keyword follows `before` is marked `#[cfg(test)]`: its
/// visibility (`pub`, `pub(crate)`) skipped, the attribute just before it.
fn only_in_tests(before: &[TokenTree]) -> bool {
    let mut rest = before;
    if let [head @ .., TokenTree::Group(_)] = rest
        && matches!(head.last(), Some(TokenTree::Ident(ident)) if ident == "pub")
    {
        rest = head;
    }
    if let [head @ .., TokenTree::Ident(ident)] = rest
        && ident == "pub"
    {
        rest = head;
    }
    match rest {
        [.., TokenTree::Punct(hash), TokenTree::Group(attr)] if hash.as_char() == '#' => {
            attr.stream().to_string().replace(' ', "") == "cfg(test)"
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_dir::TempDir;

    fn tokens(text: &str) -> TokenStream {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn the_usual_setups_are_seen() {
        for code in [
            "fn main() { tracing_subscriber::fmt::init(); }",
            "use tracing_subscriber::prelude::*; fn main() { fmt().init(); }",
            "fn main() { env_logger::init(); }",
            "fn main() { tracing::subscriber::set_global_default(s).unwrap(); }",
            "fn main() { log::set_boxed_logger(Box::new(L)).unwrap(); }",
            "fn main() { if x { { fern::Dispatch::new().apply().unwrap(); } } }",
            // After an item for the tests only.
            "#[cfg(test)]\nmod t { fn f() {} }\nfn main() { env_logger::init(); }",
        ] {
            assert!(setup_in(tokens(code)).is_some(), "{code}");
        }
    }

    #[test]
    fn comments_strings_and_other_names_are_not_setups() {
        for code in [
            "// tracing_subscriber::fmt::init();\nfn main() {}",
            "/// Uses env_logger.\nfn main() { println!(\"env_logger::init()\"); }",
            "fn main() { tracing::info!(\"x\"); log::info!(\"y\"); model.init(); }",
            "fn main() { let subscriber_count = 1; tracing::subscriber::set_default(s); }",
            // A setup for the tests only.
            "fn main() {}\n#[cfg(test)]\nmod tests { fn t() { env_logger::init(); } }",
            "fn main() {}\n#[test]\nfn t() { let _ = tracing_subscriber::fmt().try_init(); }",
            "#[cfg(test)]\nuse tracing_subscriber::fmt;\nfn main() {}",
        ] {
            assert_eq!(setup_in(tokens(code)), None, "{code}");
        }
    }

    #[test]
    fn module_files_are_followed_from_the_calling_file() {
        let dir = TempDir::new();
        let root = dir.write(
            "main.rs",
            "mod setup;\nmod r#data;\n#[cfg(test)]\nmod tests;\nfn main() { setup::logs(); }",
        );
        dir.write("data.rs", "pub fn load() {}");
        dir.write("setup/mod.rs", "pub(crate) mod inner;");
        dir.write("tests.rs", "fn t() { env_logger::init(); }");
        dir.write("setup/inner.rs", "pub fn logs() {}");
        assert_eq!(module_tree_setup(&root), None);
        let inner = dir.write("setup/inner.rs", "pub fn logs() { env_logger::init(); }");
        assert_eq!(
            module_tree_setup(&root),
            Some(("env_logger".to_owned(), inner))
        );
    }

    #[test]
    fn a_module_of_a_non_root_file_lives_in_its_directory() {
        assert_eq!(
            module_dir(Path::new("/c/src/exp.rs"), false),
            Path::new("/c/src/exp")
        );
        assert_eq!(
            module_dir(Path::new("/c/examples/exp.rs"), true),
            Path::new("/c/examples")
        );
        assert_eq!(
            module_dir(Path::new("/c/src/a/mod.rs"), false),
            Path::new("/c/src/a")
        );
    }
}
