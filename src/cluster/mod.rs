//! Everything that talks to a cluster: connecting, raw HTTP requests as a
//! chosen identity, and ServiceAccount tokens from the TokenRequest API.

pub mod connect;
pub mod request;
pub mod token;
