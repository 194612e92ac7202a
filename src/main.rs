//! The `kubetutor` binary: everything is in the library (`cli::entry`), so
//! this crate compiles in a moment.

fn main() -> std::process::ExitCode {
    kubetutor::cli::entry::main()
}
