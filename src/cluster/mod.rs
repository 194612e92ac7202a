//! Everything that talks to a cluster: connecting, raw HTTP requests as a
//! chosen identity, and ServiceAccount tokens from the TokenRequest API.

pub mod apply;
pub mod callers;
pub mod capabilities;
pub mod connect;
pub mod context;
pub mod describe;
pub mod jwt;
pub mod kinds;
pub mod manifest;
pub mod pod_exec;
pub mod request;
pub mod request_line;
pub mod reset;
pub mod scoped_user;
pub mod shell;
pub mod token;
