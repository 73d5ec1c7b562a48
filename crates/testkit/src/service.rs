//! Recording commands through the real command service (decide, clocks, agency checks, the store's append),
//! instead of appending hand-made events: what a test records is what production would.

use std::sync::Arc;

use chrono::{Datelike, NaiveDate};
use command::{CaseService, CommandOutcome, CommandRequest, RequestMeta, ServiceError};
use domain::{CaseId, Command};
use uuid::Uuid;

/// The command service over `store` with the shipped rulebook, holidays and agency directory, on the system clock.
pub fn case_service(store: Arc<dyn store::EventStore>) -> CaseService {
    CaseService::new(
        store,
        Arc::new(clock::Clocks::new(
            clock::Rulebook::embedded(),
            clock::HolidayCalendar::embedded(),
        )),
        Arc::new(domain::StaticAgencyDirectory::embedded()),
        Arc::new(command::SystemTime),
    )
}

/// Runs the command of `action` (the HTTP action name: `receive`, `classify`, `accept`, …) with the HTTP
/// body `body` on `case`, as `actor`, on the step date `on`.
pub async fn run(
    service: &CaseService,
    case: CaseId,
    action: &str,
    body: serde_json::Value,
    on: NaiveDate,
) -> Result<CommandOutcome, ServiceError> {
    let command = Command::from_action(action, body)
        .unwrap_or_else(|e| panic!("`{action}` is not a valid command body: {e:?}"));
    service
        .execute(CommandRequest {
            case_id: case,
            command,
            expected_version: None,
            step_date: Some(on),
            meta: RequestMeta {
                retryable: true,
                command_id: Uuid::new_v4(),
                fingerprint: None,
                actor: "testkit-officer".into(),
                correlation_id: Uuid::new_v4(),
                causation_id: None,
            },
        })
        .await
}

/// Receives a feedback petition at `agency` on `on`; returns the new case's id.
pub async fn receive_feedback(service: &CaseService, agency: &str, on: NaiveDate) -> CaseId {
    let case = CaseId::from_uuid(Uuid::now_v7());
    let random: [u8; 8] = Uuid::new_v4().as_bytes()[..8].try_into().unwrap_or([7; 8]);
    let code = domain::TrackingCode::generate(domain::PetitionKind::Feedback, on.year(), random);
    run(
        service,
        case,
        "receive",
        serde_json::json!({
            "kind": "feedback", "channel": "online", "receiving_agency": agency,
            "subject": "Street lights", "content": "The street lights are broken.", "signatory_count": 1,
            "tracking_code": code.to_string(),
        }),
        on,
    )
    .await
    .unwrap_or_else(|e| panic!("receiving a feedback petition: {e}"));
    case
}
