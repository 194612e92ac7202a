use super::*;
use serde_json::json;

fn pod() -> Value {
    json!({"kind": "Pod", "metadata": {"name": "web-1", "labels": {"app": "web"}},
           "spec": {"containers": [{"name": "c", "ports": [{"containerPort": 80}]}]},
           "status": {"phase": "Running", "ready": true, "note": null}})
}

#[test]
fn reads_as_serde_json_reads() {
    let tree = Tree::from(pod());
    assert_eq!(tree["metadata"]["name"], "web-1");
    assert_eq!(tree["metadata"]["labels"]["app"].as_str(), Some("web"));
    assert_eq!(
        tree["spec"]["containers"][0]["ports"][0]["containerPort"].as_u64(),
        Some(80)
    );
    assert_eq!(tree["status"]["ready"], true);
    // Missing keys, indexes past the end, indexing a string: null, as with serde_json.
    assert!(tree["spec"]["nope"]["deeper"].is_null());
    assert!(tree["spec"]["containers"][5].is_null());
    assert!(tree["kind"]["x"].is_null());
    assert!(tree["status"]["note"].is_null());
    assert!(tree["status"].as_object().unwrap().contains_key("note"));
}

#[test]
fn converts_back_whole_and_in_order() {
    let value = json!({"z": 1, "a": {"y": [1, -2, 2.5, {"b": "x"}], "x": null}, "m": false});
    let tree = Tree::from(value.clone());
    assert_eq!(tree.to_value(), value);
    assert_eq!(tree, value);
    assert_eq!(
        tree.to_string(),
        value.to_string(),
        "same JSON text, same key order"
    );
    assert_eq!(
        tree.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["z", "a", "m"]
    );
    assert_ne!(tree, json!({"z": 1}));
    assert_ne!(Tree::from(json!({"a": 1})), json!({"a": "1"}));
}

#[test]
fn equal_strings_in_different_trees_are_shared() {
    let a = Tree::from(pod());
    let b = Tree::from(pod());
    let (Tree::String(x), Tree::String(y)) = (&a["status"]["phase"], &b["status"]["phase"]) else {
        panic!("phase is a string");
    };
    assert!(Arc::ptr_eq(x, y));
}

#[test]
fn a_tree_is_smaller_than_the_value_it_came_from() {
    // The sizes the memory figures in BENCHMARKS.md rest on.
    assert_eq!(std::mem::size_of::<Tree>(), 24);
    assert_eq!(std::mem::size_of::<(Atom, Tree)>(), 40);
}
