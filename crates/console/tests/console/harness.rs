//! One console per test: a fresh SQLite file, demo cases plus a hostile one recorded through
//! `CaseService`, the read models rebuilt from the store, and the router served on 127.0.0.1:0.

use std::sync::Arc;

use command::http::{ApiToken, TokenList};
use command::{CaseService, CommandRequest, RequestMeta, SystemTime};
use console::{Authenticator, ConsoleState};
use domain::{
    AgencyCode, CaseId, Channel, Command, FullName, Person, PetitionKind, Petitioners, Receive,
    Subject, Text, TrackingCode,
};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use secrecy::SecretString;
use uuid::Uuid;

pub const TOKEN: &str = "console-test-token-0123456789abcdef";
/// An inspectorate of Hà Nội (TT-HN): its jurisdiction is the capital's tree, not Hồ Chí Minh City's.
pub const TOKEN_INSPECTOR_HN: &str = "console-test-inspector-hn-0123456789";
/// A handling officer of Hồ Chí Minh City's committee: its own cases, no watchlist.
pub const TOKEN_OFFICER_HCM: &str = "console-test-officer-hcm-0123456789a";
/// An auditor of the whole state: histories, no personal data.
pub const TOKEN_AUDITOR: &str = "console-test-auditor-all-0123456789ab";
pub const HOSTILE_SUBJECT: &str = "<script>alert('x')</script> & \"quoted\"";

#[derive(Debug)]
pub struct TestConsole {
    pub base: String,
    pub client: reqwest::Client,
    pub hostile_case: CaseId,
    pub hostile_code: String,
}

/// The seeded store and read models a console is served over.
pub struct Seeded {
    pub store: Arc<dyn store::EventStore>,
    pub projections: projection::Projections,
    pub agencies: Arc<domain::StaticAgencyDirectory>,
    pub hostile_case: CaseId,
    pub hostile_code: String,
}

/// A console with the static tokens of [`tokens`].
pub async fn spawn() -> TestConsole {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    serve(seed().await, TokenList::new(&tokens()), listener, |s| s).await
}

/// Demo cases plus a hostile one, recorded through `CaseService` into a fresh SQLite file.
pub async fn seed() -> Seeded {
    let dir = std::env::temp_dir().join(format!("console-test-{}", Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let url = format!("sqlite://{}?mode=rwc", dir.join("petition.db").display());
    let store = store::connect(&url).await.expect("store");
    let projections = projection::Projections::connect(&url)
        .await
        .expect("read models");
    let agencies = Arc::new(domain::StaticAgencyDirectory::embedded());
    let service = CaseService::new(
        store.clone(),
        Arc::new(domain::Clocks::embedded()),
        agencies.clone(),
        Arc::new(SystemTime),
    );
    let today = command::local_date(chrono::Utc::now());
    let report = console::demo::seed(&service, 24, today)
        .await
        .expect("demo seed");
    assert_eq!(report.cases, 24, "{report:?}");
    assert_eq!(
        report.refused, 0,
        "the law accepts every demo step: {report:?}"
    );
    let (hostile_case, hostile_code) = hostile(&service, today).await;
    projection::rebuild(&store, &projections, None)
        .await
        .expect("rebuild read models");

    Seeded {
        store,
        projections,
        agencies,
        hostile_case,
        hostile_code,
    }
}

/// The principals of the tests, as static tokens.
pub fn tokens() -> Vec<ApiToken> {
    use command::access::{Role, Scope};
    let at = |code: &str| Scope::Agency(AgencyCode::parse(code).expect("agency"));
    [
        ("inspector", TOKEN, Role::Inspectorate, Scope::All),
        (
            "inspector-hn",
            TOKEN_INSPECTOR_HN,
            Role::Inspectorate,
            at("TT-HN"),
        ),
        (
            "officer-hcm",
            TOKEN_OFFICER_HCM,
            Role::HandlingOfficer,
            at("UBND-HCM"),
        ),
        ("auditor", TOKEN_AUDITOR, Role::Auditor, Scope::All),
    ]
    .into_iter()
    .map(|(actor, secret, role, scope)| {
        ApiToken::from_secret(actor, &SecretString::from(secret), vec![role], scope)
    })
    .collect()
}

/// A stand-in for the binary's exporter (the transparency log is not part of the console): the case's
/// events as the bundle carries them, personal part included.
fn exporter(store: Arc<dyn store::EventStore>) -> console::Exporter {
    console::Exporter(Arc::new(move |case| {
        let store = store.clone();
        Box::pin(async move {
            let events = store.read_stream(&store::StreamId::for_case(case)).await?;
            let events: Vec<_> = events
                .iter()
                .map(|e| {
                    let mut v = serde_json::json!({"version": e.version, "hash": e.hash, "event_type": e.event_type});
                    if let Some(p) = &e.personal {
                        v["personal"] = p.clone();
                    }
                    v
                })
                .collect();
            Ok(serde_json::json!({"events": events, "checkpoints": []}))
        })
    }))
}

/// Serves a console over `seeded` on `listener`, with `configure` applied to its state (the OIDC sign-in).
pub async fn serve(
    seeded: Seeded,
    tokens: TokenList,
    listener: tokio::net::TcpListener,
    configure: impl FnOnce(ConsoleState) -> ConsoleState,
) -> TestConsole {
    let Seeded {
        store,
        projections,
        agencies,
        hostile_case,
        hostile_code,
    } = seeded;
    let state = ConsoleState::new(
        projections,
        store.clone(),
        agencies,
        Arc::new(clock::Rulebook::embedded()),
        Authenticator::new(tokens),
    )
    .with_exporter(exporter(store));
    let state = configure(state);
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        axum::serve(listener, console::router(state))
            .await
            .expect("serve");
    });
    TestConsole {
        base: format!("http://{addr}"),
        client: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("client"),
        hostile_case,
        hostile_code,
    }
}

/// A petition whose subject is markup, as a hostile petitioner would type it.
async fn hostile(service: &CaseService, today: chrono::NaiveDate) -> (CaseId, String) {
    let id = CaseId::from_uuid(Uuid::now_v7());
    let code = TrackingCode::generate(PetitionKind::Complaint, 2026, [7; 8]);
    let cmd = Command::Receive(Receive {
        kind: PetitionKind::Complaint,
        channel: Channel::Online,
        receiving_agency: AgencyCode::parse("UBND-HN.HOAN-KIEM").expect("agency"),
        subject: Subject::parse(HOSTILE_SUBJECT).expect("subject"),
        content: Text::parse("<img src=x onerror=alert(1)>").expect("text"),
        petitioners: Petitioners {
            signatories: vec![Person {
                full_name: FullName::parse("Nguyễn Văn Tấn Công").expect("name"),
                address: None,
                phone: None,
                email: None,
                national_id: None,
                preferred_language: None,
            }],
            representatives: vec![],
        },
        signatory_count: 1,
        related_case: None,
        decision_date_learned: Some(today),
        contested: Default::default(),
        limitation_obstacles: Vec::new(),
        tracking_code: code.clone(),
        referrer: None,
    });
    service
        .execute(CommandRequest {
            case_id: id,
            command: cmd,
            expected_version: None,
            step_date: Some(today),
            meta: RequestMeta {
                command_id: Uuid::now_v7(),
                fingerprint: None,
                retryable: false,
                actor: "intake".into(),
                correlation_id: Uuid::now_v7(),
                causation_id: None,
            },
        })
        .await
        .expect("hostile petition received");
    (id, code.to_string())
}

/// The `name=value` of a `Set-Cookie` named `name`, if the answer sets it.
pub fn set_cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

/// Markup with the escapes minijinja writes in attributes undone (`&#x2f;` for `/`, `&amp;`), so
/// addresses can be compared as a browser reads them.
pub fn unescape(html: &str) -> String {
    html.replace("&#x2f;", "/").replace("&amp;", "&")
}

/// The value of the hidden `csrf` field of a form.
pub fn csrf_field(html: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = html.find(marker).expect("a csrf field") + marker.len();
    html[start..start + 64].to_owned()
}

impl TestConsole {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, cookie: Option<&str>) -> reqwest::Response {
        let mut r = self.client.get(self.url(path));
        if let Some(c) = cookie {
            r = r.header("cookie", c);
        }
        r.send().await.expect("GET")
    }

    /// Signs in through the form as the all-state inspector; returns the session's `Cookie` value.
    pub async fn sign_in(&self) -> String {
        self.sign_in_with(TOKEN).await
    }

    /// Signs in through the form with `token`; returns the `Cookie` header value of the session.
    pub async fn sign_in_with(&self, token: &str) -> String {
        let form = self.get("/console/login", None).await;
        let csrf_cookie = set_cookie(form.headers(), "pl_csrf").expect("a csrf cookie");
        let csrf_cookie = csrf_cookie.split(';').next().expect("pair").to_owned();
        let csrf = csrf_field(&form.text().await.expect("body"));
        let answer = self
            .client
            .post(self.url("/console/login"))
            .header("cookie", &csrf_cookie)
            .form(&[("token", token), ("csrf", &csrf), ("next", "/console")])
            .send()
            .await
            .expect("POST");
        assert_eq!(answer.status(), 303, "sign-in redirects");
        assert_eq!(answer.headers()[LOCATION], "/console");
        let session = set_cookie(answer.headers(), "pl_session").expect("a session cookie");
        assert!(
            session.contains("HttpOnly") && session.contains("SameSite=Lax"),
            "{session}"
        );
        session.split(';').next().expect("pair").to_owned()
    }
}
