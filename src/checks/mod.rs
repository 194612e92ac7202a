//! Checks: what a step waits for, evaluated over a snapshot of the cluster
//! (pure) or by asking the API server (access, request, token).

pub mod path;
pub mod local;
pub mod outcome;
pub mod rbac;
pub mod snapshot;

pub use outcome::Outcome;
pub use snapshot::Snapshot;
