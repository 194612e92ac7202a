//! Loopback ports for the lab's listeners. Every listener binds 127.0.0.1 only.

use std::net::{Ipv4Addr, TcpListener};

use serde::{Deserialize, Serialize};

pub const LOOPBACK: Ipv4Addr = Ipv4Addr::LOCALHOST;

/// The ports of one lab. Kept in `lab.json` so a restarted lab keeps its
/// address (and the kubeconfig users exported stays valid) when it can.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ports {
    pub apiserver: u16,
    pub etcd_client: u16,
    pub etcd_peer: u16,
    pub controller_manager: u16,
    pub scheduler: u16,
    pub kwok: u16,
}

impl Ports {
    /// Ports for a lab that is about to start from nothing running: the previous
    /// ports where they are still free, otherwise new free ones. `apiserver`, when
    /// the user asked for a port, must be free or this fails.
    pub fn choose(previous: Option<Ports>, apiserver: Option<u16>) -> anyhow::Result<Ports> {
        let mut taken = Vec::new();
        let mut pick = |wanted: Option<u16>| -> anyhow::Result<u16> {
            let port = match wanted {
                Some(port) if is_free(port) && !taken.contains(&port) => port,
                _ => free_port_excluding(&taken)?,
            };
            taken.push(port);
            Ok(port)
        };
        let apiserver = match apiserver {
            Some(port) if !is_free(port) => anyhow::bail!(
                "port {port} on 127.0.0.1 is already in use by another program; \
                 stop it or pick another port with `kubetutor lab up --port N`"
            ),
            Some(port) => pick(Some(port))?,
            None => pick(previous.map(|p| p.apiserver))?,
        };
        Ok(Ports {
            apiserver,
            etcd_client: pick(previous.map(|p| p.etcd_client))?,
            etcd_peer: pick(previous.map(|p| p.etcd_peer))?,
            controller_manager: pick(previous.map(|p| p.controller_manager))?,
            scheduler: pick(previous.map(|p| p.scheduler))?,
            kwok: pick(previous.map(|p| p.kwok))?,
        })
    }
}

/// True when nothing listens on 127.0.0.1:`port` (we can bind it ourselves).
pub fn is_free(port: u16) -> bool {
    TcpListener::bind((LOOPBACK, port)).is_ok()
}

fn free_port_excluding(taken: &[u16]) -> anyhow::Result<u16> {
    // The kernel hands out a different ephemeral port each time; a few tries
    // avoid one we already picked for another component.
    for _ in 0..20 {
        let port = TcpListener::bind((LOOPBACK, 0))?.local_addr()?.port();
        if !taken.contains(&port) {
            return Ok(port);
        }
    }
    anyhow::bail!("could not find a free port on 127.0.0.1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choose_keeps_free_previous_ports_and_replaces_taken_ones() {
        let busy = TcpListener::bind((LOOPBACK, 0)).unwrap();
        let busy_port = busy.local_addr().unwrap().port();
        let fresh = Ports::choose(None, None).unwrap();
        let previous = Ports {
            etcd_client: busy_port,
            ..fresh
        };
        let chosen = Ports::choose(Some(previous), None).unwrap();
        assert_ne!(
            chosen.etcd_client, busy_port,
            "a taken port must be replaced"
        );
        assert_eq!(chosen.kwok, fresh.kwok, "a free previous port is kept");
        let all = [
            chosen.apiserver,
            chosen.etcd_client,
            chosen.etcd_peer,
            chosen.controller_manager,
            chosen.scheduler,
            chosen.kwok,
        ];
        let mut unique = all.to_vec();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), all.len(), "ports must be distinct: {all:?}");
    }

    #[test]
    fn an_explicit_apiserver_port_in_use_is_a_clear_error() {
        let busy = TcpListener::bind((LOOPBACK, 0)).unwrap();
        let port = busy.local_addr().unwrap().port();
        let err = Ports::choose(None, Some(port)).unwrap_err().to_string();
        assert!(
            err.contains(&format!("port {port}")) && err.contains("--port"),
            "{err}"
        );
    }
}
