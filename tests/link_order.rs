//! The linker's function order for release binaries (`assets/link/kubetutor.order`,
//! read by build.rs) stays a file build.rs can use: its first line is the
//! `rustc -V` of the toolchain that recorded it (build.rs compares it with the
//! building toolchain's, whole), then one symbol name a line, each once.
//! A hand edit that breaks this would silently cost the binary its order.

const ORDER: &str = include_str!("../assets/link/kubetutor.order");

#[test]
fn the_order_file_names_its_toolchain_then_one_symbol_a_line() {
    let mut lines = ORDER.lines();
    let toolchain = lines.next().expect("the order file is empty");
    let version = toolchain.strip_prefix("# rustc ").unwrap_or_else(|| {
        panic!("line 1 is not `# rustc …` (as `rustc -V` prints): {toolchain:?}")
    });
    assert!(
        version.split('.').take(3).count() == 3 && version.contains(" ("),
        "line 1 names no rustc version and commit: {toolchain:?}"
    );

    let mut seen = std::collections::HashSet::new();
    let mut names = 0;
    for (index, line) in lines.enumerate() {
        let line_number = index + 2;
        if line.starts_with('#') {
            continue;
        }
        assert!(
            !line.is_empty() && !line.contains(char::is_whitespace),
            "line {line_number} is not one symbol name: {line:?}"
        );
        assert!(
            seen.insert(line),
            "line {line_number} names {line} a second time"
        );
        names += 1;
    }
    // A recording of the first lesson runs a few thousand functions; a file
    // of a handful means the recording (assets/link/record-order.sh) failed.
    assert!(names > 1000, "only {names} functions in the order file");
}
