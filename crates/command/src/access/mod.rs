//! Authorization as data: the Cedar policy in `rules/access/policy.cedar`, validated against
//! `rules/access/schema.cedarschema` when loaded, decides every request; no handler carries an `if` on roles.
//!
//! The policy sees the principal (roles as parents, its agency and jurisdiction), the action (a command's
//! action name or a read such as `read-events`) and the resource: a case with its agencies, or the agency a
//! collection is read for. Agencies are entities whose hierarchy comes from the agency directory
//! (see [`graph`]). ADR 0009 says why Cedar.

mod graph;
pub mod principal;
mod resource;
#[cfg(test)]
mod tests;

use std::collections::HashSet;
use std::str::FromStr;
use std::sync::Arc;

use cedar_policy::{
    Authorizer, Context, Entities, Entity, EntityUid, PolicySet, Request, RestrictedExpression,
    Schema, ValidationMode, Validator,
};
use domain::{AgencyCode, AgencyDirectory};

pub use principal::{Credential, Principal, Role, Scope, UnknownRole};
pub use resource::{CaseAgencies, CodeVisibility, Decision, Resource};

const EMBEDDED_POLICY: &str = include_str!("../../../../rules/access/policy.cedar");
const EMBEDDED_SCHEMA: &str = include_str!("../../../../rules/access/schema.cedarschema");

/// Why a policy could not be loaded. The server refuses to start with any of these.
#[derive(Debug, thiserror::Error)]
pub enum AccessPolicyError {
    #[error("cannot read `{path}`: {message}")]
    Io { path: String, message: String },
    #[error("the access schema does not parse: {0}")]
    Schema(String),
    #[error("the access policy does not parse: {0}")]
    Policy(String),
    /// The policy parses but does not type-check against the schema (a misspelt role, action or attribute).
    #[error("the access policy does not validate against the schema: {0}")]
    Invalid(String),
}

/// The loaded and validated policy. Cheap to clone.
#[derive(Clone)]
pub struct AccessPolicy {
    inner: Arc<Inner>,
}

struct Inner {
    schema: Schema,
    policies: PolicySet,
    agencies: Arc<dyn AgencyDirectory>,
    authorizer: Authorizer,
}

impl std::fmt::Debug for AccessPolicy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AccessPolicy")
            .field("policies", &self.inner.policies.policies().count())
            .finish_non_exhaustive()
    }
}

impl AccessPolicy {
    /// The shipped policy and schema (`rules/access/`).
    pub fn embedded(agencies: Arc<dyn AgencyDirectory>) -> Result<Self, AccessPolicyError> {
        Self::from_sources(EMBEDDED_POLICY, EMBEDDED_SCHEMA, agencies)
    }

    /// An operator's policy file, validated against the shipped schema (the schema is the contract with
    /// this code: it names the actions and attributes the server provides).
    pub fn load(
        policy_path: &std::path::Path,
        agencies: Arc<dyn AgencyDirectory>,
    ) -> Result<Self, AccessPolicyError> {
        let policy = std::fs::read_to_string(policy_path).map_err(|e| AccessPolicyError::Io {
            path: policy_path.display().to_string(),
            message: e.to_string(),
        })?;
        Self::from_sources(&policy, EMBEDDED_SCHEMA, agencies)
    }

    /// Parses the schema and the policy and validates the policy strictly against the schema.
    pub fn from_sources(
        policy: &str,
        schema: &str,
        agencies: Arc<dyn AgencyDirectory>,
    ) -> Result<Self, AccessPolicyError> {
        let (schema, warnings) = Schema::from_cedarschema_str(schema)
            .map_err(|e| AccessPolicyError::Schema(format!("{e:?}")))?;
        for w in warnings {
            tracing::warn!(warning = %w, "access schema");
        }
        let policies =
            PolicySet::from_str(policy).map_err(|e| AccessPolicyError::Policy(format!("{e:?}")))?;
        let result = Validator::new(schema.clone()).validate(&policies, ValidationMode::Strict);
        if !result.validation_passed() {
            let errors: Vec<String> = result.validation_errors().map(|e| format!("{e}")).collect();
            return Err(AccessPolicyError::Invalid(errors.join("; ")));
        }
        for w in result.validation_warnings() {
            tracing::warn!(warning = %w, "access policy");
        }
        Ok(Self {
            inner: Arc::new(Inner {
                schema,
                policies,
                agencies,
                authorizer: Authorizer::new(),
            }),
        })
    }

    /// Every action the schema declares that a request can name (groups excluded), sorted.
    pub fn actions(&self) -> Vec<String> {
        let mut actions: Vec<String> = self
            .inner
            .schema
            .actions()
            .map(|a| a.id().unescaped().to_owned())
            .filter(|a| !a.ends_with("-step") && !a.ends_with("-read"))
            .collect();
        actions.sort();
        actions
    }

    /// May `principal` do `action` on `resource`? Any error (an unknown action, a resource of the wrong
    /// type) denies, and is logged.
    pub fn decide(&self, principal: &Principal, action: &str, resource: &Resource) -> Decision {
        match self.evaluate(principal, action, resource) {
            Ok(decision) => decision,
            Err(e) => {
                tracing::warn!(error = %e, action, "authorization request could not be evaluated; denied");
                Decision {
                    allowed: false,
                    reasons: Vec::new(),
                }
            }
        }
    }

    fn evaluate(
        &self,
        principal: &Principal,
        action: &str,
        resource: &Resource,
    ) -> Result<Decision, String> {
        let inner = &*self.inner;
        let mut graph = graph::AgencyGraph::new(inner.agencies.as_ref());
        let (principal_agency, principal_jurisdiction) = match &principal.scope {
            Scope::All => (graph::ALL.to_owned(), graph::ALL.to_owned()),
            Scope::Agency(code) => (code.to_string(), code.to_string()),
            Scope::Nowhere => (graph::NOWHERE.to_owned(), graph::NOWHERE.to_owned()),
        };
        let agency_uid = graph.agency(&principal_agency);
        let jurisdiction_uid = graph.jurisdiction(&principal_jurisdiction);
        let principal_uid = uid("User", &principal.actor)?;
        let roles: HashSet<EntityUid> = principal
            .roles
            .iter()
            .map(|r| uid("Role", r.as_str()))
            .collect::<Result<_, _>>()?;
        let mut entities = vec![
            Entity::new(
                principal_uid.clone(),
                [
                    (
                        "agency".to_owned(),
                        RestrictedExpression::new_entity_uid(agency_uid),
                    ),
                    (
                        "jurisdiction".to_owned(),
                        RestrictedExpression::new_entity_uid(jurisdiction_uid),
                    ),
                ]
                .into(),
                roles,
            )
            .map_err(|e| e.to_string())?,
        ];
        let resource_uid = match resource {
            Resource::Agency(code) => {
                graph.agency(code.as_ref().map_or(graph::ALL, |c| c.as_str()))
            }
            Resource::Case(case) => {
                let case_uid = uid("Case", &case.case_id.to_string())?;
                let attr = |graph: &mut graph::AgencyGraph, name: &str, code: &AgencyCode| {
                    (
                        name.to_owned(),
                        RestrictedExpression::new_entity_uid(graph.agency(code.as_str())),
                    )
                };
                let attrs = [
                    attr(&mut graph, "receiving", &case.receiving),
                    attr(&mut graph, "current", &case.current),
                    attr(&mut graph, "competent", &case.competent),
                    attr(&mut graph, "destination", &case.destination),
                ]
                .into();
                entities.push(
                    Entity::new(case_uid.clone(), attrs, HashSet::new())
                        .map_err(|e| e.to_string())?,
                );
                case_uid
            }
        };
        entities.extend(graph.into_entities());
        let entities =
            Entities::from_entities(entities, Some(&inner.schema)).map_err(|e| e.to_string())?;
        let request = Request::new(
            principal_uid,
            uid("Action", action)?,
            resource_uid,
            Context::empty(),
            Some(&inner.schema),
        )
        .map_err(|e| e.to_string())?;
        let response = inner
            .authorizer
            .is_authorized(&request, &inner.policies, &entities);
        for e in response.diagnostics().errors() {
            tracing::warn!(error = %e, action, "a policy failed to evaluate");
        }
        let allowed = response.decision() == cedar_policy::Decision::Allow;
        Ok(Decision {
            allowed,
            reasons: if allowed {
                response
                    .diagnostics()
                    .reason()
                    .map(|id| id.to_string())
                    .collect()
            } else {
                Vec::new()
            },
        })
    }
}

/// `Type::"id"` with any id (ids are quoted, so codes and actor names need no escaping).
fn uid(type_name: &str, id: &str) -> Result<EntityUid, String> {
    let name = cedar_policy::EntityTypeName::from_str(type_name).map_err(|e| e.to_string())?;
    Ok(EntityUid::from_type_name_and_id(
        name,
        cedar_policy::EntityId::new(id),
    ))
}
