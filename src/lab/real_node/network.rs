//! The real node's host-only network: the bridge Pods attach to (the host's
//! address on it is the Pods' gateway, their DNS server, and where the
//! `kubernetes` Service's endpoint points), and firewall rules in chains of
//! our own so that nothing on it is reachable from any other interface.
//! Global chains are never flushed: only our jump rules are added and removed.

use std::process::Command;

use anyhow::Context;

use super::{BRIDGE, GATEWAY, POD_SUBNET};

/// Our chain in `filter` INPUT: traffic to the host.
pub const INPUT_CHAIN: &str = "KUBETUTOR-LAB-INPUT";
/// Our chain in `filter` FORWARD: traffic routed to or from Pods.
pub const FORWARD_CHAIN: &str = "KUBETUTOR-LAB-FORWARD";

fn run(program: &str, args: &[&str]) -> anyhow::Result<String> {
    let output = Command::new(program)
        .args(args)
        .output()
        .with_context(|| format!("running {program} (is it installed?)"))?;
    if !output.status.success() {
        anyhow::bail!(
            "`{program} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn succeeds(program: &str, args: &[&str]) -> bool {
    Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The rules of our INPUT chain: loopback and the bridge pass; anything else
/// addressed to the bridge address, or to the API server's port on any
/// address (it listens on all of them in this mode), is dropped.
pub fn input_rules(apiserver_port: u16) -> Vec<Vec<String>> {
    let port = apiserver_port.to_string();
    [
        vec!["-i", "lo", "-j", "RETURN"],
        vec!["-i", BRIDGE, "-j", "RETURN"],
        vec!["-d", GATEWAY, "-j", "DROP"],
        vec!["-p", "tcp", "--dport", &port, "-j", "DROP"],
    ]
    .into_iter()
    .map(|r| r.into_iter().map(String::from).collect())
    .collect()
}

/// The rules of our FORWARD chain: Pods talk to each other and to the host,
/// nothing is routed between the bridge and another interface.
pub fn forward_rules() -> Vec<Vec<String>> {
    [
        vec!["-i", BRIDGE, "-o", BRIDGE, "-j", "RETURN"],
        vec!["-o", BRIDGE, "-j", "DROP"],
        vec!["-i", BRIDGE, "-j", "DROP"],
        vec!["-d", POD_SUBNET, "-j", "DROP"],
    ]
    .into_iter()
    .map(|r| r.into_iter().map(String::from).collect())
    .collect()
}

/// Creates the bridge with the gateway address (idempotent) and (re)writes
/// our firewall chains, jumped to first from INPUT and FORWARD.
pub fn up(apiserver_port: u16) -> anyhow::Result<()> {
    bridge()?;
    chain(INPUT_CHAIN, "INPUT", &input_rules(apiserver_port))?;
    chain(FORWARD_CHAIN, "FORWARD", &forward_rules())?;
    Ok(())
}

/// The bridge, up, with the gateway address (idempotent).
fn bridge() -> anyhow::Result<()> {
    if !succeeds("ip", &["link", "show", BRIDGE]) {
        run("ip", &["link", "add", BRIDGE, "type", "bridge"])?;
    }
    let cidr = format!("{GATEWAY}/24");
    let addresses = run("ip", &["-4", "-o", "addr", "show", "dev", BRIDGE])?;
    if !addresses.contains(&format!("inet {cidr}")) {
        run("ip", &["addr", "add", &cidr, "dev", BRIDGE])?;
    }
    run("ip", &["link", "set", BRIDGE, "up"])?;
    Ok(())
}

/// Whether a listener may bind the gateway address now: the kernel refuses
/// ("cannot assign requested address") while the bridge is missing, down or
/// without the address, and the kubelet and CoreDNS, which listen there, then
/// exit as they start.
fn gateway_bindable() -> Result<(), String> {
    std::net::TcpListener::bind((GATEWAY, 0))
        .map(drop)
        .map_err(|e| e.to_string())
}

/// Before a component that listens on the bridge address starts: Ok(None)
/// when the address can be bound; otherwise the bridge is set up again and
/// Ok(Some(what was found)), or Err when even then it cannot be bound.
pub fn ensure_gateway() -> anyhow::Result<Option<String>> {
    let Err(refused) = gateway_bindable() else {
        return Ok(None);
    };
    let link = run("ip", &["-o", "link", "show", BRIDGE])
        .map(|l| l.trim().to_string())
        .unwrap_or_else(|_| "no such device".into());
    let addresses = run("ip", &["-4", "-o", "addr", "show", "dev", BRIDGE]).unwrap_or_default();
    let found = format!(
        "binding {GATEWAY} failed ({refused}); {BRIDGE}: {link}; IPv4: {}",
        if addresses.trim().is_empty() {
            "none"
        } else {
            addresses.trim()
        }
    );
    bridge()?;
    gateway_bindable()
        .map_err(|e| anyhow::anyhow!("{found}; after setting the bridge up again: still {e}"))?;
    Ok(Some(found))
}

/// Our jumps first in INPUT and FORWARD again (kube-proxy inserts its own at
/// the top when it starts).
pub fn jump_first() -> anyhow::Result<()> {
    for (ours, parent) in [(INPUT_CHAIN, "INPUT"), (FORWARD_CHAIN, "FORWARD")] {
        while succeeds("iptables", &["-w", "-D", parent, "-j", ours]) {}
        run("iptables", &["-w", "-I", parent, "1", "-j", ours])?;
    }
    Ok(())
}

fn chain(name: &str, parent: &str, rules: &[Vec<String>]) -> anyhow::Result<()> {
    if !succeeds("iptables", &["-w", "-n", "-L", name]) {
        run("iptables", &["-w", "-N", name])?;
    }
    run("iptables", &["-w", "-F", name])?;
    for rule in rules {
        let mut args = vec!["-w", "-A", name];
        args.extend(rule.iter().map(String::as_str));
        run("iptables", &args)?;
    }
    while succeeds("iptables", &["-w", "-D", parent, "-j", name]) {}
    run("iptables", &["-w", "-I", parent, "1", "-j", name])?;
    Ok(())
}

/// Removes our chains and the bridge; what is already gone is fine. (The
/// kubelet's and kube-proxy's chains: `chains.rs`.)
pub fn down() -> Vec<String> {
    let mut problems = Vec::new();
    for (name, parent) in [(INPUT_CHAIN, "INPUT"), (FORWARD_CHAIN, "FORWARD")] {
        while succeeds("iptables", &["-w", "-D", parent, "-j", name]) {}
        if succeeds("iptables", &["-w", "-n", "-L", name]) {
            for args in [["-w", "-F", name], ["-w", "-X", name]] {
                if let Err(err) = run("iptables", &args) {
                    problems.push(err.to_string());
                }
            }
        }
    }
    if succeeds("ip", &["link", "show", BRIDGE])
        && let Err(err) = run("ip", &["link", "del", BRIDGE])
    {
        problems.push(err.to_string());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_and_the_bridge_reach_the_bridge_address_and_the_api_port() {
        let rules = input_rules(6443);
        let text: Vec<String> = rules.iter().map(|r| r.join(" ")).collect();
        assert_eq!(
            text,
            [
                "-i lo -j RETURN".to_string(),
                format!("-i {BRIDGE} -j RETURN"),
                format!("-d {GATEWAY} -j DROP"),
                "-p tcp --dport 6443 -j DROP".to_string(),
            ]
        );
        let forward: Vec<String> = forward_rules().iter().map(|r| r.join(" ")).collect();
        assert_eq!(forward[0], format!("-i {BRIDGE} -o {BRIDGE} -j RETURN"));
        assert!(forward.iter().skip(1).all(|r| r.ends_with("-j DROP")));
    }
}
