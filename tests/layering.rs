//! The layers point one way, and every source file is compiled. Reads
//! `src/**.rs` (no build needed) and fails on:
//! - an upward `crate::` edge: a module naming one in a layer above its own
//!   (the layers, top to bottom, are `LAYERS`; ARCHITECTURE.md draws them);
//! - a file-level import cycle (a file's own submodules and its parent
//!   module do not count: a parent declares and re-exports its children);
//! - a `.rs` file that no `mod` declares (it would never be compiled);
//! - an entry of `ALLOWED` that no longer exists (the list only shrinks).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, top to bottom. A module may name modules of layers below its
/// own, never above, and not another module of its own layer.
const LAYERS: &[&[&str]] = &[
    // The command line (src/main.rs calls only it): wires the runtimes.
    &["command"],
    &["tui", "cli"],
    &["ui"],
    &["app"],
    // `lessons test`: runs lessons as attendees, so above `class`.
    &["proof"],
    &["class"],
    &["engine"],
    &["checks"],
    &["cluster"],
    &["lesson"],
    &["lab"],
    // The small languages lessons are written in, and the manifest parser:
    // the loader checks with them, the checks and the cluster code run them.
    &["syntax", "manifest"],
    // Leaves: they name no other module of the crate.
    &[
        "files",
        "yaml",
        "embedded",
        "theme",
        "k8s_names",
        "transport",
        "tree",
    ],
];

/// Edges (file → file) allowed to break the rule, each with its reason. Issue
/// 21 emptied it (the naming facts got a leaf module, `checks/remote/` a
/// folder, the manifest its own error type, the lint its own file); an entry
/// added here needs a reason and an issue that removes it.
const ALLOWED: &[(&str, &str)] = &[];

/// A source file: its module path, and the paths it names.
struct Source {
    module: Vec<String>,
    /// `mod x;` declared here, and whether under `#[cfg(test)]`.
    children: Vec<(String, bool)>,
    /// `crate::…`, `super::…` and `self::…` paths, resolved to module paths
    /// from the crate root (each with as many segments as were written), and
    /// whether they are in test code.
    names: Vec<(Vec<String>, bool)>,
}

#[test]
fn layers_point_down_without_cycles_and_every_file_is_compiled() {
    // Another tree may be read (to compare with an older commit's `src/`).
    let src = std::env::var_os("KUBETUTOR_LAYERING_SRC")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("src"));
    let mut files = Vec::new();
    walk(&src, &mut files);
    let mut problems = Vec::new();

    // The module tree, from lib.rs down its `mod` declarations.
    let mut modules: BTreeMap<Vec<String>, PathBuf> = BTreeMap::new();
    let mut sources: BTreeMap<PathBuf, Source> = BTreeMap::new();
    let mut todo = vec![(Vec::<String>::new(), src.join("lib.rs"), false)];
    while let Some((module, file, test)) = todo.pop() {
        let text = std::fs::read_to_string(&file).unwrap();
        let mut source = parse(&text, &module);
        if test {
            source
                .names
                .iter_mut()
                .for_each(|(_, in_test)| *in_test = true);
        }
        let dir = match file.file_name().and_then(|n| n.to_str()) {
            Some("lib.rs" | "mod.rs") => file.parent().unwrap().to_path_buf(),
            _ => file.with_extension(""),
        };
        for (child, child_test) in &source.children {
            let flat = dir.join(format!("{child}.rs"));
            let nested = dir.join(child).join("mod.rs");
            let path = if flat.is_file() { flat } else { nested };
            let mut child_module = module.clone();
            child_module.push(child.clone());
            if path.is_file() {
                todo.push((child_module, path, test || *child_test));
            } else {
                problems.push(format!(
                    "{}: `mod {child};` has no file",
                    relative(&src, &file)
                ));
            }
        }
        modules.insert(module, file.clone());
        sources.insert(file, source);
    }

    for file in &files {
        let roots = [src.join("lib.rs"), src.join("main.rs")];
        if !sources.contains_key(file) && !roots.contains(file) {
            problems.push(format!(
                "{}: no `mod` declares this file, so it is never compiled: declare it or delete it",
                relative(&src, file)
            ));
        }
    }

    // File → file edges: each path resolves to the deepest module it names.
    // Test code counts for the layers but not for cycles: a test drives its
    // module from the top (`app::update`), which is no import of the module.
    let mut edges: BTreeSet<(String, String)> = BTreeSet::new();
    let mut code_edges: BTreeSet<(String, String)> = BTreeSet::new();
    for (file, source) in &sources {
        for (name, in_test) in &source.names {
            let Some(target) = (1..=name.len())
                .rev()
                .find_map(|len| modules.get(&name[..len]))
            else {
                continue;
            };
            let own = name.starts_with(&source.module);
            if own || source.module.starts_with(&module_of(&modules, target)) {
                continue; // itself, its own submodules, or a module it is inside
            }
            let edge = (relative(&src, file), relative(&src, target));
            if !in_test {
                code_edges.insert(edge.clone());
            }
            edges.insert(edge);
        }
    }

    if std::env::var_os("KUBETUTOR_LAYERING_EDGES").is_some() {
        for (from, to) in &edges {
            println!("{from} → {to}");
        }
    }
    let allowed: BTreeSet<(String, String)> = ALLOWED
        .iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect();
    for stale in allowed.difference(&edges) {
        problems.push(format!(
            "ALLOWED lists {} → {}, which no longer exists: remove it from the list",
            stale.0, stale.1
        ));
    }
    let edges: BTreeSet<(String, String)> = edges.difference(&allowed).cloned().collect();

    for (from, to) in &edges {
        let (Some(a), Some(b)) = (layer(from), layer(to)) else {
            continue;
        };
        if top(from) != top(to) && b <= a {
            problems.push(format!(
                "{from} names {to}: `{}` may not name `{}` (layers: {})",
                top(from),
                top(to),
                LAYERS
                    .iter()
                    .map(|l| l.join(" / "))
                    .collect::<Vec<_>>()
                    .join(" → ")
            ));
        }
    }
    let code_edges: BTreeSet<(String, String)> = code_edges.difference(&allowed).cloned().collect();
    for cycle in cycles(&code_edges) {
        problems.push(format!("import cycle: {}", cycle.join(" → ")));
    }

    assert!(
        problems.is_empty(),
        "the module layering is broken:\n  {}",
        problems.join("\n  ")
    );
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn relative(src: &Path, file: &Path) -> String {
    file.strip_prefix(src).unwrap().display().to_string()
}

fn module_of(modules: &BTreeMap<Vec<String>, PathBuf>, file: &Path) -> Vec<String> {
    modules
        .iter()
        .find(|(_, f)| f.as_path() == file)
        .map(|(m, _)| m.clone())
        .unwrap_or_default()
}

/// The top-level module a file (`app/update.rs`, `theme.rs`) belongs to.
fn top(file: &str) -> &str {
    let first = file.split('/').next().unwrap();
    first.strip_suffix(".rs").unwrap_or(first)
}

fn layer(file: &str) -> Option<usize> {
    LAYERS.iter().position(|l| l.contains(&top(file)))
}

/// The files of each import cycle (strongly connected component of more
/// than one file), as a path through them.
fn cycles(edges: &BTreeSet<(String, String)>) -> Vec<Vec<String>> {
    let mut next: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (a, b) in edges {
        next.entry(a).or_default().push(b);
    }
    let reach = |from: &str| {
        let mut seen = BTreeSet::new();
        let mut todo = vec![from];
        while let Some(at) = todo.pop() {
            for to in next.get(at).into_iter().flatten() {
                if seen.insert(*to) {
                    todo.push(to);
                }
            }
        }
        seen
    };
    let mut found: Vec<Vec<String>> = Vec::new();
    for from in next.keys() {
        if !reach(from).contains(from) || found.iter().any(|c| c.iter().any(|f| f == from)) {
            continue;
        }
        let component: Vec<String> = next
            .keys()
            .filter(|other| reach(from).contains(*other) && reach(other).contains(from))
            .map(|f| f.to_string())
            .collect();
        found.push(component);
    }
    found
}

// ---- a small reader of Rust source: enough to find `mod` and paths ----

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Ident(String),
    PathSep,
    Punct(char),
}

/// Identifiers, `::` and punctuation, without comments, strings and chars.
fn tokens(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == 'b' && next == Some('r') && raw_string(&chars, i + 1) {
            i += 1; // the raw string starts at the `r`
        } else if c == 'r' && (next == Some('"') || next == Some('#')) && raw_string(&chars, i) {
            // r"…" or r#"…"#
            let mut j = i + 1;
            let mut hashes = 0;
            while chars[j] == '#' {
                hashes += 1;
                j += 1;
            }
            j += 1;
            loop {
                if chars[j] == '"' && (0..hashes).all(|h| chars.get(j + 1 + h) == Some(&'#')) {
                    i = j + 1 + hashes;
                    break;
                }
                j += 1;
            }
        } else if c == '"' {
            i += 1;
            while chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i += 1;
        } else if c == '\'' {
            // A char literal ('x', '\n', '\u{..}'), or a lifetime ('a).
            if next == Some('\\') {
                i += 3; // the quote, the backslash, the escaped character
                while chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
            } else {
                i += 1;
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
            }
        } else if c.is_alphabetic() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else if c == ':' && next == Some(':') {
            out.push(Token::PathSep);
            i += 2;
        } else {
            if !c.is_whitespace() {
                out.push(Token::Punct(c));
            }
            i += 1;
        }
    }
    out
}

fn raw_string(chars: &[char], at: usize) -> bool {
    // `r` must start a token (not end an identifier such as `for`), or
    // follow the `b` of a raw byte string.
    let ident = |at: usize| chars[at].is_alphanumeric() || chars[at] == '_';
    let starts = at == 0 || !ident(at - 1) || (chars[at - 1] == 'b' && (at == 1 || !ident(at - 2)));
    let mut j = at + 1;
    while chars.get(j) == Some(&'#') {
        j += 1;
    }
    starts && chars.get(j) == Some(&'"')
}

fn parse(text: &str, module: &[String]) -> Source {
    let tokens = tokens(text);
    let mut source = Source {
        module: module.to_vec(),
        children: Vec::new(),
        names: Vec::new(),
    };
    // Inline modules (`mod tests { … }`): the module path where we are, and
    // the brace depth each one closes at, and whether it is test code.
    let mut here: Vec<String> = module.to_vec();
    let mut inline: Vec<(usize, bool)> = Vec::new();
    let mut depth = 0;
    let mut i = 0;
    while i < tokens.len() {
        match &tokens[i] {
            Token::Punct('{') => depth += 1,
            Token::Punct('}') => {
                depth -= 1;
                if inline.last().map(|(at, _)| *at) == Some(depth) {
                    inline.pop();
                    here.pop();
                }
            }
            Token::Ident(word) if word == "mod" => {
                if let (Some(Token::Ident(name)), Some(after)) =
                    (tokens.get(i + 1), tokens.get(i + 2))
                {
                    let test = cfg_test_before(&tokens, i) || inline.iter().any(|(_, t)| *t);
                    match after {
                        Token::Punct(';') if inline.is_empty() => {
                            source.children.push((name.clone(), test))
                        }
                        Token::Punct('{') => {
                            inline.push((depth, test));
                            here.push(name.clone());
                            depth += 1;
                            i += 3;
                            continue;
                        }
                        _ => {}
                    }
                }
            }
            Token::Ident(word)
                if matches!(word.as_str(), "crate" | "super" | "self")
                    && tokens.get(i + 1) == Some(&Token::PathSep)
                    && (i == 0 || tokens[i - 1] != Token::PathSep) =>
            {
                let (paths, end) = use_tree(&tokens, i);
                let in_test = inline.iter().any(|(_, t)| *t);
                for path in paths {
                    if let Some(resolved) = resolve(&here, &path) {
                        source.names.push((resolved, in_test));
                    }
                }
                i = end;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    source
}

/// `#[cfg(test)]` (then maybe `pub`, `pub(crate)`) right before token `at`.
fn cfg_test_before(tokens: &[Token], at: usize) -> bool {
    let mut i = at;
    let visibility = ["pub", "crate", "super", "in"];
    while i > 0 {
        let skip = match &tokens[i - 1] {
            Token::Ident(word) => visibility.contains(&word.as_str()),
            Token::Punct(c) => *c == '(' || *c == ')',
            Token::PathSep => false,
        };
        if !skip {
            break;
        }
        i -= 1;
    }
    let attribute = [
        Token::Punct('#'),
        Token::Punct('['),
        Token::Ident("cfg".into()),
        Token::Punct('('),
        Token::Ident("test".into()),
        Token::Punct(')'),
        Token::Punct(']'),
    ];
    i >= attribute.len() && tokens[i - attribute.len()..i] == attribute
}

/// The paths of a use tree (or a plain path) starting at `at`:
/// `crate::a::{b, c::{d}}` gives `crate::a::b` and `crate::a::c::d`.
fn use_tree(tokens: &[Token], at: usize) -> (Vec<Vec<String>>, usize) {
    let mut prefix = Vec::new();
    let mut i = at;
    loop {
        match tokens.get(i) {
            Some(Token::Ident(word)) => {
                prefix.push(word.clone());
                i += 1;
                if tokens.get(i) == Some(&Token::PathSep) {
                    i += 1;
                    continue;
                }
                return (vec![prefix], i);
            }
            Some(Token::Punct('{')) => {
                i += 1;
                let mut paths = Vec::new();
                while i < tokens.len() && tokens[i] != Token::Punct('}') {
                    if tokens[i] == Token::Punct(',') {
                        i += 1;
                        continue;
                    }
                    let (inner, end) = use_tree(tokens, i);
                    for path in inner {
                        let mut full = prefix.clone();
                        full.extend(path.into_iter().filter(|s| s != "self"));
                        paths.push(full);
                    }
                    // Skip `as name` and anything else up to the next item.
                    i = end;
                    while i < tokens.len()
                        && tokens[i] != Token::Punct(',')
                        && tokens[i] != Token::Punct('}')
                    {
                        i += 1;
                    }
                }
                return (paths, i + 1);
            }
            _ => return (vec![prefix], i),
        }
    }
}

/// A written path as a module path from the crate root.
fn resolve(here: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut base = here.to_vec();
    let mut rest = path;
    match rest.first().map(String::as_str) {
        Some("crate") => {
            base.clear();
            rest = &rest[1..];
        }
        Some("self") => rest = &rest[1..],
        Some("super") => {
            while rest.first().map(String::as_str) == Some("super") {
                base.pop()?;
                rest = &rest[1..];
            }
        }
        _ => return None,
    }
    base.extend(rest.iter().cloned());
    Some(base)
}

#[test]
fn the_reader_finds_modules_and_paths_in_use_trees_but_not_in_comments_or_strings() {
    let text = r##"
        //! mentions crate::ui in a comment
        mod a;
        pub mod b;
        use crate::app::{self, App, keys::{KEYS as K}};
        use super::x;
        fn f<'a>(s: &'a str) -> char { let _ = "crate::cli"; let _ = r#"crate::tui"#; '\''; '{'; br#"}"#; }
        #[cfg(test)]
        pub(crate) mod c;
        #[cfg(test)]
        mod tests { use super::*; use super::super::y::Z; }
    "##;
    let source = parse(text, &["m".to_string(), "n".to_string()]);
    let children: Vec<(&str, bool)> = source
        .children
        .iter()
        .map(|(c, test)| (c.as_str(), *test))
        .collect();
    assert_eq!(children, [("a", false), ("b", false), ("c", true)]);
    let names: Vec<String> = source
        .names
        .iter()
        .map(|(n, test)| format!("{}{}", n.join("::"), if *test { " (test)" } else { "" }))
        .collect();
    assert_eq!(
        names,
        [
            "app",
            "app::App",
            "app::keys::KEYS",
            "m::x",
            "m::n (test)",
            "m::y::Z (test)"
        ]
    );
}
