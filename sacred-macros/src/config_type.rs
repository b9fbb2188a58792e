//! `#[config]` and `#[ingredient]`: a struct or enum of the user's becomes a config type
//! with a table of its fields (name, type, doc, default, the table of the field's type) or
//! variants, and a `…Partial` struct for typed named configs. The same pipeline as
//! `#[experiment]` (read, check, expand, or fall back), small enough for one module.

use proc_macro2::TokenStream;
use quote::{format_ident, quote, quote_spanned};
use syn::ext::IdentExt;
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{Attribute, Fields, Ident, Item, LitStr, Path, Type};

use crate::attr::{Attr, default_expr, parse_named_configs, skip_value};
use crate::ctxt::Ctxt;
use crate::docs::doc_text;
use crate::expand::named_config_const;
use crate::serde_names::{RULES, SerdeAttrs, apply_rule};
use crate::source_text::compact;

/// Which attribute: `#[config]` or `#[ingredient]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Flavor {
    /// `#[config]`: a nested struct or an enum.
    Config,
    /// `#[ingredient]`: a struct with its own named configs and seed.
    Ingredient,
}

impl Flavor {
    fn attr(self) -> &'static str {
        match self {
            Flavor::Config => "#[config]",
            Flavor::Ingredient => "#[ingredient]",
        }
    }
}

/// One field as the table needs it.
struct FieldModel {
    /// Its config key: the field's name after serde's renames.
    name: String,
    ty: Type,
    doc: String,
    default: Option<syn::Expr>,
    /// `#[serde(default)]` (`None` inside: `Default::default`) or `default = "path"`.
    serde_default: Option<Option<syn::ExprPath>>,
}

/// The expansion of `#[config]` or `#[ingredient]`.
pub(crate) fn config_type(flavor: Flavor, args: TokenStream, item: TokenStream) -> TokenStream {
    let what = flavor.attr();
    let mut item: Item =
        match crate::parse_item(item, &format!("`{what}` goes on a struct or an enum")) {
            Ok(item) => item,
            Err(kept) => return kept,
        };
    let ctxt = Ctxt::new();
    let named_configs = parse_args(flavor, args, &ctxt);
    let tables = read_and_strip(flavor, &mut item, &ctxt);
    match ctxt.check() {
        Ok(()) => match tables {
            Some(body) => expand(flavor, &item, &body, &named_configs),
            None => quote!(#item),
        },
        Err(err) => {
            let err = err.to_compile_error();
            let stub = with_derives_and_partial(&item);
            quote!(#stub #err)
        }
    }
}

/// The item with what needs no table: serde's derives and the `…Partial` struct. After
/// an error this is all that is emitted, so that code using the type reports no errors of
/// its own.
fn with_derives_and_partial(item: &Item) -> TokenStream {
    let (attrs, generics) = match item {
        Item::Struct(s) => (&s.attrs, &s.generics),
        Item::Enum(e) => (&e.attrs, &e.generics),
        _ => return quote!(#item),
    };
    let derives = if derives_serde(attrs) {
        TokenStream::new()
    } else {
        crate::expand::serde_derives()
    };
    let partial = match item {
        Item::Struct(s) if generics.params.is_empty() && matches!(s.fields, Fields::Named(_)) => {
            let rule = SerdeAttrs::read(&s.attrs).rename_all.map(|lit| lit.value());
            partial(&s.vis, &s.ident, rule.as_deref(), s.fields.iter())
        }
        _ => TokenStream::new(),
    };
    quote! {
        #derives
        #item
        #partial
    }
}

/// `named_configs(…)` of `#[ingredient]`; `#[config]` takes nothing.
fn parse_args(flavor: Flavor, args: TokenStream, ctxt: &Ctxt) -> Vec<Path> {
    if flavor == Flavor::Config {
        if !args.is_empty() {
            ctxt.error_spanned_by(
                &args,
                "`#[config]` takes no arguments; named configs belong to an ingredient: `#[ingredient(named_configs(…))]`",
            );
        }
        return Vec::new();
    }
    let mut named = Attr::none(
        ctxt,
        "duplicate `#[ingredient]` argument `named_configs`; list every named config in one `named_configs(…)`",
    );
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("named_configs") {
            if let Some(paths) = parse_named_configs(&meta, ctxt)? {
                named.set(&meta.path, paths);
            }
        } else {
            ctxt.error_spanned_by(
                &meta.path,
                format!(
                    "unknown `#[ingredient]` argument `{}`; expected `named_configs(path, …)`",
                    compact(&meta.path)
                ),
            );
            skip_value(&meta)?;
        }
        Ok(())
    });
    if let Err(err) = parser.parse2(args) {
        ctxt.syn_error(err);
    }
    named.get().unwrap_or_default()
}

/// The body of the table (`Kind::…`), read from the item; the `#[default]`s are removed
/// from the item on the way. `None` when the item cannot be a config type.
fn read_and_strip(flavor: Flavor, item: &mut Item, ctxt: &Ctxt) -> Option<TokenStream> {
    let what = flavor.attr();
    let generics = match item {
        Item::Struct(s) => &s.generics,
        Item::Enum(e) => &e.generics,
        other => {
            ctxt.error_spanned_by(
                &*other,
                format!("`{what}` goes on a struct with named fields or an enum"),
            );
            return None;
        }
    };
    if !generics.params.is_empty() {
        ctxt.error_spanned_by(
            generics,
            format!("`{what}` types take no generic parameters: a config's table is fixed; expected a concrete struct or enum"),
        );
    }
    let container = SerdeAttrs::read(match item {
        Item::Struct(s) => &s.attrs,
        Item::Enum(e) => &e.attrs,
        _ => return None,
    });
    let rule = rename_rule(container.rename_all.as_ref(), ctxt);
    match item {
        Item::Struct(s) => {
            let Fields::Named(_) = s.fields else {
                ctxt.error_spanned_by(
                    &s.ident,
                    format!("`{what}` needs named fields: each one is a config key; expected `struct {} {{ name: Type, … }}`", s.ident),
                );
                return None;
            };
            let fields = read_fields(&mut s.fields, rule.as_deref(), ctxt);
            let fields = field_tables(&fields);
            Some(quote!(::sacred::__private::Kind::Struct(&[#(#fields),*])))
        }
        Item::Enum(e) => {
            if flavor == Flavor::Ingredient {
                ctxt.error_spanned_by(
                    &e.ident,
                    "`#[ingredient]` goes on a struct: an ingredient is a section of the config with named fields; use `#[config]` for an enum",
                );
            }
            if let Some(path) = &container.other_representation {
                ctxt.error_spanned_by(
                    path,
                    format!(
                        "`#[config]` enums use serde's externally tagged form (`\"Unit\"`, `{{\"Variant\": {{…}}}}`), which the command line writes as `key=Variant`; `#[serde({})]` changes it. Remove it, or leave `#[config]` off to use the enum as a plain value",
                        compact(path)
                    ),
                );
            }
            let variants: Vec<TokenStream> = e
                .variants
                .iter_mut()
                .filter_map(|variant| {
                    let own = SerdeAttrs::read(&variant.attrs);
                    if own.skip {
                        return None;
                    }
                    let ident = variant.ident.unraw().to_string();
                    let name = own
                        .rename
                        .clone()
                        .unwrap_or_else(|| renamed(rule.as_deref(), &ident));
                    let field_rule = rename_rule(own.rename_all.as_ref(), ctxt);
                    let doc = doc_text(&variant.attrs);
                    let fields = match &mut variant.fields {
                        Fields::Unit => quote!(::sacred::__private::VariantFields::Unit),
                        Fields::Unnamed(unnamed) if unnamed.unnamed.len() == 1 => {
                            let ty = &unnamed.unnamed[0].ty;
                            let ty_name = compact(ty);
                            let nested = pick(ty);
                            quote!(::sacred::__private::VariantFields::Newtype {
                                ty: #ty_name,
                                nested: #nested,
                            })
                        }
                        Fields::Unnamed(unnamed) => {
                            let types = unnamed.unnamed.iter().map(|f| compact(&f.ty));
                            quote!(::sacred::__private::VariantFields::Tuple(&[#(#types),*]))
                        }
                        named @ Fields::Named(_) => {
                            let fields = read_fields(named, field_rule.as_deref(), ctxt);
                            let fields = field_tables(&fields);
                            quote!(::sacred::__private::VariantFields::Struct(&[#(#fields),*]))
                        }
                    };
                    Some(quote! {
                        ::sacred::__private::Variant { name: #name, doc: #doc, fields: #fields }
                    })
                })
                .collect();
            Some(quote!(::sacred::__private::Kind::Enum(&[#(#variants),*])))
        }
        _ => None,
    }
}

/// The rule of a `rename_all`, checked; an unknown one is reported.
fn rename_rule(lit: Option<&LitStr>, ctxt: &Ctxt) -> Option<String> {
    let lit = lit?;
    let rule = lit.value();
    if apply_rule(&rule, "a").is_none() {
        ctxt.error_spanned_by(
            lit,
            format!(
                "unknown `rename_all` rule `{rule}`; expected one of {}",
                RULES.join(", ")
            ),
        );
        return None;
    }
    Some(rule)
}

/// A name under an optional `rename_all` rule.
fn renamed(rule: Option<&str>, name: &str) -> String {
    rule.and_then(|rule| apply_rule(rule, name))
        .unwrap_or_else(|| name.to_owned())
}

/// Reads named fields (their keys after serde's renames, under `rule`) and removes their
/// `#[default]`s; fields serde skips are left out.
fn read_fields(fields: &mut Fields, rule: Option<&str>, ctxt: &Ctxt) -> Vec<FieldModel> {
    let mut out = Vec::new();
    for field in fields.iter_mut() {
        let Some(ident) = field.ident.clone() else {
            continue;
        };
        let serde = SerdeAttrs::read(&field.attrs);
        let mut default = Attr::none(
            ctxt,
            "duplicate `#[default]` on this field; a field takes one default",
        );
        field.attrs.retain(|attr: &Attribute| {
            if !attr.path().is_ident("default") {
                return true;
            }
            if let Some(expr) = default_expr(attr, ctxt) {
                default.set(attr.path(), expr);
            }
            false
        });
        if serde.skip {
            continue;
        }
        let name = serde
            .rename
            .unwrap_or_else(|| renamed(rule, &ident.unraw().to_string()));
        out.push(FieldModel {
            name,
            ty: field.ty.clone(),
            doc: doc_text(&field.attrs),
            default: default.get(),
            serde_default: serde.default,
        });
    }
    out
}

/// `::sacred::__private::Field { … }` for each field.
fn field_tables(fields: &[FieldModel]) -> Vec<TokenStream> {
    fields
        .iter()
        .map(|field| {
            let name = &field.name;
            let ty = &field.ty;
            let ty_name = compact(ty);
            let doc = &field.doc;
            let default = match (&field.default, &field.serde_default) {
                // Spanned on the user's expression: a default of the wrong type is a type
                // error there.
                (Some(expr), _) => quote_spanned! {expr.span()=>
                    ::core::option::Option::Some(|| ::sacred::__private::default_json::<#ty>(#expr))
                },
                (None, Some(Some(path))) => quote! {
                    ::core::option::Option::Some(|| ::sacred::__private::default_json::<#ty>(#path()))
                },
                (None, Some(None)) => quote! {
                    ::core::option::Option::Some(|| ::sacred::__private::default_json::<#ty>(
                        <#ty as ::core::default::Default>::default(),
                    ))
                },
                (None, None) => quote!(::core::option::Option::None),
            };
            let nested = pick(ty);
            quote! {
                ::sacred::__private::Field {
                    name: #name,
                    ty: #ty_name,
                    doc: #doc,
                    default: #default,
                    nested: #nested,
                }
            }
        })
        .collect()
}

/// A function that returns the table of `ty` when it has one (see `sacred_core::schema::Pick`).
pub(crate) fn pick(ty: &Type) -> TokenStream {
    quote! {
        || {
            #[allow(unused_imports)]
            use ::sacred::__private::{PickConfig as _, PickValue as _};
            (&::sacred::__private::Pick::<#ty>::NEW).sacred_config_type()
        }
    }
}

/// Whether the item already derives serde's `Serialize` (then the user manages serde).
fn derives_serde(attrs: &[Attribute]) -> bool {
    attrs.iter().any(|attr| {
        attr.path().is_ident("derive")
            && attr
                .parse_args_with(
                    syn::punctuated::Punctuated::<Path, syn::Token![,]>::parse_terminated,
                )
                .is_ok_and(|paths| {
                    paths.iter().any(|p| {
                        p.segments
                            .last()
                            .is_some_and(|s| s.ident == "Serialize" || s.ident == "Deserialize")
                    })
                })
    })
}

fn expand(flavor: Flavor, item: &Item, kind: &TokenStream, named_configs: &[Path]) -> TokenStream {
    let (ident, doc) = match item {
        Item::Struct(s) => (&s.ident, doc_text(&s.attrs)),
        Item::Enum(e) => (&e.ident, doc_text(&e.attrs)),
        _ => return quote!(#item),
    };
    let name = ident.unraw().to_string();
    let named = named_configs.iter().map(named_config_const);
    let ingredient = flavor == Flavor::Ingredient;
    let item_and_partial = with_derives_and_partial(item);
    quote! {
        #item_and_partial

        #[automatically_derived]
        impl ::sacred::__private::Config for #ident {
            fn config_type() -> &'static ::sacred::__private::ConfigType {
                static __SACRED_TYPE: ::sacred::__private::ConfigType =
                    ::sacred::__private::ConfigType {
                        name: #name,
                        doc: #doc,
                        kind: #kind,
                        named_configs: &[#(#named),*],
                        ingredient: #ingredient,
                    };
                &__SACRED_TYPE
            }
        }
    }
}

/// `struct NamePartial { field: Option<T>, … }`: some of the fields, for a typed named
/// config; unset fields are left out when it is serialised.
pub(crate) fn partial<'a>(
    vis: &syn::Visibility,
    ident: &Ident,
    rule: Option<&str>,
    fields: impl Iterator<Item = &'a syn::Field>,
) -> TokenStream {
    let partial = format_ident!("{}Partial", ident.unraw(), span = ident.span());
    let doc = format!(
        " Some of the fields of [`{ident}`], for a typed named config: the fields left `None` are not set."
    );
    let fields = fields.filter_map(|field| {
        let ident = field.ident.as_ref()?;
        let serde = SerdeAttrs::read(&field.attrs);
        if serde.skip {
            return None;
        }
        // The key the full struct reads, whatever serde attributes gave it.
        let key = serde
            .rename
            .unwrap_or_else(|| renamed(rule, &ident.unraw().to_string()));
        let vis = &field.vis;
        let ty = &field.ty;
        let docs = field.attrs.iter().filter(|a| a.path().is_ident("doc"));
        Some(quote! {
            #(#docs)*
            #[serde(rename = #key, skip_serializing_if = "::core::option::Option::is_none")]
            #vis #ident: ::core::option::Option<#ty>,
        })
    });
    // Optional for the user: unused, it is no warning.
    quote! {
        #[doc = #doc]
        #[allow(dead_code)]
        #[derive(::core::default::Default, ::sacred::__private::serde::Serialize)]
        #[serde(crate = "::sacred::__private::serde")]
        #vis struct #partial {
            #(#fields)*
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source_text::squash;

    fn expand(flavor: Flavor, args: TokenStream, item: TokenStream) -> String {
        squash(&config_type(flavor, args, item).to_string())
    }

    #[test]
    fn a_struct_gets_a_table_serde_and_a_partial() {
        let out = expand(
            Flavor::Ingredient,
            quote!(named_configs(small)),
            quote! {
                /// The dataset.
                pub struct Data {
                    /// where
                    #[default(String::from("a.csv"))]
                    pub path: String,
                    pub schedule: Schedule,
                }
            },
        );
        for expected in [
            "#[derive(::sacred::__private::serde::Serialize, ::sacred::__private::serde::Deserialize)]",
            "pub struct Data {#[doc = r\" where\"] pub path: String, pub schedule: Schedule, }",
            "name: \"path\", ty: \"String\", doc: \"where\", default: ::core::option::Option::Some(|| ::sacred::__private::default_json::<String>(String::from(\"a.csv\"))),",
            "(&::sacred::__private::Pick::<Schedule>::NEW).sacred_config_type()",
            "named_configs: &[__sacred_named_config_small], ingredient: true,",
            "pub struct DataPartial {#[doc = r\" where\"] #[serde(rename = \"path\", skip_serializing_if = \"::core::option::Option::is_none\")] pub path: ::core::option::Option<String>,",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
        assert!(!out.contains("compile_error"), "{out}");
    }

    #[test]
    fn an_enum_lists_its_variants() {
        let out = expand(
            Flavor::Config,
            TokenStream::new(),
            quote! {
                #[derive(Debug, Serialize, Deserialize)]
                enum Schedule { Constant, Cosine { #[default(5)] warmup: u32 }, Step(u32, f64), Custom(Curve) }
            },
        );
        for expected in [
            "Variant {name: \"Constant\", doc: \"\", fields: ::sacred::__private::VariantFields::Unit}",
            "name: \"warmup\", ty: \"u32\"",
            "VariantFields::Tuple(&[\"u32\", \"f64\"])",
            "enum Schedule {Constant, Cosine {warmup: u32}, Step(u32, f64), Custom(Curve)}",
            "VariantFields::Newtype {ty: \"Curve\", nested: || {",
            "(&::sacred::__private::Pick::<Curve>::NEW).sacred_config_type()",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
        // The user derives serde already: no second derive.
        assert!(
            !out.contains("::sacred::__private::serde::Deserialize"),
            "{out}"
        );
        assert!(!out.contains("Partial"), "{out}");
    }

    #[test]
    fn serde_renames_and_skips_are_followed() {
        let out = expand(
            Flavor::Config,
            TokenStream::new(),
            quote! {
                #[derive(Serialize, Deserialize)]
                #[serde(rename_all = "snake_case")]
                enum Schedule {
                    CosineDecay { #[serde(rename = "warm")] warm_up: u32 },
                    #[serde(rename_all = "camelCase")]
                    StepWise { step_size: u32 },
                    #[serde(skip)]
                    Hidden,
                }
            },
        );
        for expected in [
            "name: \"cosine_decay\"",
            "name: \"warm\"",
            "name: \"step_wise\"",
            "name: \"stepSize\"",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
        assert!(!out.contains("Hidden\""), "{out}");
        let out = expand(
            Flavor::Config,
            TokenStream::new(),
            quote! {
                #[serde(rename_all = "kebab-case")]
                struct S { #[serde(default)] max_steps: u32, #[serde(skip)] cache: u32 }
            },
        );
        for expected in [
            "name: \"max-steps\"",
            "default_json::<u32>(<u32 as ::core::default::Default>::default(),)",
            "#[serde(rename = \"max-steps\", skip_serializing_if",
        ] {
            assert!(
                out.contains(&squash(expected)),
                "missing {expected:?} in {out}"
            );
        }
        assert!(!out.contains("name: \"cache\""), "{out}");
        let out = expand(
            Flavor::Config,
            TokenStream::new(),
            quote!(
                #[serde(tag = "kind")]
                enum E {
                    A,
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        let out = expand(
            Flavor::Config,
            TokenStream::new(),
            quote!(
                #[serde(rename_all = "Title Case")]
                struct S {
                    a: u32,
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
    }

    #[test]
    fn misuse_is_reported_on_the_item() {
        let out = expand(
            Flavor::Config,
            quote!(x),
            quote!(
                struct T(u32);
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 2, "{out}");
        let out = expand(
            Flavor::Ingredient,
            quote!(nmaed(x)),
            quote!(
                enum E<T> {
                    A(T),
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 3, "{out}");
        let out = expand(
            Flavor::Config,
            TokenStream::new(),
            quote!(
                struct S {
                    #[default(1)]
                    #[default(2)]
                    a: u32,
                }
            ),
        );
        assert_eq!(out.matches("compile_error").count(), 1, "{out}");
        // After an error the type still derives serde and has its partial, without its
        // `#[default]`s.
        assert!(
            out.contains("::sacred::__private::serde::Deserialize"),
            "{out}"
        );
        assert!(out.contains("structSPartial"), "{out}");
        assert!(!out.contains("#[default("), "{out}");
    }
}
