//! Writes tokens back as compact source text (`Vec<f64>`, not `Vec < f64 >`), for the
//! type names in the parameter table and the names quoted in diagnostics.

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use quote::ToTokens;

/// One piece of source text, before spaces are decided.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Atom {
    /// An identifier, a literal or a lifetime.
    Word(String),
    /// A run of joined punctuation (`::`, `->`, `<`).
    Op(String),
    /// An opening delimiter.
    Open(char),
    /// A closing delimiter.
    Close(char),
}

/// The tokens of `node` as compact source text.
pub(crate) fn compact<T: ToTokens + ?Sized>(node: &T) -> String {
    let mut atoms = Vec::new();
    collect(node.to_token_stream(), &mut atoms);
    let mut out = String::new();
    let mut prev: Option<&Atom> = None;
    for atom in &atoms {
        if let Some(prev) = prev
            && needs_space(prev, atom)
        {
            out.push(' ');
        }
        match atom {
            Atom::Word(s) | Atom::Op(s) => out.push_str(s),
            Atom::Open(c) | Atom::Close(c) => out.push(*c),
        }
        prev = Some(atom);
    }
    out
}

/// Operators written with a space on both sides.
fn is_spaced_op(op: &str) -> bool {
    matches!(op, "->" | "=>" | "=" | "+")
}

fn needs_space(prev: &Atom, cur: &Atom) -> bool {
    match (prev, cur) {
        (_, Atom::Close(_)) | (Atom::Open(_), _) => false,
        (Atom::Op(op), _) if matches!(op.as_str(), "," | ";" | ":") || is_spaced_op(op) => true,
        (_, Atom::Op(op)) => is_spaced_op(op),
        (Atom::Word(_), Atom::Word(_)) => true,
        _ => false,
    }
}

fn collect(tokens: TokenStream, atoms: &mut Vec<Atom>) {
    let mut iter = tokens.into_iter().peekable();
    // A run of joint punctuation waiting for its last character.
    let mut op = String::new();
    while let Some(tree) = iter.next() {
        match tree {
            TokenTree::Group(group) => {
                let (open, close) = match group.delimiter() {
                    Delimiter::Parenthesis => (Some('('), Some(')')),
                    Delimiter::Bracket => (Some('['), Some(']')),
                    Delimiter::Brace => (Some('{'), Some('}')),
                    Delimiter::None => (None, None),
                };
                atoms.extend(open.map(Atom::Open));
                collect(group.stream(), atoms);
                atoms.extend(close.map(Atom::Close));
            }
            TokenTree::Ident(ident) => atoms.push(Atom::Word(ident.to_string())),
            TokenTree::Literal(lit) => atoms.push(Atom::Word(lit.to_string())),
            TokenTree::Punct(punct) => {
                if punct.as_char() == '\''
                    && let Some(TokenTree::Ident(_)) = iter.peek()
                    && let Some(TokenTree::Ident(name)) = iter.next()
                {
                    atoms.push(Atom::Word(format!("'{name}")));
                    continue;
                }
                op.push(punct.as_char());
                let joined = punct.spacing() == proc_macro2::Spacing::Joint
                    && matches!(iter.peek(), Some(TokenTree::Punct(_)));
                if !joined {
                    atoms.push(Atom::Op(std::mem::take(&mut op)));
                }
            }
        }
    }
    if !op.is_empty() {
        atoms.push(Atom::Op(op));
    }
}

/// `s` without whitespace: tests compare generated code this way.
#[cfg(test)]
pub(crate) fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

#[cfg(test)]
mod tests {
    use super::compact;

    fn ty(src: &str) -> String {
        match syn::parse_str::<syn::Type>(src) {
            Ok(ty) => compact(&ty),
            Err(err) => format!("parse error: {err}"),
        }
    }

    #[test]
    fn paths_and_generics_have_no_spaces() {
        assert_eq!(ty("Vec < f64 >"), "Vec<f64>");
        assert_eq!(ty("Option<Vec<u8>>"), "Option<Vec<u8>>");
        assert_eq!(
            ty("std :: collections :: HashMap<String,u32>"),
            "std::collections::HashMap<String, u32>"
        );
        assert_eq!(ty("<T as Trait>::Out"), "<T as Trait>::Out");
    }

    #[test]
    fn tuples_arrays_and_references() {
        assert_eq!(ty("(u32,f64)"), "(u32, f64)");
        assert_eq!(ty("[f64;3]"), "[f64; 3]");
        assert_eq!(ty("& 'static str"), "&'static str");
        assert_eq!(ty("&'a mut Vec<u8>"), "&'a mut Vec<u8>");
        assert_eq!(ty("*const u8"), "*const u8");
        assert_eq!(ty("()"), "()");
    }

    #[test]
    fn trait_objects_and_fn_pointers() {
        assert_eq!(
            ty("Box<dyn Fn(u32)->u32+Send+'static>"),
            "Box<dyn Fn(u32) -> u32 + Send + 'static>"
        );
        assert_eq!(ty("impl Iterator<Item=u8>"), "impl Iterator<Item = u8>");
    }
}
