//! The lesson namespace as the lesson found it. Before a lesson starts, the
//! tutor records — in a ConfigMap of the namespace, which every learner may
//! write — the values of the namespace labels the lesson may set (its Pod
//! Security labels) and which objects of the kinds it manages beyond admin
//! (ResourceQuotas, LimitRanges) were there already. A reset puts the labels
//! back and deletes only the quotas and limit ranges that came after: a
//! namespace shared by several lessons (a class attendee's) keeps what the
//! class set, and loses what the lesson made, however it was made.

use std::collections::{BTreeMap, BTreeSet};

use k8s_openapi::api::core::v1::{ConfigMap, Namespace};
use kube::api::{Api, DeleteParams, DynamicObject, ListParams, Patch, PatchParams, PostParams};
use kube::{Client, ResourceExt};
use serde_json::{Value, json};

use super::kinds::Kinds;
use super::server_message;

/// The record of lesson `id`'s namespace as it found it.
pub fn record_name(lesson: &str) -> String {
    format!("kubetutor-labels-before-{lesson}")
}

const LABELS_KEY: &str = "labels";
const OBJECTS_KEY: &str = "objects";

/// What a lesson may change of its namespace: labels, and kinds it manages.
pub struct Watched<'a> {
    pub label_keys: &'a [String],
    pub kinds: &'a [String],
}

/// Records the current values (or absence) of the label keys, and the UIDs
/// of every object of the managed kinds, unless a record exists already
/// (the lesson started before: keep the first).
pub async fn record(
    client: &Client,
    kinds: &Kinds,
    namespace: &str,
    lesson: &str,
    watched: &Watched<'_>,
) -> Result<(), String> {
    if watched.label_keys.is_empty() && watched.kinds.is_empty() {
        return Ok(());
    }
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let name = record_name(lesson);
    match maps.get_opt(&name).await {
        Ok(Some(_)) => return Ok(()),
        Ok(None) => {}
        Err(err) => return Err(format!("reading {name}: {}", server_message(&err))),
    }
    let current = Api::<Namespace>::all(client.clone())
        .get(namespace)
        .await
        .map_err(|e| format!("reading namespace {namespace}: {}", server_message(&e)))?
        .metadata
        .labels
        .unwrap_or_default();
    let before: BTreeMap<&String, Option<&String>> = watched
        .label_keys
        .iter()
        .map(|k| (k, current.get(k)))
        .collect();
    let mut objects: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for kind in watched.kinds {
        let Some((resource, _)) = kinds.by_kind(kind) else {
            continue;
        };
        let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
        let listed = api
            .list(&ListParams::default())
            .await
            .map_err(|e| format!("listing {kind} in {namespace}: {}", server_message(&e)))?;
        objects.insert(
            kind.clone(),
            listed.items.iter().filter_map(|o| o.uid()).collect(),
        );
    }
    let record: ConfigMap = serde_json::from_value(json!({
        "metadata": {"name": name, "namespace": namespace},
        "data": {
            LABELS_KEY: serde_json::to_string(&before).unwrap_or_default(),
            OBJECTS_KEY: serde_json::to_string(&objects).unwrap_or_default(),
        },
    }))
    .map_err(|e| e.to_string())?;
    match maps.create(&PostParams::default(), &record).await {
        Ok(_) => Ok(()),
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(()),
        Err(err) => Err(format!(
            "recording the namespace as the lesson found it: {}",
            server_message(&err)
        )),
    }
}

/// The record, if the lesson made one: (labels before, kind → UIDs there before).
async fn read(
    client: &Client,
    namespace: &str,
    lesson: &str,
) -> Result<
    Option<(
        BTreeMap<String, Option<String>>,
        BTreeMap<String, BTreeSet<String>>,
    )>,
    String,
> {
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let name = record_name(lesson);
    let Some(map) = maps
        .get_opt(&name)
        .await
        .map_err(|e| format!("reading {name}: {}", server_message(&e)))?
    else {
        return Ok(None);
    };
    let data = map.data.unwrap_or_default();
    fn parse<T: serde::de::DeserializeOwned + Default>(
        data: &BTreeMap<String, String>,
        key: &str,
    ) -> T {
        data.get(key)
            .and_then(|text| serde_json::from_str(text).ok())
            .unwrap_or_default()
    }
    Ok(Some((parse(&data, LABELS_KEY), parse(&data, OBJECTS_KEY))))
}

/// UIDs of the objects of `kind` that were in the namespace before the
/// lesson began; None when the lesson recorded nothing of that kind.
pub async fn there_before(
    client: &Client,
    namespace: &str,
    lesson: &str,
    kind: &str,
) -> Option<BTreeSet<String>> {
    let (_, objects) = read(client, namespace, lesson).await.ok()??;
    objects.get(kind).cloned()
}

/// Puts the label `keys` back as recorded (a key the record says was absent
/// is removed), and, when `forget`, deletes the record. Returns what it
/// did, in words; nothing when no label changes.
pub async fn restore(
    client: &Client,
    namespace: &str,
    lesson: &str,
    keys: &[String],
    forget: bool,
) -> Result<Vec<String>, String> {
    let Some((record, _)) = read(client, namespace, lesson).await? else {
        return Ok(Vec::new());
    };
    let mut said = Vec::new();
    if !keys.is_empty() {
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let current = namespaces
            .get(namespace)
            .await
            .map_err(|e| format!("reading namespace {namespace}: {}", server_message(&e)))?
            .metadata
            .labels
            .unwrap_or_default();
        let mut patch = serde_json::Map::new();
        for key in keys {
            let was = record.get(key).cloned().flatten();
            if current.get(key) == was.as_ref() {
                continue;
            }
            match &was {
                Some(value) => said.push(format!(
                    "label {key}={value} put back on namespace {namespace}"
                )),
                None => said.push(format!("label {key} removed from namespace {namespace}")),
            }
            patch.insert(key.clone(), was.map_or(Value::Null, Value::from));
        }
        if !patch.is_empty() {
            namespaces
                .patch(
                    namespace,
                    &PatchParams::default(),
                    &Patch::Merge(json!({"metadata": {"labels": patch}})),
                )
                .await
                .map_err(|e| {
                    format!(
                        "putting the namespace's labels back: {}",
                        server_message(&e)
                    )
                })?;
        }
    }
    if forget {
        let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
        let name = record_name(lesson);
        match maps.delete(&name, &DeleteParams::default()).await {
            Ok(_) => {}
            Err(kube::Error::Api(status)) if status.code == 404 => {}
            Err(err) => return Err(format!("deleting {name}: {}", server_message(&err))),
        }
    }
    Ok(said)
}
