//! The binary embeds `lessons/` and `assets/` (include_dir): tell cargo to
//! rebuild when a file there changes, which a proc macro cannot do on stable.
//! Also hands the lab's pinned versions to `--version` (KUBETUTOR_LAB_PINS),
//! and the linker its options for release binaries (see `link_args`).

fn main() {
    link_args();
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=assets");
    let env = std::fs::read_to_string("assets/lab/versions.env")
        .expect("assets/lab/versions.env is readable");
    let pin = |key: &str| {
        env.lines()
            .filter_map(|l| l.trim().split_once('='))
            .find(|(k, _)| k.trim() == key)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| panic!("assets/lab/versions.env has no {key}"))
    };
    println!(
        "cargo:rustc-env=KUBETUTOR_LAB_PINS=Kubernetes {}, etcd {}, kwok {}; built with Go {} or newer",
        pin("KUBERNETES_VERSION"),
        pin("ETCD_VERSION"),
        pin("KWOK_VERSION"),
        pin("GO_MIN")
    );
}

/// Release binaries for x86_64 Linux, linked by rustc's default lld, get:
/// - `--symbol-ordering-file`: the functions a recorded session ran, side by
///   side (assets/link/record-order.sh says why: the kernel maps code in
///   64 KiB windows around each page touched). Symbol names are the
///   toolchain's own, so only the toolchain that recorded the file uses it.
/// - `-z pack-relative-relocs` (RELR): the loader reads 20 KB of
///   relocations at start instead of 0.9 MB; glibc 2.36 or newer runs it.
///
/// Anything else (another target, an older rustc that links with the system
/// linker, a linker of one's own, an old glibc) builds as before.
fn link_args() {
    println!("cargo:rerun-if-env-changed=KUBETUTOR_NO_LINK_ORDER");
    let env = |key: &str| std::env::var(key).unwrap_or_default();
    if env("PROFILE") != "release"
        || env("TARGET") != "x86_64-unknown-linux-gnu"
        || !env("CARGO_TARGET_X86_64_UNKNOWN_LINUX_GNU_LINKER").is_empty()
        || env("CARGO_ENCODED_RUSTFLAGS").contains("link")
    {
        return;
    }
    let rustc = std::process::Command::new(env("RUSTC")).arg("-V").output();
    let Some(rustc) = rustc
        .ok()
        .and_then(|out| String::from_utf8(out.stdout).ok())
    else {
        return;
    };
    // rustc links x86_64 Linux binaries with its own lld from 1.90 on.
    if minor_version(&rustc, "rustc 1.").is_none_or(|minor| minor < 90) {
        return;
    }
    if glibc_minor().is_some_and(|minor| minor >= 36) {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    let order =
        std::path::Path::new(&env("CARGO_MANIFEST_DIR")).join("assets/link/kubetutor.order");
    let recorded_with = std::fs::read_to_string(&order).ok().and_then(|text| {
        text.lines()
            .next()
            .map(|line| line.trim_start_matches("# ").to_string())
    });
    if env("KUBETUTOR_NO_LINK_ORDER").is_empty() && recorded_with.as_deref() == Some(rustc.trim()) {
        println!(
            "cargo:rustc-link-arg-bins=-Wl,--symbol-ordering-file={}",
            order.display()
        );
        // Functions renamed or removed since the recording are no error.
        println!("cargo:rustc-link-arg-bins=-Wl,--no-warn-symbol-ordering");
    }
}

/// `rustc 1.95.0 (…)` with prefix `rustc 1.` → 95.
fn minor_version(text: &str, prefix: &str) -> Option<u32> {
    let rest = text.trim().strip_prefix(prefix)?;
    rest.split(|c: char| !c.is_ascii_digit())
        .next()?
        .parse()
        .ok()
}

/// The C library's minor version (`getconf GNU_LIBC_VERSION`: `glibc 2.36`).
fn glibc_minor() -> Option<u32> {
    let out = std::process::Command::new("getconf")
        .arg("GNU_LIBC_VERSION")
        .output()
        .ok()?;
    minor_version(&String::from_utf8(out.stdout).ok()?, "glibc 2.")
}
