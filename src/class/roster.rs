//! Who is in a class: read from the cluster (the labelled namespaces), so
//! the board, `status` and `delete` need no file of the instructor's.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::ListParams;
use kube::{Api, Client, ResourceExt};

use super::{ATTENDEE_LABEL, CLASS_LABEL, LESSON_ANNOTATION};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attendee {
    /// 1-based.
    pub number: usize,
    pub namespace: String,
    pub lesson: String,
}

impl Attendee {
    /// "attendee 03".
    pub fn label(&self) -> String {
        format!("attendee {:02}", self.number)
    }
}

/// The attendees of `class`, by number.
pub async fn attendees(client: &Client, class: &str) -> anyhow::Result<Vec<Attendee>> {
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let listed = namespaces
        .list(&ListParams::default().labels(&format!("{CLASS_LABEL}={class}")))
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "listing the namespaces of class {class}: {} (the board and class commands use \
                 your own credentials, which must be allowed to list namespaces)",
                crate::cluster::apply::server_message(&e)
            )
        })?;
    let mut attendees: Vec<Attendee> = listed
        .items
        .iter()
        .filter(|ns| ns.metadata.deletion_timestamp.is_none())
        .filter_map(|ns| {
            let number = ns.labels().get(ATTENDEE_LABEL)?.parse().ok()?;
            Some(Attendee {
                number,
                namespace: ns.name_any(),
                lesson: ns.annotations().get(LESSON_ANNOTATION)?.clone(),
            })
        })
        .collect();
    attendees.sort_by_key(|a| a.number);
    Ok(attendees)
}
