//! The OpenAPI 3 document, generated from the handlers and the domain's command types.
//!
//! Lifecycle commands share one handler (`POST /api/v1/petitions/{id}/{action}`), so their paths are
//! added programmatically from [`LIFECYCLE_ACTIONS`], each with its own request schema.

use axum::routing::get;
use axum::{Json, Router};
use utoipa::openapi::path::{HttpMethod, OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, Ref, Required, ResponseBuilder};
use utoipa::{Modify, OpenApi};

/// Every lifecycle action: URL segment, request schema name, and a one-line summary.
pub const LIFECYCLE_ACTIONS: &[(&str, &str, &str)] = &[
    (
        "classify",
        "Classify",
        "Classify the petition and decide competence",
    ),
    ("forward", "Forward", "Forward to the competent agency"),
    (
        "receive-forwarded",
        "ReceiveForwarded",
        "Record arrival at the competent agency (the clock restarts)",
    ),
    (
        "guide",
        "Guide",
        "Guide the petitioner to the competent agency (once per content)",
    ),
    (
        "file",
        "FileWithoutProcessing",
        "File without processing (ineligible, duplicate)",
    ),
    ("accept", "Accept", "Accept for resolution (thụ lý)"),
    (
        "refuse",
        "Refuse",
        "Refuse to accept, with a legal ground (không thụ lý)",
    ),
    (
        "start-verification",
        "StartVerification",
        "Start verification (xác minh)",
    ),
    (
        "record-finding",
        "RecordFinding",
        "Record a verification finding",
    ),
    (
        "hold-dialogue",
        "HoldDialogue",
        "Record a dialogue with the petitioner (đối thoại)",
    ),
    (
        "extend",
        "Extend",
        "Extend the resolution period (complex cases)",
    ),
    ("suspend", "Suspend", "Suspend resolution (tạm đình chỉ)"),
    ("resume", "Resume", "Resume resolution"),
    (
        "issue-decision",
        "IssueDecision",
        "Issue the decision or conclusion",
    ),
    (
        "lodge-appeal",
        "LodgeAppeal",
        "Lodge a 2nd-instance complaint",
    ),
    (
        "lodge-re-denunciation",
        "LodgeReDenunciation",
        "Lodge a re-denunciation (tố cáo tiếp)",
    ),
    (
        "note-lawsuit",
        "NoteLawsuit",
        "Note that the petitioner went to court",
    ),
    ("withdraw", "Withdraw", "Record the petitioner's withdrawal"),
    ("terminate", "Terminate", "Terminate resolution (đình chỉ)"),
    (
        "record-decision-effect",
        "RecordDecisionEffect",
        "Record that the decision took legal effect",
    ),
    (
        "record-execution",
        "RecordExecution",
        "Record execution of the decision",
    ),
    (
        "record-notice-sent",
        "RecordNoticeSent",
        "Record that a statutory notice was sent (reply, acceptance notice, decision)",
    ),
    (
        "record-publication",
        "RecordPublication",
        "Record that a denunciation conclusion was published (LTC art. 40)",
    ),
    ("close", "Close", "Close the case"),
    (
        "record-deadline-missed",
        "RecordDeadlineMissed",
        "Record that a deadline passed with the step undone",
    ),
    (
        "correct-deadline",
        "CorrectDeadline",
        "Move an open deadline computed with superseded rule or calendar data",
    ),
];

#[derive(OpenApi)]
#[openapi(
    info(title = "petition-ledger command API", description = "Records every step of a citizen's petition as an append-only, hash-chained event."),
    paths(
        super::petitions::receive,
        super::petitions::get_case,
        super::petitions::get_events,
        super::personal_data::reveal_denouncer,
        super::personal_data::personal_data_audit,
        super::health::live,
        super::health::ready,
    ),
    components(schemas(
        super::error::Problem,
        super::views::CommandResponse,
        super::views::EventView,
        super::views::CaseView,
        super::views::DeadlineView,
        super::personal_data::RevealBody,
        super::personal_data::RevealView,
        super::personal_data::AuditView,
        crate::privacy::audit::AuditEntry,
        domain::Classify, domain::Forward, domain::ReceiveForwarded, domain::Guide, domain::FileWithoutProcessing,
        domain::Accept, domain::Refuse, domain::StartVerification, domain::RecordFinding, domain::HoldDialogue,
        domain::Extend, domain::Suspend, domain::Resume, domain::IssueDecision, domain::LodgeAppeal,
        domain::LodgeReDenunciation, domain::NoteLawsuit, domain::Withdraw, domain::Terminate,
        domain::RecordDecisionEffect, domain::RecordExecution, domain::RecordPublication, domain::Close, domain::RecordDeadlineMissed, domain::CorrectDeadline,
        domain::RecordNoticeSent,
    )),
    modifiers(&LifecycleActions, &BearerAuth),
    tags((name = "petitions", description = "Petition lifecycle"), (name = "personal data", description = "Audited reveals of protected identities and the personal-data audit"), (name = "operations", description = "Health and readiness"))
)]
#[derive(Debug)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

struct LifecycleActions;

impl Modify for LifecycleActions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for (action, schema, summary) in LIFECYCLE_ACTIONS {
            let json = |r: Ref| ContentBuilder::new().schema(Some(r)).build();
            let operation = OperationBuilder::new()
                .tag("petitions")
                .operation_id(Some(format!("petition_{}", action.replace('-', "_"))))
                .summary(Some(*summary))
                .parameter(
                    ParameterBuilder::new()
                        .name("id")
                        .parameter_in(ParameterIn::Path)
                        .required(Required::True)
                        .description(Some("Case id"))
                        .schema(Some(string_schema(Some(KnownFormat::Uuid)))),
                )
                .parameter(header_param(
                    "If-Match",
                    "The case version you saw; a stale version answers 412",
                ))
                .parameter(header_param(
                    "Idempotency-Key",
                    "Retrying with the same key never records the step twice",
                ))
                .parameter(header_param(
                    "X-Correlation-Id",
                    "Flows into event metadata; generated when absent",
                ))
                .parameter(
                    ParameterBuilder::new()
                        .name("occurred_on")
                        .parameter_in(ParameterIn::Query)
                        .required(Required::False)
                        .description(Some(
                            "Local date the step happened, when recorded after the fact",
                        ))
                        .schema(Some(string_schema(Some(KnownFormat::Date)))),
                )
                .request_body(Some(
                    RequestBodyBuilder::new()
                        .required(Some(Required::True))
                        .content("application/json", json(Ref::from_schema_name(*schema)))
                        .build(),
                ))
                .response(
                    "200",
                    ResponseBuilder::new().description("Recorded").content(
                        "application/json",
                        json(Ref::from_schema_name("CommandResponse")),
                    ),
                )
                .response("400", problem("Malformed body or header"))
                .response("404", problem("No such case"))
                .response("412", problem("Stale If-Match version"))
                .response(
                    "422",
                    problem("Refused by a rule of law (the problem names it)"),
                )
                .response(
                    "503",
                    problem("The event store is unavailable; nothing was recorded"),
                )
                .security(SecurityRequirement::new("bearer", Vec::<String>::new()));
            openapi.paths.add_path_operation(
                format!("/api/v1/petitions/{{id}}/{action}"),
                vec![HttpMethod::Post],
                operation,
            );
        }
    }
}

fn header_param(name: &str, description: &str) -> ParameterBuilder {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(description))
        .schema(Some(string_schema(None)))
}

/// A string schema, with a format when it has one.
fn string_schema(format: Option<KnownFormat>) -> ObjectBuilder {
    let schema = ObjectBuilder::new().schema_type(Type::String);
    match format {
        Some(f) => schema.format(Some(SchemaFormat::KnownFormat(f))),
        None => schema,
    }
}

fn problem(description: &str) -> ResponseBuilder {
    ResponseBuilder::new().description(description).content(
        "application/problem+json",
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build(),
    )
}

/// The document: the command API's own paths plus any `extra` ones (the read models), with the answers
/// and bounds the edge enforces on every operation stated (see [`super::contract`]).
pub fn document(extra: Option<utoipa::openapi::OpenApi>) -> utoipa::openapi::OpenApi {
    document_for(extra, &[])
}

/// [`document`] for a server whose holiday calendars cover `calendar_years`: a step may only be dated
/// in one of them (422 `calendar-year-missing` otherwise), and `occurred_on` says so. Empty: unstated.
pub fn document_for(
    extra: Option<utoipa::openapi::OpenApi>,
    calendar_years: &[i32],
) -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    if let Some(extra) = extra {
        doc.merge(extra);
    }
    let mut doc = super::contract::apply(doc, calendar_years);
    super::authorize::document_refusals(&mut doc);
    doc
}

pub fn router(extra: Option<utoipa::openapi::OpenApi>) -> Router {
    router_for(extra, &[])
}

/// The route serving [`document_for`].
pub fn router_for(extra: Option<utoipa::openapi::OpenApi>, calendar_years: &[i32]) -> Router {
    let doc = std::sync::Arc::new(document_for(extra, calendar_years));
    Router::new().route(
        "/api/v1/openapi.json",
        get(move || std::future::ready(Json(doc.as_ref().clone()))),
    )
}
