//! The `#[experiment]` and `#[named_config]` attribute macros of `sacred`.

use proc_macro::TokenStream;

/// Turns a function into an experiment.
#[proc_macro_attribute]
pub fn experiment(attr: TokenStream, item: TokenStream) -> TokenStream {
    let _ = attr;
    item
}

/// Declares a named config.
#[proc_macro_attribute]
pub fn named_config(attr: TokenStream, item: TokenStream) -> TokenStream {
    let _ = attr;
    item
}
