//! What an event means for whom: the template it calls for, the facts the template may show, and the
//! recipients, with the confidentiality rules applied here and only here.
//!
//! Confidentiality (LTC art. 47): a denunciation's messages go to the denouncers only, each alone; alerts
//! to agencies and inspectorates carry case facts and never a petitioner's name or contact. A group
//! petition (5+ signatories) is told through its representatives only.

use domain::{
    AgencyCode, AgencyDirectory, CaseState, DeadlineKey, Event, Lang, Person, PetitionKind,
};
use serde_json::{Map, Value, json};

/// The template a petitioner-facing event calls for; `None` for steps petitioners are not told about.
pub fn petitioner_template(event: &Event) -> Option<&'static str> {
    Some(match event {
        Event::PetitionReceived(_) => "received",
        Event::PetitionAccepted(_) => "accepted",
        Event::AcceptanceRefused(_) => "refused",
        Event::PetitionForwarded(_) => "forwarded",
        Event::PetitionGuided(_) => "guided",
        Event::DeadlineExtended(_) => "extended",
        Event::CaseSuspended(_) => "suspended",
        Event::CaseResumed(_) => "resumed",
        Event::DecisionIssued(_) => "decision_issued",
        Event::DecisionTookEffect(_) => "took_effect",
        Event::CaseClosed(_) => "closed",
        _ => return None,
    })
}

/// Who is told, named without personal data so the key can be logged and audited.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    /// The `i`-th signatory of the case (an index into the personal part of `petition.received`).
    Signatory(usize),
    /// The portal, through the webhook.
    Portal,
    /// An agency or inspectorate mailbox from the settings (not personal data).
    Agency(String),
}

impl Recipient {
    pub fn key(&self) -> String {
        match self {
            Self::Signatory(i) => format!("signatory:{i}"),
            Self::Portal => "portal".to_owned(),
            Self::Agency(email) => format!("agency:{email}"),
        }
    }

    pub fn parse(key: &str) -> Option<Self> {
        if key == "portal" {
            return Some(Self::Portal);
        }
        if let Some(i) = key.strip_prefix("signatory:") {
            return i.parse().ok().map(Self::Signatory);
        }
        key.strip_prefix("agency:")
            .map(|e| Self::Agency(e.to_owned()))
    }
}

/// The petitioners to tell, by signatory index: the representatives of a group, otherwise every signatory
/// (for a denunciation, every denouncer, each in a message of their own). Empty once erased.
pub fn petitioners_to_tell(state: &CaseState) -> Vec<(usize, &Person)> {
    let Some(p) = state.petitioners() else {
        return Vec::new();
    };
    if state.is_group && !p.representatives.is_empty() {
        p.representatives
            .iter()
            .filter_map(|&i| p.signatories.get(i).map(|person| (i, person)))
            .collect()
    } else {
        p.signatories.iter().enumerate().collect()
    }
}

/// The person behind a signatory key, only if the confidentiality rule lets them be told.
pub fn signatory(state: &CaseState, index: usize) -> Option<&Person> {
    petitioners_to_tell(state)
        .into_iter()
        .find(|(i, _)| *i == index)
        .map(|(_, p)| p)
}

pub fn language_of(person: &Person) -> Lang {
    person.preferred_language.unwrap_or(Lang::Vi)
}

fn agency_name(directory: &dyn AgencyDirectory, code: Option<&AgencyCode>) -> String {
    match code {
        Some(code) => directory
            .get(code)
            .map_or_else(|| code.to_string(), |a| a.name.clone()),
        None => String::new(),
    }
}

/// The due date of a deadline this step started, as an ISO string.
fn started(event: &Event, key: DeadlineKey) -> Value {
    event
        .deadlines()
        .started
        .get(&key)
        .map_or(Value::Null, |d| Value::String(d.due.to_string()))
}

/// The facts a template may show. Nothing here is personal: names and contacts never enter a template.
pub fn context(
    event: &Event,
    state: &CaseState,
    directory: &dyn AgencyDirectory,
    portal_url: &str,
) -> Value {
    let tracking = state
        .tracking_code
        .as_ref()
        .map(|t| t.to_string())
        .unwrap_or_default();
    let portal = portal_url.trim_end_matches('/');
    let agency = state.current_agency.as_ref();
    let mut ctx = json!({
        "tracking_code": tracking,
        "kind": state.kind.unwrap_or(PetitionKind::Complaint).as_str(),
        "portal_url": portal,
        "lookup_url": format!("{portal}/tra-cuu/{tracking}"),
        "occurred_on": event.occurred_on().to_string(),
        "event_type": event.event_type(),
        "agency": agency.map(ToString::to_string).unwrap_or_default(),
        "agency_name": agency_name(directory, agency),
        "identity_protected": state.identity_protected,
        "is_group": state.is_group,
        "instance": match state.instance { domain::Instance::First => "first", domain::Instance::Second => "second" },
    });
    let extra: Map<String, Value> = match event {
        Event::PetitionReceived(e) => {
            let mut m = Map::new();
            m.insert(
                "agency_name".into(),
                agency_name(directory, Some(&e.receiving_agency)).into(),
            );
            m
        }
        Event::PetitionAccepted(e) => obj(json!({
            "agency_name": agency_name(directory, Some(&e.agency)),
            "decision_due": started(event, DeadlineKey::Decision),
        })),
        Event::AcceptanceRefused(e) => obj(json!({
            "agency_name": agency_name(directory, Some(&e.agency)),
            "legal_ground": e.legal_ground.to_string(),
        })),
        Event::PetitionForwarded(e) => obj(json!({
            "agency_name": agency_name(directory, Some(&e.from_agency)),
            "to_agency": e.to_agency.to_string(),
            "to_agency_name": agency_name(directory, Some(&e.to_agency)),
        })),
        Event::PetitionGuided(e) => obj(json!({ "guidance": e.guidance.to_string() })),
        Event::DeadlineExtended(e) => obj(json!({
            "reason": e.reason.to_string(),
            "deadline": e.deadline.as_str(),
            "new_due": started(event, e.deadline),
        })),
        Event::CaseSuspended(e) => obj(json!({ "reason": e.reason.to_string() })),
        Event::CaseResumed(e) => obj(json!({
            "reason": e.reason.to_string(),
            "new_due": started(event, DeadlineKey::Decision),
        })),
        Event::DecisionIssued(e) => obj(json!({
            "agency_name": agency_name(directory, Some(&e.agency)),
            "outcome": serde_json::to_value(e.outcome).unwrap_or(Value::Null),
            "decision_number": e.decision_number,
            "instance": match e.instance { domain::Instance::First => "first", domain::Instance::Second => "second" },
            "appeal_due": started(event, DeadlineKey::AppealWindow),
            "effect_due": started(event, DeadlineKey::TakeEffect),
        })),
        Event::DeadlineMissed(e) => obj(json!({
            "deadline": e.deadline.as_str(),
            "due": e.due.to_string(),
        })),
        _ => Map::new(),
    };
    if let Some(map) = ctx.as_object_mut() {
        map.extend(extra);
    }
    ctx
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// The mailboxes alerted when a deadline of a case held by `agency` is missed: the agency's own and its
/// supervising inspectorate's (from the directory), else the fallback. Sorted and deduplicated.
pub fn alert_mailboxes(
    settings: &crate::InspectorateSettings,
    directory: &dyn AgencyDirectory,
    agency: Option<&AgencyCode>,
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    if let Some(agency) = agency {
        let inspectorate = directory.get(agency).and_then(|a| a.inspectorate.clone());
        for code in std::iter::once(agency.clone()).chain(inspectorate) {
            // Route keys are typed by operators: match them as agency codes are parsed, case-insensitively.
            for (_, list) in settings
                .routes
                .iter()
                .filter(|(k, _)| k.trim().eq_ignore_ascii_case(code.as_str()))
            {
                out.extend(list.iter().cloned());
            }
        }
    }
    if out.is_empty() {
        out.extend(settings.fallback.iter().cloned());
    }
    out.sort();
    out.dedup();
    out
}
