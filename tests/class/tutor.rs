//! An attendee's tutor without a terminal: the real `App` (its `update`),
//! fed by a real engine with the attendee's kubeconfig, publishing through
//! the real `Publisher` — what the tutor's runtime does, minus the drawing.

use std::path::Path;
use std::time::Duration;

use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kubetutor::app::{self, App, ClusterLabel, Effect, Msg};
use kubetutor::class::publish::{Publisher, read_all};
use kubetutor::engine::Engine;
use kubetutor::engine::actor::EngineUpdate;
use kubetutor::lesson::Lesson;
use tokio::sync::mpsc;

pub struct Tutor {
    pub app: App,
    pub engine: Engine,
    publisher: Publisher,
    /// Says why publishing failed, once.
    pub failures: mpsc::UnboundedReceiver<String>,
}

pub async fn config_of(kubeconfig: &Path) -> Config {
    Config::from_custom_kubeconfig(
        Kubeconfig::read_from(kubeconfig).unwrap(),
        &KubeConfigOptions::default(),
    )
    .await
    .unwrap()
}

impl Tutor {
    /// Opens lesson `lesson` in `namespace` as the owner of `kubeconfig`,
    /// publishing into `publish_to` (their own namespace, unless a test
    /// tries another).
    pub async fn open(kubeconfig: &Path, namespace: &str, publish_to: &str) -> Tutor {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
        let lesson = Lesson::load(&dir, Some(namespace)).unwrap();
        let config = config_of(kubeconfig).await;
        let engine = Engine::start(lesson.clone(), config.clone()).await.unwrap();
        let (tx, failures) = mpsc::unbounded_channel();
        let publisher = Publisher::spawn(
            async move { kubetutor::transport::client(&config).map(Some) },
            publish_to.to_string(),
            tx,
            |why| why,
        );
        let mut app = App::new(lesson, ClusterLabel::default(), None);
        app.publishing = true;
        let mut tutor = Tutor {
            app,
            engine,
            publisher,
            failures,
        };
        let reports = tutor.engine.evaluate_all().await;
        tutor.send(Msg::Engine(EngineUpdate::Started(reports)));
        tutor
    }

    /// One message through `update`; its records go to the publisher.
    pub fn send(&mut self, msg: Msg) {
        for effect in app::update(&mut self.app, msg) {
            if let Effect::Publish(record) = effect {
                self.publisher.publish(record);
            }
        }
    }

    pub fn key(&mut self, code: crossterm::event::KeyCode) {
        use crossterm::event::{KeyEvent, KeyModifiers};
        self.send(Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Applies `yaml` as the editor's Ctrl-S does, and hands the result to `update`.
    pub async fn apply(&mut self, yaml: &str) {
        let result = self.engine.apply(yaml).await;
        self.send(Msg::Engine(EngineUpdate::Applied(result)));
    }

    /// Waits until the instructor (`client`) reads in `namespace` what this
    /// tutor last handed out.
    pub async fn await_published(&self, client: &kube::Client, namespace: &str) {
        let want = self.app.published.clone().expect("a record was handed out");
        let start = std::time::Instant::now();
        loop {
            let read = read_all(client, &[namespace.to_string()]).await.unwrap();
            if let Some(Ok(record)) = read.get(namespace)
                && record.content() == want.content()
            {
                return;
            }
            assert!(
                start.elapsed() < Duration::from_secs(15),
                "{namespace}: the record never arrived: {read:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
