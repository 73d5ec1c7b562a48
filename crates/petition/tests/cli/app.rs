//! The real app built in-process on port 0 (`App::build` / `App::run`), for tests that only need HTTP:
//! no binary, no pipes, the same wiring as `petition serve`.

use std::path::Path;
use std::time::Duration;

use petition::{App, Settings};
use serde_json::{Value, json};
use tokio::sync::oneshot;

/// A running in-process app; stopped (gracefully) on [`InProcess::stop`], aborted on drop.
pub struct InProcess {
    pub base: String,
    pub token: String,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<anyhow::Result<()>>,
    _dir: testkit::TempDir,
}

impl InProcess {
    /// Builds the app with `vars` as its environment (no settings file), data under a fresh directory.
    pub async fn start(vars: &[(&str, &str)]) -> Self {
        testkit::init_tracing();
        let dir = testkit::TempDir::new("petition-inprocess");
        let data = dir.path.join("data");
        let mut env: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        env.push(("PETITION_DATA_DIR".into(), data.display().to_string()));
        let settings = Settings::load_from(&dir.path.join("none.toml"), env).expect("settings");
        let app = App::build(settings).await.expect("build the app");
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(app.run(listener, async move {
            let _ = stopped.await;
        }));
        let token = dev_token(&data);
        Self {
            base,
            token,
            stop: Some(stop),
            task,
            _dir: dir,
        }
    }

    /// Stops the app as SIGTERM would and returns how `run` ended.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        (&mut self.task).await.expect("the app's task")
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        self.task.abort();
    }
}

fn dev_token(data: &Path) -> String {
    std::fs::read_to_string(data.join("dev-token"))
        .expect("the development token")
        .trim()
        .to_owned()
}

async fn receive(app: &InProcess, subject: &str) -> String {
    let r = reqwest::Client::new()
        .post(format!("{}/api/v1/petitions", app.base))
        .bearer_auth(&app.token)
        .json(&json!({
            "kind": "feedback", "channel": "online", "receiving_agency": "UBND-HN",
            "subject": subject, "content": "Broken street lights.", "signatory_count": 1
        }))
        .send()
        .await
        .expect("receive");
    assert_eq!(r.status(), 201);
    let body: Value = r.json().await.expect("json");
    body["case_id"].as_str().expect("case id").to_owned()
}

/// Polls the case list until it names every case of `cases`.
async fn case_list_shows(app: &InProcess, cases: &[&str]) -> bool {
    for _ in 0..100 {
        let text = reqwest::Client::new()
            .get(format!("{}/api/v1/cases", app.base))
            .bearer_auth(&app.token)
            .send()
            .await
            .expect("case list")
            .text()
            .await
            .unwrap_or_default();
        if cases.iter().all(|c| text.contains(c)) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_read_models_keep_up_with_nats_stopped() {
    let nats = testkit::nats::NatsServer::start();
    let app = InProcess::start(&[("PETITION_NATS_URL", nats.url.as_str())]).await;
    let before = receive(&app, "Street lights before").await;
    assert!(case_list_shows(&app, &[&before]).await, "read with NATS up");
    drop(nats);
    let after = receive(&app, "Street lights after").await;
    assert!(
        case_list_shows(&app, &[&before, &after]).await,
        "the read models read the store, not JetStream: they keep up while NATS is down"
    );
    app.stop().await.expect("a graceful stop ends run with Ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_app_stops_serving_and_run_returns_ok() {
    let app = InProcess::start(&[]).await;
    let base = app.base.clone();
    let health = reqwest::get(format!("{base}/health"))
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
    app.stop().await.expect("run returns Ok after shutdown");
    assert!(
        reqwest::get(format!("{base}/health")).await.is_err(),
        "nothing listens after run returned"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_in_process_app_on_postgres_and_nats_records_relays_and_reads_back() {
    let db = testkit::db::PgDatabase::fresh("cli_app").await;
    let nats = testkit::nats::NatsServer::start();
    let app = InProcess::start(&[
        ("PETITION_DATABASE_URL", db.url.as_str()),
        ("PETITION_NATS_URL", nats.url.as_str()),
        ("PETITION_DATABASE__POOLS__EVENT_STORE", "3"),
    ])
    .await;
    let case = receive(&app, "Street lights on PostgreSQL").await;
    assert!(
        case_list_shows(&app, &[&case]).await,
        "read back from PostgreSQL"
    );
    // The relay publishes the event to the stream of the app's own NATS.
    let js = bus::connect(&nats.url, "cli-app-test").await.expect("nats");
    let mut published = 0;
    for _ in 0..100 {
        if let Ok(mut stream) = js.get_stream("PETITION_EVENTS").await
            && let Ok(info) = stream.info().await
        {
            published = info.state.messages;
            if published >= 1 {
                break;
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(published, 1, "the relay published the one event");
    app.stop().await.expect("graceful stop");
    drop(db);
}
