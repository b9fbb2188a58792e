//! Hand-written tables, shaped like the ones `#[config]` generates: an optimiser struct
//! and a schedule enum, used here and by the config tests.

use serde_json::json;

use super::*;

fn lr() -> Result<Value, String> {
    default_json(0.001)
}

fn warmup() -> Result<Value, String> {
    default_json(5u32)
}

fn start() -> Result<Value, String> {
    default_json(1.0)
}

fn none() -> Option<&'static ConfigType> {
    None
}

fn schedule() -> Option<&'static ConfigType> {
    Some(&SCHEDULE)
}

pub(crate) static OPTIMIZER: ConfigType = ConfigType {
    name: "Optimizer",
    doc: "Optimiser settings.",
    kind: Kind::Struct(&[
        Field {
            name: "lr",
            ty: "f64",
            doc: "learning rate",
            default: Some(lr),
            nested: none,
        },
        Field {
            name: "schedule",
            ty: "Schedule",
            doc: "how the rate changes",
            default: None,
            nested: schedule,
        },
    ]),
    named_configs: &[],
    ingredient: false,
};

pub(crate) static SCHEDULE: ConfigType = ConfigType {
    name: "Schedule",
    doc: "",
    kind: Kind::Enum(&[
        Variant {
            name: "Constant",
            doc: "",
            fields: VariantFields::Unit,
        },
        Variant {
            name: "Cosine",
            doc: "",
            fields: VariantFields::Struct(&[Field {
                name: "warmup",
                ty: "u32",
                doc: "warm-up steps",
                default: Some(warmup),
                nested: none,
            }]),
        },
        Variant {
            name: "Linear",
            doc: "",
            fields: VariantFields::Struct(&[
                Field {
                    name: "end",
                    ty: "f64",
                    doc: "",
                    default: None,
                    nested: none,
                },
                Field {
                    name: "start",
                    ty: "f64",
                    doc: "",
                    default: Some(start),
                    nested: none,
                },
            ]),
        },
        Variant {
            name: "Step",
            doc: "",
            fields: VariantFields::Tuple(&["u32"]),
        },
    ]),
    named_configs: &[],
    ingredient: false,
};

#[test]
fn variants_by_name_take_their_defaults() {
    let variants = SCHEDULE.variants();
    assert_eq!(variants[0].by_name(), Ok(json!("Constant")));
    assert_eq!(variants[1].by_name(), Ok(json!({"Cosine": {"warmup": 5}})));
    assert_eq!(
        variants[2].by_name(),
        Err("has fields without a default (end)".to_owned())
    );
    assert!(variants[3].by_name().is_err());
}

#[test]
fn forms_show_how_variants_are_written() {
    let forms: Vec<String> = SCHEDULE.variants().iter().map(Variant::form).collect();
    assert_eq!(
        forms,
        [
            "Constant",
            "{Cosine: {warmup: …}}",
            "{Linear: {end: …, start: …}}",
            "{Step: …}"
        ]
    );
}

#[test]
fn a_required_form_shows_only_fields_without_defaults() {
    let linear = &SCHEDULE.variants()[2];
    assert_eq!(linear.required_form(), "{Linear: {end: …}}");
    assert_eq!(SCHEDULE.variants()[1].required_form(), "{Cosine: {}}");
}

#[test]
fn struct_defaults_leave_out_fields_without_one() {
    assert_eq!(OPTIMIZER.defaults(), Some(Ok(json!({"lr": 0.001}))));
    assert!(!OPTIMIZER.is_defaulted());
    assert!(SCHEDULE.defaults().is_none());
}

#[test]
fn tables_are_found_by_dotted_keys() {
    assert!(matches!(node_at(&OPTIMIZER, &["schedule"]), Node::Typed(t) if t.name == "Schedule"));
    assert!(matches!(node_at(&OPTIMIZER, &["lr"]), Node::Untyped));
    assert_eq!(
        field_at(&OPTIMIZER, &["schedule", "Cosine", "warmup"]).map(|f| f.doc),
        Some("warm-up steps")
    );
    assert_eq!(field_at(&OPTIMIZER, &["lr"]).map(|f| f.ty), Some("f64"));
}

// The borrow is the probe: without it the fallback is never reached.
#[allow(clippy::needless_borrow)]
#[test]
fn the_pick_finds_a_table_only_for_config_types() {
    struct Described;
    impl Config for Described {
        fn config_type() -> &'static ConfigType {
            &OPTIMIZER
        }
    }
    #[allow(unused_imports)]
    use super::{PickConfig as _, PickValue as _};
    assert!((&Pick::<Described>::NEW).sacred_config_type().is_some());
    assert!((&Pick::<u32>::NEW).sacred_config_type().is_none());
}
