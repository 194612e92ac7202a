//! Checks: what a step waits for, evaluated over a snapshot of the cluster
//! (pure) or by asking the API server (access, request, token).

pub mod admission;
pub mod exec;
pub mod fields;
pub mod local;
pub mod outcome;
pub mod path;
pub mod rbac;
pub mod remote;
pub mod select;
pub mod snapshot;

pub use outcome::Outcome;
pub use snapshot::Snapshot;
