//! Building a kube `Config` from a kubeconfig file and context, like kubectl's
//! `--kubeconfig` and `--context`, with TLS always verified.

use std::path::PathBuf;

use anyhow::Context;
use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig};

/// Which cluster to talk to: kubectl's `--kubeconfig` and `--context`.
#[derive(Debug, Clone, Default)]
pub struct Target {
    pub kubeconfig: Option<PathBuf>,
    pub context: Option<String>,
}

impl Target {
    /// Loads the configuration. The file is `--kubeconfig`, else `$KUBECONFIG`,
    /// else `~/.kube/config`, as kubectl does.
    pub async fn config(&self) -> anyhow::Result<Config> {
        let options = KubeConfigOptions {
            context: self.context.clone(),
            ..Default::default()
        };
        let config = match &self.kubeconfig {
            Some(path) => {
                let kubeconfig = Kubeconfig::read_from(path)
                    .with_context(|| format!("reading kubeconfig {}", path.display()))?;
                Config::from_custom_kubeconfig(kubeconfig, &options).await
            }
            None => Config::from_kubeconfig(&options).await,
        }
        .with_context(|| {
            let what = match &self.context {
                Some(context) => format!("loading context {context:?} from the kubeconfig"),
                None => "loading the current context from the kubeconfig".to_string(),
            };
            format!(
                "{what}. To use the local lab: `kubetutor lab up` (with no kubeconfig of your own, \
                 kubetutor then uses it by itself; else `eval \"$(kubetutor lab env)\"` or pass \
                 --kubeconfig); to use another cluster, pass --kubeconfig and --context"
            )
        })?;
        refuse_insecure(config)
    }
}

/// kubetutor never turns certificate checks off: a context that asks for it
/// is an error the user can fix (give the cluster's CA), not a silent downgrade.
pub fn refuse_insecure(config: Config) -> anyhow::Result<Config> {
    if config.accept_invalid_certs {
        anyhow::bail!(
            "this kubeconfig context sets insecure-skip-tls-verify; kubetutor always verifies \
             the API server's certificate. Put the cluster's CA in certificate-authority-data \
             (or certificate-authority) and remove insecure-skip-tls-verify."
        );
    }
    Ok(config)
}
