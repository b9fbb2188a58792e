//! Python Sacred 0.8.7's reference records (the repository's `tests/fixtures`), for the
//! tests that replay them.

macro_rules! fixture {
    ($path:literal) => {
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/fixtures/sacred-0.8.7/",
            $path
        )
    };
}

pub(super) const RUN1_RUN_JSON: &str = include_str!(fixture!("file_storage/1/run.json"));
pub(super) const RUN1_CONFIG_JSON: &str = include_str!(fixture!("file_storage/1/config.json"));
pub(super) const RUN1_METRICS_JSON: &str = include_str!(fixture!("file_storage/1/metrics.json"));
pub(super) const RUN1_INFO_JSON: &str = include_str!(fixture!("file_storage/1/info.json"));
pub(super) const RUN1_COUT_TXT: &str = include_str!(fixture!("file_storage/1/cout.txt"));
pub(super) const RUN2_RUN_JSON: &str = include_str!(fixture!("file_storage/2/run.json"));
pub(super) const RUN2_CONFIG_JSON: &str = include_str!(fixture!("file_storage/2/config.json"));
pub(super) const RUN3_RUN_JSON: &str = include_str!(fixture!("file_storage/3/run.json"));
pub(super) const RUN3_CONFIG_JSON: &str = include_str!(fixture!("file_storage/3/config.json"));
pub(super) const GOLDEN_EXP_PY: &str = include_str!(fixture!("golden_exp.py"));
pub(super) const DATA_CSV: &[u8] = include_bytes!(fixture!("data.csv"));
pub(super) const MODEL_BIN: &[u8] = include_bytes!(fixture!("file_storage/1/model.bin"));
