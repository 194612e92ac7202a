//! kubetutor: a terminal tutor for hands-on Kubernetes.
//!
//! The binary (`src/main.rs`) is a thin CLI over this library, so the
//! integration tests drive the same functions users do.

pub mod app;
pub mod checks;
pub mod class;
pub mod cli;
pub mod cluster;
pub mod command;
pub(crate) mod embedded;
pub mod engine;
pub(crate) mod files;
pub mod k8s_names;
pub mod lab;
pub mod lesson;
pub mod manifest;
pub mod proof;
pub mod syntax;
pub(crate) mod theme;
pub mod transport;
pub mod tree;
pub mod tui;
pub mod ui;
pub mod yaml;
