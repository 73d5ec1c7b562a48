//! The test world: a SQLite event store in a temp file, a delivery log on SQLite or a fresh PostgreSQL
//! database, a real SMTP sink, cases built with the real `domain::decide`, and the mail parser.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::NaiveDate;
use domain::{
    AgencyCode, CaseId, CaseState, Channel, Classify, Clocks, Command, ComplexityCriteria,
    DecideContext, Email, FullName, Lang, Person, PetitionKind, Petitioners, Receive,
    StaticAgencyDirectory, Subject, Text, TrackingCode, decide,
};
use feed::{EventSource, StoreTail};
use notifier::{Notifier, NotifierSettings, SmtpSettings, TlsMode};
use store::{CommandMeta, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StreamId};
use uuid::Uuid;

use crate::smtp_sink::SmtpSink;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub fn temp_sqlite_url(name: &str) -> String {
    let dir = std::env::temp_dir().join("notifier-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    format!(
        "sqlite://{}?mode=rwc",
        dir.join(format!("{name}-{}.db", Uuid::new_v4())).display()
    )
}

/// A fresh database for one test; fails (never skips) when PostgreSQL is unreachable.
pub async fn fresh_postgres_url() -> String {
    let admin = std::env::var("TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres:postgres@127.0.0.1:5432/postgres".to_owned());
    let name = format!("notifier_test_{}", Uuid::new_v4().simple());
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL at TEST_DATABASE_URL is unreachable: {e}"));
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&pool)
        .await
        .expect("create database");
    pool.close().await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    format!("{base}/{name}")
}

pub async fn log_url(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => temp_sqlite_url("log"),
        Backend::Postgres => fresh_postgres_url().await,
    }
}

pub async fn sqlite_store() -> Arc<dyn EventStore> {
    store::connect(&temp_sqlite_url("store"))
        .await
        .expect("open the store")
}

/// Settings pointing at the sink, with fast retries for tests.
pub fn settings(smtp_port: u16) -> NotifierSettings {
    NotifierSettings {
        smtp: Some(SmtpSettings {
            host: "127.0.0.1".to_owned(),
            port: smtp_port,
            tls: TlsMode::None,
            username: None,
            password: None,
            from: "Cổng tiếp dân <no-reply@tiepdan.example.vn>".to_owned(),
            timeout_secs: 5,
        }),
        portal_url: "https://tiepdan.example.vn".to_owned(),
        base_backoff_ms: 20,
        max_backoff_ms: 200,
        lease_ms: 30_000,
        ..NotifierSettings::default()
    }
}

/// A notifier, its store and its sink.
#[derive(Debug, Clone)]
pub struct World {
    pub store: Arc<dyn EventStore>,
    pub sink: SmtpSink,
    pub notifier: Notifier,
    pub log_url: String,
}

impl World {
    pub async fn start(backend: Backend) -> World {
        Self::with(backend, |s| s).await
    }

    pub async fn with(
        backend: Backend,
        tweak: impl FnOnce(NotifierSettings) -> NotifierSettings,
    ) -> World {
        let sink = SmtpSink::start().await;
        let store = sqlite_store().await;
        let log_url = log_url(backend).await;
        let notifier = Notifier::connect(&log_url, store.clone(), tweak(settings(sink.port)))
            .await
            .expect("connect the notifier");
        World {
            store,
            sink,
            notifier,
            log_url,
        }
    }

    /// Feeds every pending event of the store to the notifier through the in-process bus source.
    pub async fn pump(&self) {
        self.pump_with(&self.notifier).await;
    }

    /// Same, into another notifier (a restarted process) on the same store.
    pub async fn pump_with(&self, notifier: &Notifier) {
        let handler = notifier.handler();
        let tail = StoreTail::new(self.store.clone());
        for _ in 0..100 {
            let outcome = tail.run_once(&handler, 1000).await.expect("the tail runs");
            assert_eq!(outcome.dead_lettered, 0, "a delivery was dead-lettered");
            if outcome.handled == 0 {
                return;
            }
        }
    }

    pub async fn mails(&self, n: usize) -> Vec<Mail> {
        self.sink
            .wait_for(n, Duration::from_secs(5))
            .await
            .iter()
            .map(|r| Mail::parse(&r.data, &r.rcpt))
            .collect()
    }
}

fn clocks() -> &'static Clocks {
    static CLOCKS: OnceLock<Clocks> = OnceLock::new();
    CLOCKS.get_or_init(Clocks::embedded)
}

fn agencies() -> &'static StaticAgencyDirectory {
    static AGENCIES: OnceLock<StaticAgencyDirectory> = OnceLock::new();
    AGENCIES.get_or_init(StaticAgencyDirectory::embedded)
}

pub fn date(s: &str) -> NaiveDate {
    s.parse().expect("test date")
}

pub fn text(s: &str) -> Text {
    Text::parse(s).expect("text")
}

pub fn person(name: &str, email: &str, lang: Option<Lang>) -> Person {
    Person {
        full_name: FullName::parse(name).expect("name"),
        address: Some("12 Hàng Bài, Hoàn Kiếm, Hà Nội".to_owned()),
        phone: Some("0912345678".parse().expect("phone")),
        email: Some(Email::parse(email).expect("email")),
        national_id: Some("001099012345".parse().expect("id")),
        preferred_language: lang,
    }
}

/// A petition of `kind` received in person at the Hoàn Kiếm ward.
pub fn receive(kind: PetitionKind, people: Vec<Person>, representatives: Vec<usize>) -> Receive {
    let count = u32::try_from(people.len()).expect("count");
    let mut random = [0u8; 8];
    random.copy_from_slice(&Uuid::new_v4().as_bytes()[..8]);
    Receive {
        kind,
        channel: Channel::InPerson,
        receiving_agency: AgencyCode::parse("UBND-HN.HOAN-KIEM").expect("agency"),
        subject: Subject::parse("Bồi thường thu hồi đất").expect("subject"),
        content: text(
            "The compensation decided for the recovered plot is below the land price table.",
        ),
        petitioners: Petitioners {
            signatories: people,
            representatives,
        },
        signatory_count: count,
        related_case: None,
        decision_date_learned: None,
        contested: Default::default(),
        limitation_obstacles: Vec::new(),
        tracking_code: TrackingCode::generate(kind, 2026, random),
        referrer: None,
    }
}

pub fn within_competence() -> Classify {
    Classify {
        kind: None,
        within_competence: true,
        competent_agency: None,
        complexity: ComplexityCriteria::default(),
    }
}

/// One case, stepped through the real `decide` and appended to the real store.
#[derive(Debug)]
pub struct TestCase {
    pub id: CaseId,
    pub state: CaseState,
    store: Arc<dyn EventStore>,
}

impl TestCase {
    pub fn new(store: &Arc<dyn EventStore>) -> TestCase {
        TestCase {
            id: CaseId::from_uuid(Uuid::new_v4()),
            state: CaseState::default(),
            store: store.clone(),
        }
    }

    pub fn uuid(&self) -> Uuid {
        self.id.as_uuid()
    }

    pub fn tracking_code(&self) -> String {
        self.state
            .tracking_code
            .as_ref()
            .map(ToString::to_string)
            .expect("received")
    }

    /// Decides `command` on `on` and appends its events; returns them as recorded.
    pub async fn step(&mut self, on: &str, command: impl Into<Command>) -> Vec<RecordedEvent> {
        let ctx = DecideContext {
            case_id: self.id,
            step_date: date(on),
            today: date(on),
            clocks: clocks(),
            agencies: agencies(),
            related: None,
        };
        let events = decide(&self.state, &command.into(), &ctx)
            .unwrap_or_else(|e| panic!("step on {on} refused: {e}"));
        let new: Vec<NewEvent> = events
            .iter()
            .map(|e| {
                let s = e.to_stored();
                NewEvent {
                    event_id: Uuid::new_v4(),
                    event_type: s.event_type.to_owned(),
                    schema_version: s.schema_version,
                    payload: s.payload,
                    personal: s.personal,
                }
            })
            .collect();
        let expected = if self.state.version == 0 {
            ExpectedVersion::NoStream
        } else {
            ExpectedVersion::Exact(self.state.version)
        };
        let meta = CommandMeta {
            command_id: Uuid::new_v4(),
            fingerprint: None,
            actor: "officer".to_owned(),
            correlation_id: Uuid::new_v4(),
            causation_id: None,
            rulebook_version: None,
        };
        let outcome = self
            .store
            .append(&StreamId::for_case(self.uuid()), expected, new, &meta)
            .await
            .expect("append");
        for e in &events {
            self.state.apply(e);
        }
        outcome.events
    }
}

/// A received mail, parsed with a real MIME parser.
#[derive(Debug, Clone)]
pub struct Mail {
    pub rcpt: Vec<String>,
    pub to: String,
    pub subject: String,
    pub body: String,
    pub message_id: String,
    pub lang: String,
}

impl Mail {
    pub fn parse(data: &[u8], rcpt: &[String]) -> Mail {
        let m = mail_parser::MessageParser::default()
            .parse(data)
            .expect("a parsable message");
        let to = m
            .to()
            .and_then(|a| a.first())
            .and_then(|a| a.address())
            .map(ToOwned::to_owned)
            .unwrap_or_default();
        Mail {
            rcpt: rcpt.to_vec(),
            to,
            subject: m.subject().unwrap_or_default().to_owned(),
            body: m.body_text(0).map(|b| b.into_owned()).unwrap_or_default(),
            message_id: m.message_id().unwrap_or_default().to_owned(),
            lang: m
                .header_raw("Content-Language")
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }

    /// Subject and body together, for "does it mention" checks.
    pub fn all(&self) -> String {
        format!("{}\n{}\n{}", self.to, self.subject, self.body)
    }
}
