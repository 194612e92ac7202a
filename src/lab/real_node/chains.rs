//! The firewall chains the real node's kubelet and kube-proxy make, told
//! apart from anyone else's: the chains that existed before the node first
//! started are recorded (`made.rs`), and `lab down` removes only chains that
//! were not there then and that are the components' own — their fixed chains
//! (canaries, KUBE-SERVICES, KUBE-FIREWALL…) and the per-Service chains
//! reachable from them by a jump. Another Kubernetes' chains on the same
//! host, or a chain of any other name, are left as they are; so are the
//! builtin chains' other rules (only jumps to removed chains are deleted).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::{Command, Stdio};

/// Chains the kubelet (canaries, the hint kube-proxy reads, KUBE-FIREWALL)
/// and kube-proxy in iptables mode make under fixed names, in any table.
const FIXED: &[&str] = &[
    "KUBE-FIREWALL",
    "KUBE-KUBELET-CANARY",
    "KUBE-IPTABLES-HINT",
    "KUBE-PROXY-CANARY",
    "KUBE-SERVICES",
    "KUBE-NODEPORTS",
    "KUBE-POSTROUTING",
    "KUBE-MARK-MASQ",
    "KUBE-MARK-DROP",
    "KUBE-EXTERNAL-SERVICES",
    "KUBE-FORWARD",
    "KUBE-PROXY-FIREWALL",
];

/// The address families' save and restore programs.
pub const FAMILIES: [(&str, &str); 2] = [
    ("iptables-save", "iptables-restore"),
    ("ip6tables-save", "ip6tables-restore"),
];

/// Chain names by family (the save program's name) and table.
pub type Snapshot = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

/// One table of an `iptables-save` text: its chains and rules as saved.
#[derive(Debug, Default)]
pub struct Table {
    pub name: String,
    pub chains: BTreeSet<String>,
    /// (chain, the rule line as saved: `-A CHAIN …`)
    pub rules: Vec<(String, String)>,
}

/// The tables of an `iptables-save` text.
pub fn parse(save: &str) -> Vec<Table> {
    let mut tables: Vec<Table> = Vec::new();
    for line in save.lines() {
        if let Some(name) = line.strip_prefix('*') {
            tables.push(Table {
                name: name.trim().to_string(),
                ..Table::default()
            });
        } else if let Some(table) = tables.last_mut() {
            if let Some(chain) = line.strip_prefix(':') {
                if let Some(name) = chain.split_whitespace().next() {
                    table.chains.insert(name.to_string());
                }
            } else if let Some(rest) = line.strip_prefix("-A ")
                && let Some(chain) = rest.split_whitespace().next()
            {
                table.rules.push((chain.to_string(), line.to_string()));
            }
        }
    }
    tables
}

/// The words of a saved rule; a double-quoted word (a comment) is one word.
fn words(rule: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut word = String::new();
    let (mut quoted, mut escaped, mut any) = (false, false, false);
    for c in rule.chars() {
        match c {
            _ if escaped => {
                word.push(c);
                escaped = false;
            }
            '\\' => escaped = true,
            '"' => {
                quoted = !quoted;
                any = true;
            }
            c if c.is_whitespace() && !quoted => {
                if any || !word.is_empty() {
                    out.push(std::mem::take(&mut word));
                }
                any = false;
            }
            c => word.push(c),
        }
    }
    if any || !word.is_empty() {
        out.push(word);
    }
    out
}

/// The chain a rule jumps or goes to, if any.
fn target(rule: &str) -> Option<String> {
    let words = words(rule);
    words
        .windows(2)
        .find(|w| w[0] == "-j" || w[0] == "-g")
        .map(|w| w[1].clone())
}

/// The chains of `table` that the node made: its fixed chains that were not
/// there before (`before`), and every chain not there before that one of
/// them jumps to, transitively.
pub fn made(table: &Table, before: &BTreeSet<String>) -> BTreeSet<String> {
    let new = |c: &String| table.chains.contains(c) && !before.contains(c);
    let mut made: BTreeSet<String> = FIXED
        .iter()
        .map(|c| c.to_string())
        .filter(|c| new(c))
        .collect();
    let mut queue: Vec<String> = made.iter().cloned().collect();
    while let Some(chain) = queue.pop() {
        for (from, rule) in &table.rules {
            if *from == chain
                && let Some(to) = target(rule)
                && new(&to)
                && made.insert(to.clone())
            {
                queue.push(to);
            }
        }
    }
    made
}

/// The `iptables-restore --noflush` input that removes `made` from `table`:
/// other chains' jumps to them deleted, then each flushed and deleted.
pub fn removal(table: &Table, made: &BTreeSet<String>) -> Option<String> {
    if made.is_empty() {
        return None;
    }
    let mut script = format!("*{}\n", table.name);
    for (from, rule) in &table.rules {
        if !made.contains(from) && target(rule).is_some_and(|t| made.contains(&t)) {
            script.push_str(&format!("-D{}\n", &rule[2..]));
        }
    }
    for chain in made {
        script.push_str(&format!("-F {chain}\n"));
    }
    for chain in made {
        script.push_str(&format!("-X {chain}\n"));
    }
    script.push_str("COMMIT\n");
    Some(script)
}

/// The chain names of every table in both families now (a family whose
/// save program is missing or fails is absent).
pub fn snapshot() -> Snapshot {
    let mut snapshot = Snapshot::new();
    for (save, _) in FAMILIES {
        let Some(text) = save_text(save) else {
            continue;
        };
        let tables = parse(&text)
            .into_iter()
            .map(|t| (t.name, t.chains))
            .collect();
        snapshot.insert(save.to_string(), tables);
    }
    snapshot
}

fn save_text(program: &str) -> Option<String> {
    let out = Command::new(program).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

/// The node's fixed chains that `snapshot` holds, as `table/CHAIN` (another
/// Kubernetes on this machine, when taken before the node started).
pub fn fixed_present(snapshot: &Snapshot) -> Vec<String> {
    let mut found: BTreeSet<String> = BTreeSet::new();
    for tables in snapshot.values() {
        for (table, chains) in tables {
            for chain in chains.iter().filter(|c| FIXED.contains(&c.as_str())) {
                found.insert(format!("{table}/{chain}"));
            }
        }
    }
    found.into_iter().collect()
}

/// Removes what the node made since `before` was taken; returns problems.
pub fn remove_made(before: &Snapshot) -> Vec<String> {
    let mut problems = Vec::new();
    for (save, restore) in FAMILIES {
        let Some(text) = save_text(save) else {
            continue;
        };
        let family_before = before.get(save);
        for table in parse(&text) {
            let empty = BTreeSet::new();
            let was = family_before
                .and_then(|f| f.get(&table.name))
                .unwrap_or(&empty);
            let Some(script) = removal(&table, &made(&table, was)) else {
                continue;
            };
            if let Err(e) = run_restore(restore, &script) {
                problems.push(format!("{restore} (table {}): {e}", table.name));
            }
        }
    }
    problems
}

fn run_restore(program: &str, script: &str) -> Result<(), String> {
    let mut child = Command::new(program)
        .args(["-w", "--noflush"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| e.to_string())?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(script.as_bytes())
            .map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().map_err(|e| e.to_string())?;
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).trim().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A nat table with the node's kube-proxy chains, another Kubernetes'
    /// chain of a kube-proxy-looking name, and a chain that was there before.
    const NAT: &str = r#"# Generated by iptables-save
*nat
:PREROUTING ACCEPT [0:0]
:OUTPUT ACCEPT [0:0]
:POSTROUTING ACCEPT [0:0]
:KUBE-KUBELET-CANARY - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-VXKXYVSKM7YXGXS4 - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-SVC-NPX46M4PTMTKRN6Y - [0:0]
:KUBE-SVC-SOMEONEELSE - [0:0]
:OLD-CHAIN - [0:0]
-A PREROUTING -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -m comment --comment "kubernetes service portals" -j KUBE-SERVICES
-A OUTPUT -j OLD-CHAIN
-A POSTROUTING -m comment --comment "kubernetes postrouting rules" -j KUBE-POSTROUTING
-A KUBE-SEP-VXKXYVSKM7YXGXS4 -s 10.87.0.1/32 -m comment --comment "default/kubernetes:https" -j KUBE-MARK-MASQ
-A KUBE-SERVICES -d 10.96.0.1/32 -p tcp -m comment --comment "default/kubernetes:https cluster IP" -m tcp --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y
-A KUBE-SVC-NPX46M4PTMTKRN6Y -m comment --comment "default/kubernetes:https -> 10.87.0.1:44963" -j KUBE-SEP-VXKXYVSKM7YXGXS4
-A KUBE-SVC-SOMEONEELSE -j KUBE-MARK-MASQ
-A OLD-CHAIN -j KUBE-SVC-SOMEONEELSE
COMMIT
"#;

    #[test]
    fn the_node_made_its_fixed_chains_and_what_they_jump_to_nothing_else() {
        let tables = parse(NAT);
        let nat = &tables[0];
        assert_eq!(nat.name, "nat");
        let before: BTreeSet<String> = ["PREROUTING", "OUTPUT", "POSTROUTING", "OLD-CHAIN"]
            .map(String::from)
            .into();
        let made: Vec<String> = made(nat, &before).into_iter().collect();
        assert_eq!(
            made,
            [
                "KUBE-KUBELET-CANARY",
                "KUBE-MARK-MASQ",
                "KUBE-POSTROUTING",
                "KUBE-SEP-VXKXYVSKM7YXGXS4",
                "KUBE-SERVICES",
                "KUBE-SVC-NPX46M4PTMTKRN6Y",
            ]
        );
        // Another Kubernetes' KUBE-SERVICES, there before the node: neither it
        // nor what it leads to is the node's.
        let mut theirs = before.clone();
        theirs.insert("KUBE-SERVICES".into());
        let made = super::made(nat, &theirs);
        assert!(!made.contains("KUBE-SERVICES") && !made.contains("KUBE-SVC-NPX46M4PTMTKRN6Y"));
    }

    #[test]
    fn removal_deletes_only_the_jumps_to_removed_chains_then_the_chains() {
        let tables = parse(NAT);
        let made: BTreeSet<String> = ["KUBE-SERVICES", "KUBE-SVC-NPX46M4PTMTKRN6Y"]
            .map(String::from)
            .into();
        let script = removal(&tables[0], &made).unwrap();
        assert_eq!(
            script,
            "*nat
-D PREROUTING -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-D OUTPUT -m comment --comment \"kubernetes service portals\" -j KUBE-SERVICES
-F KUBE-SERVICES
-F KUBE-SVC-NPX46M4PTMTKRN6Y
-X KUBE-SERVICES
-X KUBE-SVC-NPX46M4PTMTKRN6Y
COMMIT
"
        );
        assert_eq!(removal(&tables[0], &BTreeSet::new()), None);
    }

    #[test]
    fn a_jump_named_inside_a_comment_is_not_a_jump() {
        assert_eq!(
            target(r#"-A X -m comment --comment "see -j KUBE-SERVICES" -j ACCEPT"#).as_deref(),
            Some("ACCEPT")
        );
        assert_eq!(target("-A X -g KUBE-SEP-1").as_deref(), Some("KUBE-SEP-1"));
        assert_eq!(target("-A X -s 10.0.0.1/32"), None);
    }
}
