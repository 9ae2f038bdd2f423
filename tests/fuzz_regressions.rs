//! Every input kept under `tests/data/fuzz/<target>/`, replayed through the fuzz checks of
//! `fuzz/src/lib.rs` (included here, so the checks are the same code the fuzzer runs): the
//! inputs that once failed, and hand-made ones for the edges the fuzzer is slow to reach. A new
//! failing input found by `cargo fuzz` goes into the directory of its target.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod fuzz_checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/fuzz")
        .join(target);
    let mut inputs: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .collect();
    inputs.sort();
    assert!(!inputs.is_empty(), "no inputs in {}", dir.display());
    for path in inputs {
        let data = std::fs::read(&path).unwrap();
        let result = std::panic::catch_unwind(|| check(&data));
        assert!(result.is_ok(), "{} fails", path.display());
    }
}

#[test]
fn sampler_inputs() {
    replay("sampler", fuzz_checks::sampler);
}

#[test]
fn chain_inputs() {
    replay("chain", fuzz_checks::chain);
}

#[test]
fn slice_math_inputs() {
    replay("slice_math", fuzz_checks::slice_math);
}
