//! What the experiment function returned, turned into a [`FunctionOutcome`] by its type,
//! never by the spelling of its return type.
//!
//! The code `#[experiment]` generates does, for a function returning `R`:
//!
//! ```text
//! let ret: R = user_function(…);
//! match (&&Returned(&ret)).sacred_return_kind().split(ret) {
//!     Ok(outcome) => outcome,
//!     Err(err) => (&&&&ErrorRef(&err)).sacred_error_kind().failure(&err),
//! }
//! ```
//!
//! Method resolution picks the first kind that applies (autoref specialisation): any
//! `core::result::Result<T, E>`, whatever it is called (`anyhow::Result<T>`, an alias), is a
//! [`ResultKind`] whose `Err` fails the run; anything else is a [`ValueKind`], the run's
//! result. An error's causes come from [`std::error::Error::source`], for an `E` that is an
//! error or holds one (`anyhow::Error`, `Box<dyn Error>`); any other `E: Display` gives
//! its message alone. The bounds (`T: Serialize`, `E: Display`) sit on the kinds' methods,
//! so a type that lacks one is a compile error naming it.

use std::error::Error as StdError;
use std::fmt::Display;

use serde::Serialize;

use crate::experiment::{Failure, FunctionOutcome, returned};

/// A reference to what the experiment function returned, for choosing its kind.
#[derive(Debug)]
pub struct Returned<'a, R>(pub &'a R);

/// A `core::result::Result`: `Ok` is the result, `Err` fails the run.
#[derive(Debug, Clone, Copy)]
pub struct ResultKind;

/// Any other value: the run's result.
#[derive(Debug, Clone, Copy)]
pub struct ValueKind;

/// Chooses [`ResultKind`] for a `Result`.
pub trait ResultKindPick {
    /// The kind.
    fn sacred_return_kind(&self) -> ResultKind {
        ResultKind
    }
}

impl<T, E> ResultKindPick for &Returned<'_, Result<T, E>> {}

/// Chooses [`ValueKind`] for anything that is not a `Result`.
pub trait ValueKindPick {
    /// The kind.
    fn sacred_return_kind(&self) -> ValueKind {
        ValueKind
    }
}

impl<R> ValueKindPick for Returned<'_, R> {}

impl ResultKind {
    /// `Ok(value)` as the run's result, or the error to turn into a failure.
    ///
    /// # Errors
    /// The function's `Err`.
    pub fn split<T: Serialize, E>(
        self,
        returned_value: Result<T, E>,
    ) -> Result<FunctionOutcome, E> {
        returned_value.map(returned)
    }
}

impl ValueKind {
    /// The value as the run's result.
    ///
    /// # Errors
    /// Never: the error type is uninhabited.
    pub fn split<T: Serialize>(
        self,
        value: T,
    ) -> Result<FunctionOutcome, std::convert::Infallible> {
        Ok(returned(value))
    }
}

/// A reference to the error an experiment function returned, for choosing how to read it.
#[derive(Debug)]
pub struct ErrorRef<'a, E>(pub &'a E);

/// An error type: message and `source()` chain.
#[derive(Debug, Clone, Copy)]
pub struct StdErrorKind;
/// A holder of a `dyn Error + Send + Sync` (`anyhow::Error`, `Box<dyn Error + Send + Sync>`).
#[derive(Debug, Clone, Copy)]
pub struct SyncDynErrorKind;
/// A holder of a `dyn Error` (`Box<dyn Error>`).
#[derive(Debug, Clone, Copy)]
pub struct DynErrorKind;
/// Anything else that displays: its message alone.
#[derive(Debug, Clone, Copy)]
pub struct DisplayKind;

/// Chooses [`StdErrorKind`].
pub trait StdErrorPick {
    /// The kind.
    fn sacred_error_kind(&self) -> StdErrorKind {
        StdErrorKind
    }
}
impl<E: StdError> StdErrorPick for &&&ErrorRef<'_, E> {}

/// Chooses [`SyncDynErrorKind`].
pub trait SyncDynErrorPick {
    /// The kind.
    fn sacred_error_kind(&self) -> SyncDynErrorKind {
        SyncDynErrorKind
    }
}
impl<E: AsRef<dyn StdError + Send + Sync + 'static>> SyncDynErrorPick for &&ErrorRef<'_, E> {}

/// Chooses [`DynErrorKind`].
pub trait DynErrorPick {
    /// The kind.
    fn sacred_error_kind(&self) -> DynErrorKind {
        DynErrorKind
    }
}
impl<E: AsRef<dyn StdError + 'static>> DynErrorPick for &ErrorRef<'_, E> {}

/// Chooses [`DisplayKind`].
pub trait DisplayPick {
    /// The kind.
    fn sacred_error_kind(&self) -> DisplayKind {
        DisplayKind
    }
}
impl<E> DisplayPick for ErrorRef<'_, E> {}

impl StdErrorKind {
    /// The failure: the error's message and its chain of sources.
    pub fn failure<E: StdError>(self, error: &E) -> Failure {
        Failure {
            message: error.to_string(),
            causes: causes(error.source()),
        }
    }
}

impl SyncDynErrorKind {
    /// The failure: the error's message and the chain of sources of the error it holds.
    pub fn failure<E: AsRef<dyn StdError + Send + Sync + 'static> + Display>(
        self,
        error: &E,
    ) -> Failure {
        Failure {
            message: error.to_string(),
            causes: causes(error.as_ref().source()),
        }
    }
}

impl DynErrorKind {
    /// The failure: the error's message and the chain of sources of the error it holds.
    pub fn failure<E: AsRef<dyn StdError + 'static> + Display>(self, error: &E) -> Failure {
        Failure {
            message: error.to_string(),
            causes: causes(error.as_ref().source()),
        }
    }
}

impl DisplayKind {
    /// The failure: the error's message.
    pub fn failure<E: Display>(self, error: &E) -> Failure {
        Failure {
            message: error.to_string(),
            causes: Vec::new(),
        }
    }
}

/// The `Display` texts of `first` and its sources, outermost first.
fn causes(first: Option<&(dyn StdError + 'static)>) -> Vec<String> {
    let mut causes = Vec::new();
    let mut next = first;
    while let Some(error) = next {
        causes.push(error.to_string());
        next = error.source();
    }
    causes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug)]
    struct Outer(Inner);
    #[derive(Debug)]
    struct Inner;

    impl Display for Outer {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("loading failed")
        }
    }
    impl StdError for Outer {
        fn source(&self) -> Option<&(dyn StdError + 'static)> {
            Some(&self.0)
        }
    }
    impl Display for Inner {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("file missing")
        }
    }
    impl StdError for Inner {}

    /// What the generated code does with a returned value.
    macro_rules! outcome {
        ($ret:expr) => {{
            let ret = $ret;
            match (&&Returned(&ret)).sacred_return_kind().split(ret) {
                Ok(outcome) => outcome,
                Err(err) => {
                    FunctionOutcome::Failed((&&&&ErrorRef(&err)).sacred_error_kind().failure(&err))
                }
            }
        }};
    }

    fn failed(message: &str, causes: &[&str]) -> FunctionOutcome {
        FunctionOutcome::Failed(Failure {
            message: message.to_owned(),
            causes: causes.iter().map(|c| (*c).to_owned()).collect(),
        })
    }

    #[test]
    fn results_fail_by_type_with_their_causes() {
        let r: Result<u32, Outer> = Err(Outer(Inner));
        assert_eq!(outcome!(r), failed("loading failed", &["file missing"]));
        let r: Result<u32, Box<dyn StdError>> = Err(Box::new(Outer(Inner)));
        assert_eq!(outcome!(r), failed("loading failed", &["file missing"]));
        let r: Result<u32, Box<dyn StdError + Send + Sync>> = Err(Box::new(Outer(Inner)));
        assert_eq!(outcome!(r), failed("loading failed", &["file missing"]));
        let r: Result<u32, String> = Err("plain".to_owned());
        assert_eq!(outcome!(r), failed("plain", &[]));
        let r: Result<u32, String> = Ok(3);
        assert_eq!(outcome!(r), FunctionOutcome::Returned(Some(3.into())));
        type Aliased<T> = Result<T, Outer>;
        let r: Aliased<()> = Ok(());
        assert_eq!(outcome!(r), FunctionOutcome::Returned(None));
    }

    #[test]
    fn other_values_are_results() {
        #[derive(Serialize)]
        #[allow(dead_code)]
        enum Result {
            Err(String),
        }
        assert_eq!(
            outcome!(Result::Err("kept".to_owned())),
            FunctionOutcome::Returned(Some(serde_json::json!({"Err": "kept"})))
        );
        assert_eq!(outcome!(2.5), FunctionOutcome::Returned(Some(2.5.into())));
        assert_eq!(outcome!(()), FunctionOutcome::Returned(None));
    }
}
