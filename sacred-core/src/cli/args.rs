//! Tokenising and parsing argv.

use super::Invocation;
use crate::Error;

/// Parses a command line; `args[0]` is the program name.
///
/// # Errors
/// A usage error naming the offending token.
pub fn parse(args: &[String]) -> Result<Invocation, Error> {
    let _ = args;
    Err(Error::usage("the command-line parser is not written yet"))
}
