//! The words of a kubectl command line: positional words and
//! `--flag=value` / `--flag value` / `-x value` options, and the small
//! parsers for the values commands take (targets, keys, numbers, durations).

use std::collections::BTreeMap;

use super::{KeyChange, Target, Targets};

/// Words and `--flag=value` / `--flag value` / `-x value` options.
pub(super) struct Args<'a> {
    words: Vec<&'a str>,
    options: Vec<(String, Option<String>)>,
}

/// Flags that take no value.
const BOOLEAN_FLAGS: [&str; 2] = ["overwrite", "all"];

impl<'a> Args<'a> {
    pub(super) fn split(input: &[&'a str]) -> Result<Args<'a>, String> {
        let mut words = Vec::new();
        let mut options = Vec::new();
        let mut i = 0;
        while i < input.len() {
            let word = input[i];
            let option = word
                .strip_prefix("--")
                .or_else(|| word.strip_prefix('-').filter(|w| !w.is_empty()));
            match option {
                Some(option) if word != "-" => {
                    let (key, value) = match option.split_once('=') {
                        Some((k, v)) => (k.to_string(), Some(v.to_string())),
                        None if BOOLEAN_FLAGS.contains(&option) => (option.to_string(), None),
                        None => {
                            i += 1;
                            let value = input
                                .get(i)
                                .ok_or_else(|| format!("{word} needs a value"))?;
                            (option.to_string(), Some(value.to_string()))
                        }
                    };
                    let key = match key.as_str() {
                        "n" | "namespace" => {
                            return Err(
                                "examples act in the lesson namespace: leave out -n/--namespace"
                                    .into(),
                            );
                        }
                        "f" => "filename".to_string(),
                        "l" => "selector".to_string(),
                        _ => key,
                    };
                    options.push((key, value));
                }
                _ => words.push(word),
            }
            i += 1;
        }
        Ok(Args { words, options })
    }

    pub(super) fn word(&self, i: usize) -> Option<&'a str> {
        self.words.get(i).copied()
    }

    pub(super) fn take(&mut self, key: &str) -> Option<String> {
        let at = self.options.iter().position(|(k, _)| k == key)?;
        self.options.remove(at).1
    }

    pub(super) fn take_all(&mut self, key: &str) -> Vec<String> {
        std::iter::from_fn(|| self.take(key)).collect()
    }

    /// Every `--key=a,b --key=c` as one list.
    pub(super) fn take_list(&mut self, key: &str) -> Vec<String> {
        self.take_all(key)
            .iter()
            .flat_map(|v| v.split(','))
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .collect()
    }

    pub(super) fn require(&mut self, key: &str) -> Result<String, String> {
        self.take(key).ok_or_else(|| format!("--{key} is required"))
    }

    pub(super) fn flag(&mut self, key: &str) -> bool {
        let at = self.options.iter().position(|(k, _)| k == key);
        at.map(|at| self.options.remove(at)).is_some()
    }

    pub(super) fn name(&self, i: usize, what: &str) -> Result<String, String> {
        let name = self
            .word(i)
            .ok_or_else(|| format!("name {what} to create"))?;
        if let Some(extra) = self.word(i + 1) {
            return Err(format!("unexpected {extra:?} after the name {name:?}"));
        }
        Ok(name.to_string())
    }

    pub(super) fn manifest_from_stdin(&mut self) -> Result<(), String> {
        match self.take("filename").as_deref() {
            Some("-") => Ok(()),
            Some(other) => Err(format!(
                "-f {other}: examples read their `manifest:`; write -f -"
            )),
            None => Err("write -f - (the example's manifest)".into()),
        }
    }

    /// The objects from word `i` on: `kind/name…`, `kind name…`, or a kind
    /// with `-l selector` (when `selectable`). Returns what follows them
    /// (`key=value` words of label).
    pub(super) fn targets(
        &mut self,
        i: usize,
        selectable: bool,
    ) -> Result<(Targets, Vec<&'a str>), String> {
        let words: Vec<&'a str> = self.words[i.min(self.words.len())..].to_vec();
        let Some(first) = words.first() else {
            return Err("name the object: KIND/NAME or KIND NAME".into());
        };
        if first.contains('/') {
            let mut named = Vec::new();
            let mut rest = Vec::new();
            for word in &words {
                match word.split_once('/') {
                    Some((kind, name)) if rest.is_empty() && !word.contains('=') => {
                        named.push(target(kind, name)?)
                    }
                    _ => rest.push(*word),
                }
            }
            return Ok((Targets::Named(named), rest));
        }
        let kind = first.to_string();
        if let Some(selector) = self.take("selector") {
            if !selectable {
                return Err("name the object: KIND/NAME".into());
            }
            return Ok((Targets::Selected { kind, selector }, words[1..].to_vec()));
        }
        let names: Vec<&str> = words[1..]
            .iter()
            .take_while(|w| !w.contains('=') && !w.ends_with('-'))
            .copied()
            .collect();
        if names.is_empty() {
            return Err(format!("{kind}: which one? KIND NAME or KIND/NAME"));
        }
        let rest = words[1 + names.len()..].to_vec();
        let named = names
            .iter()
            .map(|n| target(&kind, n))
            .collect::<Result<_, _>>()?;
        Ok((Targets::Named(named), rest))
    }

    pub(super) fn one_target(&mut self, i: usize) -> Result<Target, String> {
        let (targets, rest) = self.targets(i, false)?;
        match (targets, rest.first()) {
            (Targets::Named(mut named), None) if named.len() == 1 => Ok(named.remove(0)),
            (_, Some(extra)) => Err(format!("unexpected {extra:?}")),
            _ => Err("name exactly one object: KIND/NAME".into()),
        }
    }

    /// Every option was understood.
    pub(super) fn done(&self) -> Result<(), String> {
        match self.options.first() {
            Some((key, _)) => Err(format!("--{key} is not an option this command takes here")),
            None => Ok(()),
        }
    }
}

fn target(kind: &str, name: &str) -> Result<Target, String> {
    if kind.is_empty() || name.is_empty() {
        return Err(format!("{kind}/{name}: write KIND/NAME"));
    }
    Ok(Target {
        kind: kind.into(),
        name: name.into(),
    })
}

pub(super) fn key_change(word: &str) -> Result<KeyChange, String> {
    if let Some((key, value)) = word.split_once('=') {
        return Ok(KeyChange::Set(key.into(), value.into()));
    }
    match word.strip_suffix('-') {
        Some(key) if !key.is_empty() => Ok(KeyChange::Remove(key.into())),
        _ => Err(format!("{word:?}: write key=value, or key- to remove it")),
    }
}

/// `cpu=1,pods=3` (also for `--aggregation-rule`).
pub(super) fn key_values(text: &str) -> Result<BTreeMap<String, String>, String> {
    text.split(',')
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| format!("{pair:?} in {text:?}: write key=value"))
        })
        .collect()
}

pub(super) fn number(text: &str) -> Result<i64, String> {
    text.parse()
        .map_err(|_| format!("{text:?} is not a whole number"))
}

/// `30`, `30s`, `2m`.
pub(super) fn seconds(text: &str) -> Result<u64, String> {
    let (digits, unit) = match text.strip_suffix('m') {
        Some(d) => (d, 60),
        None => (text.strip_suffix('s').unwrap_or(text), 1),
    };
    digits
        .parse::<u64>()
        .map(|n| n * unit)
        .map_err(|_| format!("--timeout={text}: write seconds (30s) or minutes (2m)"))
}
