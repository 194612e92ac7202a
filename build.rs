//! The binary embeds `lessons/` and `assets/` (include_dir): tell cargo to
//! rebuild when a file there changes, which a proc macro cannot do on stable.

fn main() {
    println!("cargo:rerun-if-changed=lessons");
    println!("cargo:rerun-if-changed=assets");
}
