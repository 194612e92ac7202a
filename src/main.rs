//! The `kubetutor` binary: everything is in the library (`command`), so
//! this crate compiles in a moment.

fn main() -> std::process::ExitCode {
    kubetutor::command::main()
}
