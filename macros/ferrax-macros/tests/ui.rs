//! Misuse of `#[derive(Module)]` gives helpful compile errors (trybuild UI tests).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
