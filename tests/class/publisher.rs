//! The tutor's publisher on the lab: a burst of changes is written at most
//! once a second, the newest wins, and a record that did not change is not
//! written again.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::Api;
use kubetutor::class::publish::{Publisher, read_all};
use kubetutor::class::record::{CONFIGMAP, Record};
use tokio::sync::mpsc;

use super::common::{TestNamespace, lab};

fn record(step: usize) -> Record {
    Record {
        lesson: "serviceaccount-rbac".into(),
        step,
        step_id: format!("step-{step}"),
        ..Record::default()
    }
}

#[tokio::test]
async fn a_burst_of_changes_is_written_at_most_once_a_second_and_the_newest_wins() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "publish").await;
    let (tx, mut failures) = mpsc::unbounded_channel();
    let writer = client.clone();
    let publisher = Publisher::spawn(
        async move { Ok(Some(writer)) },
        ns.name.clone(),
        tx,
        |why| why,
    );
    let configmaps: Api<ConfigMap> = Api::namespaced(client.clone(), &ns.name);
    let mut versions = std::collections::BTreeSet::new();
    let start = Instant::now();
    // 30 changes over 3 s, the ConfigMap's version read every 20 ms.
    for step in 1..=30 {
        publisher.publish(record(step));
        for _ in 0..5 {
            if let Some(cm) = configmaps.get_opt(CONFIGMAP).await.unwrap() {
                versions.insert(cm.metadata.resource_version.unwrap());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    let elapsed = start.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let read = read_all(&client, std::slice::from_ref(&ns.name))
        .await
        .unwrap();
    let last = read[&ns.name].as_ref().unwrap();
    assert_eq!(last.step, 30, "the newest record is the one left");
    let cm = configmaps.get(CONFIGMAP).await.unwrap();
    versions.insert(cm.metadata.resource_version.clone().unwrap());
    assert!(
        versions.len() as f64 <= elapsed.ceil() + 2.0,
        "{} writes in {elapsed:.1} s",
        versions.len()
    );
    // The same record again: nothing written.
    publisher.publish(record(30));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let again = configmaps.get(CONFIGMAP).await.unwrap();
    assert_eq!(
        again.metadata.resource_version,
        cm.metadata.resource_version
    );
    assert!(failures.try_recv().is_err(), "no failure said");
    eprintln!("{} writes for 30 changes in {elapsed:.1} s", versions.len());
}
