//! What a request acts on, as the policy sees it, and the policy's answer.

use domain::{AgencyCode, CaseId, CaseState};

/// The agencies of one case, as the policy sees them. Unset agencies fall back to the current one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseAgencies {
    pub case_id: CaseId,
    pub receiving: AgencyCode,
    pub current: AgencyCode,
    pub competent: AgencyCode,
    /// Where a forwarded petition is on its way to (else the current agency).
    pub destination: AgencyCode,
}

impl CaseAgencies {
    /// The agencies of a folded case; `None` for a case never received.
    pub fn of(case_id: CaseId, state: &CaseState) -> Option<Self> {
        let current = state
            .current_agency
            .clone()
            .or_else(|| state.receiving_agency.clone())?;
        Some(Self {
            case_id,
            receiving: state
                .receiving_agency
                .clone()
                .unwrap_or_else(|| current.clone()),
            competent: state
                .competent_agency
                .clone()
                .unwrap_or_else(|| current.clone()),
            destination: state
                .forwarded_to
                .clone()
                .unwrap_or_else(|| current.clone()),
            current,
        })
    }

    /// A case entirely at one agency: what a principal "could" act on, used when the real case is unknown.
    pub fn all_at(case_id: CaseId, agency: AgencyCode) -> Self {
        Self {
            case_id,
            receiving: agency.clone(),
            current: agency.clone(),
            competent: agency.clone(),
            destination: agency,
        }
    }
}

/// What a request acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// One case.
    Case(CaseAgencies),
    /// An agency: where a petition is received, or which agency a read model is filtered on
    /// (`None`: unfiltered, the whole state).
    Agency(Option<AgencyCode>),
}

/// The policy's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The ids of the policies that permitted the request (empty when denied).
    pub reasons: Vec<String>,
}

/// Whether the tracking codes of a read model's answer may be shown to the caller (`read-tracking-codes`),
/// set by the authorization layer on the case list and the watchlist. Read models show `null` codes, and
/// refuse a filter by code, when it says no; when it is absent (a router without the layer) they show them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CodeVisibility {
    pub visible: bool,
}
