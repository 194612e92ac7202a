//! Why a Pod is not running, read from its status (durable: no Events, which
//! expire and can be left from an earlier attempt): the scheduler's reason
//! (the PodScheduled condition), an image that cannot be pulled, a container
//! that keeps crashing or cannot be created — each with what to do.

use crate::tree::Tree;

/// What stops the Pod: `short` for a row of the cluster pane, `sentence`
/// for a check (what happened, then what to do).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trouble {
    pub short: String,
    pub sentence: String,
}

/// Why `pod` does not run, when its status says; None while it is simply on
/// its way (scheduled, containers being created).
pub fn of(pod: &Tree) -> Option<Trouble> {
    unscheduled(pod).or_else(|| container_waiting(pod))
}

fn unscheduled(pod: &Tree) -> Option<Trouble> {
    let condition = pod["status"]["conditions"]
        .as_array()?
        .iter()
        .find(|c| c["type"] == "PodScheduled" && c["status"] == "False")?;
    let reason = condition["reason"].as_str().unwrap_or("Unschedulable");
    let message = condition["message"].as_str().unwrap_or_default().trim();
    let advice = if message.contains("Too many pods") {
        "the nodes hold as many Pods as they may: delete Pods you no longer need \
         (on the local lab, `kubetutor lab nodes N` adds nodes)"
    } else if message.contains("node affinity/selector") {
        "no node has the labels its nodeSelector or node affinity asks for: fix them, or label a node"
    } else if message.contains("Insufficient") {
        "it requests more than any node has free: lower its resources.requests"
    } else if message.contains("untolerated taint") {
        "the nodes carry taints it does not tolerate: add a toleration, or use another node"
    } else if message.contains("persistentvolumeclaim") || message.contains("PersistentVolumeClaim")
    {
        "a PersistentVolumeClaim it mounts is not bound yet"
    } else {
        "read the scheduler's message: it names what every node lacks"
    };
    let said = if message.is_empty() {
        reason.to_string()
    } else {
        message.to_string()
    };
    Some(Trouble {
        short: format!("{reason}: {said}"),
        sentence: format!("the scheduler cannot place it ({said}); {advice}"),
    })
}

fn container_waiting(pod: &Tree) -> Option<Trouble> {
    let statuses = pod["status"]["containerStatuses"].as_array()?;
    statuses.iter().find_map(|status| {
        let waiting = &status["state"]["waiting"];
        let reason = waiting["reason"].as_str()?;
        let name = status["name"].as_str().unwrap_or("its container");
        let image = status["image"].as_str().unwrap_or("?");
        let message = waiting["message"].as_str().unwrap_or_default().trim();
        let detail = if message.is_empty() {
            String::new()
        } else {
            format!(": {message}")
        };
        let sentence = match reason {
            "ErrImagePull" | "ImagePullBackOff" => format!(
                "the image {image} of container {name} cannot be pulled ({reason}{detail}); \
                 check the image's name and tag, and that the registry is reachable"
            ),
            "InvalidImageName" => format!(
                "container {name}'s image {image} is not a valid image reference{detail}; fix the name"
            ),
            "CrashLoopBackOff" => {
                let restarts = status["restartCount"].as_u64().unwrap_or(0);
                let exit = status["lastState"]["terminated"]["exitCode"]
                    .as_i64()
                    .map(|code| format!(", last exit code {code}"))
                    .unwrap_or_default();
                let pod_name = pod["metadata"]["name"].as_str().unwrap_or("POD");
                format!(
                    "container {name} keeps crashing (restarted {restarts} times{exit}); \
                     `kubectl logs {pod_name} -c {name} --previous` shows why"
                )
            }
            "CreateContainerConfigError" | "CreateContainerError" => format!(
                "container {name} cannot be created ({reason}{detail}); a ConfigMap, Secret or \
                 setting it names is missing or wrong"
            ),
            // Being created, or being pulled: on its way.
            "ContainerCreating" | "PodInitializing" => return None,
            _ => format!("container {name} is waiting: {reason}{detail}"),
        };
        Some(Trouble {
            short: format!("{reason} ({image})"),
            sentence,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_full_node_says_so_and_what_to_do() {
        let pod = json!({"status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/1 nodes are available: 1 Too many pods. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod."}]}});
        let trouble = of(&Tree::from(pod)).unwrap();
        assert!(
            trouble
                .short
                .starts_with("Unschedulable: 0/1 nodes are available: 1 Too many pods.")
        );
        assert!(
            trouble.sentence.contains("Too many pods"),
            "{}",
            trouble.sentence
        );
        assert!(
            trouble.sentence.contains("delete Pods you no longer need"),
            "{}",
            trouble.sentence
        );
    }

    #[test]
    fn a_selector_no_node_matches() {
        let pod = json!({"status": {"conditions": [
            {"type": "PodScheduled", "status": "False", "reason": "Unschedulable",
             "message": "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector."}]}});
        assert!(
            of(&Tree::from(pod))
                .unwrap()
                .sentence
                .contains("nodeSelector")
        );
    }

    #[test]
    fn an_image_that_cannot_be_pulled_and_a_crash_loop() {
        let pod = json!({"metadata": {"name": "web"}, "status": {"containerStatuses": [
            {"name": "app", "image": "nginx:1.277",
             "state": {"waiting": {"reason": "ImagePullBackOff", "message": "Back-off pulling image \"nginx:1.277\""}}}]}});
        let trouble = of(&Tree::from(pod)).unwrap();
        assert_eq!(trouble.short, "ImagePullBackOff (nginx:1.277)");
        assert!(trouble.sentence.contains("check the image's name and tag"));

        let pod = json!({"metadata": {"name": "web"}, "status": {"containerStatuses": [
            {"name": "app", "image": "busybox", "restartCount": 4,
             "lastState": {"terminated": {"exitCode": 1}},
             "state": {"waiting": {"reason": "CrashLoopBackOff"}}}]}});
        let sentence = of(&Tree::from(pod)).unwrap().sentence;
        assert!(
            sentence.contains("restarted 4 times, last exit code 1"),
            "{sentence}"
        );
        assert!(
            sentence.contains("kubectl logs web -c app --previous"),
            "{sentence}"
        );
    }

    #[test]
    fn on_its_way_is_no_trouble() {
        let scheduled = json!({"status": {"phase": "Pending", "conditions": [
            {"type": "PodScheduled", "status": "True"}],
            "containerStatuses": [{"name": "a", "state": {"waiting": {"reason": "ContainerCreating"}}}]}});
        assert_eq!(of(&Tree::from(scheduled)), None);
        assert_eq!(of(&Tree::from(json!({}))), None);
    }
}
