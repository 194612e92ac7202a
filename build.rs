//! The binary embeds `lessons/` and `assets/` (include_dir): tell cargo to
//! rebuild when a file there changes, which a proc macro cannot do on stable.
//! Also hands the lab's pinned versions to `--version` (KUBETUTOR_LAB_PINS).

fn main() {
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
