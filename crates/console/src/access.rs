//! What the signed-in user may see, decided by the API's own Cedar policy (`command::access`): every page
//! asks [`Gate`] instead of carrying a role check of its own.
//!
//! Collections (watchlist, statistics, case lists) are filtered row by row: a row is shown only when the
//! policy lets the principal read that case (`read-case`, `read-timeline`) or that agency's statistics
//! (`read-stats`). Decisions are memoised per agency combination for one request, so a page of thousands of
//! rows costs as many policy evaluations as there are distinct agencies.

use std::collections::HashMap;
use std::sync::Mutex;

use command::access::{AccessPolicy, CaseAgencies, Principal, Resource, Role, Scope};
use domain::{AgencyCode, CaseId};

/// One request's view of the policy for one principal.
pub struct Gate<'a> {
    policy: &'a AccessPolicy,
    principal: &'a Principal,
    memo: Mutex<HashMap<(String, String, String, String), bool>>,
}

impl<'a> Gate<'a> {
    pub fn new(policy: &'a AccessPolicy, principal: &'a Principal) -> Self {
        Self {
            policy,
            principal,
            memo: Mutex::new(HashMap::new()),
        }
    }

    /// May the principal do `action` on the agency `code` (`None`: the whole state)?
    pub fn agency(&self, action: &str, code: Option<&str>) -> bool {
        let parsed = match code.map(AgencyCode::parse).transpose() {
            Ok(p) => p,
            Err(_) => return false,
        };
        self.memoised(action, code.unwrap_or("*"), "", "", || {
            self.policy
                .decide(self.principal, action, &Resource::Agency(parsed.clone()))
                .allowed
        })
    }

    /// May the principal do `action` on a case at these agencies? Missing agencies fall back to the
    /// current one, as [`CaseAgencies::of`] does; a case at no agency is refused.
    pub fn case(
        &self,
        action: &str,
        current: Option<&str>,
        competent: Option<&str>,
        receiving: Option<&str>,
    ) -> bool {
        let Some(current) = current.or(competent).or(receiving) else {
            return false;
        };
        let competent = competent.unwrap_or(current);
        let receiving = receiving.unwrap_or(current);
        self.memoised(action, current, competent, receiving, || {
            let parse = AgencyCode::parse;
            let (Ok(cur), Ok(comp), Ok(recv)) =
                (parse(current), parse(competent), parse(receiving))
            else {
                return false;
            };
            let agencies = CaseAgencies {
                case_id: CaseId::from(uuid::Uuid::nil()),
                receiving: recv,
                destination: cur.clone(),
                current: cur,
                competent: comp,
            };
            self.policy
                .decide(self.principal, action, &Resource::Case(agencies))
                .allowed
        })
    }

    fn memoised(
        &self,
        action: &str,
        a: &str,
        b: &str,
        c: &str,
        decide: impl FnOnce() -> bool,
    ) -> bool {
        let key = (action.to_owned(), a.to_owned(), b.to_owned(), c.to_owned());
        let memo = || self.memo.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(v) = memo().get(&key) {
            return *v;
        }
        let v = decide();
        memo().insert(key, v);
        v
    }
}

/// The agency a principal's scope names (`None` for the whole state or no agency at all).
pub fn own_agency(principal: &Principal) -> Option<String> {
    match &principal.scope {
        Scope::Agency(code) => Some(code.to_string()),
        Scope::All | Scope::Nowhere => None,
    }
}

/// Whether the principal may see personal data (a petition's subject and content, the petitioners): every
/// role that works cases may; a principal who is only an auditor reads histories without it.
pub fn sees_personal_data(principal: &Principal) -> bool {
    principal.roles.iter().any(|r| *r != Role::Auditor)
}
