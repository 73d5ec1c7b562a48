//! The case loader against the embedded SQLite store, with events decided by the real domain.

use std::time::Duration;

use domain::{
    AgencyCode, Channel, Classify, Clocks, Command, ComplexityCriteria, DecideContext, FullName,
    Person, PetitionKind, Petitioners, Receive, StaticAgencyDirectory, Status, Subject, Text,
    TrackingCode,
};
use serde_json::json;
use store::{CommandMeta, ExpectedVersion, NewEvent, sqlite::SqliteStore};

use super::*;

fn meta() -> CommandMeta {
    CommandMeta {
        command_id: Uuid::now_v7(),
        fingerprint: None,
        actor: "test".into(),
        correlation_id: Uuid::now_v7(),
        causation_id: None,
        rulebook_version: None,
    }
}

fn receive() -> Command {
    Command::Receive(Receive {
        kind: PetitionKind::Complaint,
        channel: Channel::InPerson,
        receiving_agency: AgencyCode::parse("UBND-HN").expect("agency"),
        subject: Subject::parse("Land recovery compensation").expect("subject"),
        content: Text::parse("The compensation is below the land price table.").expect("text"),
        petitioners: Petitioners {
            signatories: vec![Person {
                full_name: FullName::parse("Nguyễn Văn An").expect("name"),
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
        decision_date_learned: None,
        contested: Default::default(),
        limitation_obstacles: Vec::new(),
        tracking_code: TrackingCode::generate(
            PetitionKind::Complaint,
            2026,
            [1, 2, 3, 4, 5, 6, 7, 8],
        ),
        referrer: None,
    })
}

fn classify() -> Command {
    Command::Classify(Classify {
        kind: None,
        within_competence: true,
        competent_agency: None,
        complexity: ComplexityCriteria::default(),
    })
}

/// Decides `command` on the stored case and appends what the domain returns, as the command service does.
async fn record(store: &SqliteStore, case_id: CaseId, command: Command) -> Vec<RecordedEvent> {
    let before = load(store, case_id, Horizon::Now, Personal::Include)
        .await
        .expect("load")
        .map(|l| l.state)
        .unwrap_or_default();
    let clocks = Clocks::embedded();
    let agencies = StaticAgencyDirectory::embedded();
    let on = chrono::NaiveDate::from_ymd_opt(2026, 7, 1).expect("date");
    let ctx = DecideContext {
        case_id,
        step_date: on,
        today: on,
        clocks: &clocks,
        agencies: &agencies,
        related: None,
    };
    let events = domain::decide(&before, &command, &ctx).expect("decided");
    let expected = match before.version {
        0 => ExpectedVersion::NoStream,
        v => ExpectedVersion::Exact(v),
    };
    let new = events
        .iter()
        .map(|e| {
            let stored = e.to_stored();
            NewEvent {
                event_id: Uuid::now_v7(),
                event_type: stored.event_type.to_owned(),
                schema_version: stored.schema_version,
                payload: stored.payload,
                personal: stored.personal,
            }
        })
        .collect();
    store
        .append(&stream_of(case_id), expected, new, &meta())
        .await
        .expect("append")
        .events
}

#[tokio::test]
async fn a_case_loads_now_up_to_a_version_an_event_or_an_instant() {
    let store = SqliteStore::in_memory().await.expect("store");
    let case_id = CaseId::from_uuid(Uuid::now_v7());
    let received = record(&store, case_id, receive()).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let between = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    record(&store, case_id, classify()).await;

    let now = load(&store, case_id, Horizon::Now, Personal::Omit)
        .await
        .expect("load")
        .expect("exists");
    assert_eq!(now.state.version, 2);
    assert_eq!(now.state.status, Status::Classified);
    assert_eq!(now.recorded.len(), now.events.len());

    for horizon in [
        Horizon::Version(1),
        Horizon::Event(received[0].event_id),
        Horizon::AsOf(between),
    ] {
        let then = load(&store, case_id, horizon, Personal::Omit)
            .await
            .expect("load")
            .expect("exists");
        assert_eq!(then.state.version, 1, "{horizon:?}");
        assert_eq!(then.state.status, Status::Received, "{horizon:?}");
    }
    for horizon in [
        Horizon::Version(0),
        Horizon::Event(Uuid::now_v7()),
        Horizon::AsOf(between - chrono::TimeDelta::hours(1)),
    ] {
        let nothing = load(&store, case_id, horizon, Personal::Omit)
            .await
            .expect("load");
        assert!(nothing.is_none(), "{horizon:?}");
    }
    let unknown = load(
        &store,
        CaseId::from_uuid(Uuid::now_v7()),
        Horizon::Now,
        Personal::Omit,
    );
    assert!(unknown.await.expect("load").is_none());
}

#[tokio::test]
async fn the_personal_part_is_opened_only_when_asked() {
    let store = SqliteStore::in_memory().await.expect("store");
    let case_id = CaseId::from_uuid(Uuid::now_v7());
    record(&store, case_id, receive()).await;
    let with = load(&store, case_id, Horizon::Now, Personal::Include)
        .await
        .expect("load");
    let without = load(&store, case_id, Horizon::Now, Personal::Omit)
        .await
        .expect("load");
    assert!(with.expect("exists").state.petitioners().is_some());
    assert!(without.expect("exists").state.petitioners().is_none());
}

#[tokio::test]
async fn an_undecodable_event_is_named_not_skipped() {
    let store = SqliteStore::in_memory().await.expect("store");
    let case_id = CaseId::from_uuid(Uuid::now_v7());
    record(&store, case_id, receive()).await;
    let alien = NewEvent {
        event_id: Uuid::now_v7(),
        event_type: "petition.from_the_future".into(),
        schema_version: 1,
        payload: json!({"x": 1}),
        personal: None,
    };
    store
        .append(
            &stream_of(case_id),
            ExpectedVersion::Exact(1),
            vec![alien.clone()],
            &meta(),
        )
        .await
        .expect("append");
    let error = load(&store, case_id, Horizon::Now, Personal::Omit)
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, CaseError::Decode { event_id, version: 2, .. } if *event_id == alien.event_id),
        "{error}"
    );
    // Up to the version before it, the case still loads.
    let before = load(&store, case_id, Horizon::Version(1), Personal::Omit)
        .await
        .expect("load");
    assert_eq!(before.expect("exists").state.version, 1);
}

#[tokio::test]
async fn every_case_folds_as_of_an_instant() {
    let store = SqliteStore::in_memory().await.expect("store");
    let (a, b) = (
        CaseId::from_uuid(Uuid::now_v7()),
        CaseId::from_uuid(Uuid::now_v7()),
    );
    record(&store, a, receive()).await;
    tokio::time::sleep(Duration::from_millis(20)).await;
    let between = Utc::now();
    tokio::time::sleep(Duration::from_millis(20)).await;
    record(&store, a, classify()).await;
    record(&store, b, receive()).await;
    let folds: HashMap<CaseId, CaseState> = fold_all_as_of(&store, between).await.expect("fold");
    assert_eq!(folds.len(), 1);
    assert_eq!(folds.get(&a).map(|s| s.version), Some(1));
    let all: HashMap<CaseId, CaseState> = fold_all_as_of(&store, Utc::now()).await.expect("fold");
    assert_eq!(all.get(&a).map(|s| s.version), Some(2));
    assert_eq!(all.get(&b).map(|s| s.status), Some(Status::Received));
}

#[test]
fn case_streams_are_named_in_one_place() {
    let case_id = CaseId::from_uuid(Uuid::now_v7());
    let stream = stream_of(case_id);
    assert_eq!(stream.as_str(), format!("case-{}", Uuid::from(case_id)));
    assert_eq!(case_of(&stream), Some(case_id));
    for other in ["notifications-0190", "privacy-x", "case-not-a-uuid"] {
        assert_eq!(
            case_of(&StreamId::parse(other).expect("stream")),
            None,
            "{other}"
        );
    }
}
