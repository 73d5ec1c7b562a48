//! The command service: the one path by which a fact enters the store.
//!
//! For every command it checks idempotency, loads and folds the case, lets the pure domain decide, and
//! appends the resulting events with the version it read. Concurrent writers are detected by the store;
//! without an explicit expected version the service reloads and decides again a bounded number of times.

use std::sync::Arc;

use chrono::NaiveDate;
use domain::{AgencyDirectory, CaseId, CaseState, Command, DecideContext, DomainError, Event};
use feed::case::{self, CaseError, Horizon, Personal};
use store::{
    AppendOutcome, CommandMeta, EventStore, ExpectedVersion, NewEvent, RecordedEvent, StoreError,
    StreamId,
};
use tracing::instrument;
use uuid::Uuid;

use crate::http::extract::FingerprintKey;
use crate::time::{TimeSource, local_date};

/// How many times a command without `If-Match` is decided again after losing a race.
const MAX_ATTEMPTS: usize = 5;

/// Who sent a command and how it relates to other messages.
#[derive(Debug, Clone)]
pub struct RequestMeta {
    /// The idempotency key: retrying with the same id never records the same fact twice.
    pub command_id: Uuid,
    /// A digest of the request, so a reused key with another body is refused instead of silently ignored.
    pub fingerprint: Option<String>,
    /// True when `command_id` can repeat (derived from a client's idempotency key, or deterministic like the
    /// deadline watcher's); only then is the store asked for an earlier result before deciding. A fresh
    /// random id cannot have been recorded, so that lookup would be a wasted query on every command.
    pub retryable: bool,
    pub actor: String,
    pub correlation_id: Uuid,
    pub causation_id: Option<Uuid>,
}

/// A command addressed to one case.
#[derive(Debug, Clone)]
pub struct CommandRequest {
    pub case_id: CaseId,
    pub command: Command,
    /// The case version the caller saw (`If-Match`); `None` lets the service retry on a race.
    pub expected_version: Option<u64>,
    /// The date the step happened, when recorded after the fact (defaults to today in Vietnam).
    pub step_date: Option<NaiveDate>,
    pub meta: RequestMeta,
}

/// What a command did.
#[derive(Debug, Clone)]
pub struct CommandOutcome {
    pub case_id: CaseId,
    /// The case version after the command.
    pub version: u64,
    pub events: Vec<RecordedEvent>,
    /// True when this was a retry of a command already recorded: nothing new was appended.
    pub replayed: bool,
}

/// Why a command was not recorded.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// The law or the input refuses the command (4xx; the problem type is the domain error's code).
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// No case with this id (404).
    #[error("case {0} not found")]
    NotFound(CaseId),
    /// The caller's `If-Match` version is stale (412): reload the case and decide again.
    #[error("case {case_id} is at version {actual}, the request expected {expected}")]
    VersionMismatch {
        case_id: CaseId,
        expected: u64,
        actual: u64,
    },
    /// Other writers kept winning the race (409); retrying later is safe.
    #[error("case {0} is being changed concurrently; retry")]
    Contended(CaseId),
    /// A stored event could not be decoded: corruption or a missing upcaster (500).
    #[error("stored event {event_id} ({event_type} v{schema_version}) cannot be decoded: {reason}")]
    Decode {
        event_id: Uuid,
        event_type: String,
        schema_version: u16,
        reason: String,
    },
    /// The store failed (503 when unavailable, 422 for a reused idempotency key, else 500).
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<CaseError> for ServiceError {
    fn from(e: CaseError) -> Self {
        match e {
            CaseError::Store(e) => ServiceError::Store(e),
            CaseError::Decode {
                event_id,
                event_type,
                schema_version,
                reason,
                ..
            } => ServiceError::Decode {
                event_id,
                event_type,
                schema_version,
                reason,
            },
        }
    }
}

/// Reads and folds a case through [`feed::case`], personal part included; `None` for a case without
/// events (within `horizon`).
pub(crate) async fn load_case(
    store: &dyn EventStore,
    case_id: CaseId,
    horizon: Horizon,
) -> Result<Option<case::Loaded>, ServiceError> {
    Ok(case::load(store, case_id, horizon, Personal::Include).await?)
}

/// Loads, decides and appends. Cheap to clone; shared by every request handler.
#[derive(Clone)]
pub struct CaseService {
    store: Arc<dyn EventStore>,
    clocks: Arc<clock::Clocks>,
    agencies: Arc<dyn AgencyDirectory>,
    time: Arc<dyn TimeSource>,
    fingerprints: FingerprintKey,
}

impl std::fmt::Debug for CaseService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaseService")
            .field("store", &self.store.backend())
            .field("rulebook", &self.clocks.rulebook.version)
            .finish_non_exhaustive()
    }
}

impl CaseService {
    pub fn new(
        store: Arc<dyn EventStore>,
        clocks: Arc<clock::Clocks>,
        agencies: Arc<dyn AgencyDirectory>,
        time: Arc<dyn TimeSource>,
    ) -> Self {
        Self {
            store,
            clocks,
            agencies,
            time,
            fingerprints: FingerprintKey::random(),
        }
    }

    /// Keys request fingerprints with the deployment's secret; without it they are keyed per process, and a
    /// retry after a restart would be refused as a reused idempotency key.
    pub fn with_fingerprint_key(mut self, key: FingerprintKey) -> Self {
        self.fingerprints = key;
        self
    }

    /// The key request fingerprints are computed with.
    pub fn fingerprint_key(&self) -> &FingerprintKey {
        &self.fingerprints
    }

    pub fn store(&self) -> &Arc<dyn EventStore> {
        &self.store
    }

    pub fn clocks(&self) -> &clock::Clocks {
        &self.clocks
    }

    pub fn agencies(&self) -> &dyn AgencyDirectory {
        self.agencies.as_ref()
    }

    /// Today in Vietnam, by the injected time source.
    pub fn today(&self) -> NaiveDate {
        local_date(self.time.now())
    }

    /// Every stored event of a case and the state they fold to; `NotFound` for an unknown case.
    pub async fn load(
        &self,
        case_id: CaseId,
    ) -> Result<(Vec<RecordedEvent>, CaseState), ServiceError> {
        let loaded = load_case(self.store.as_ref(), case_id, Horizon::Now)
            .await?
            .ok_or(ServiceError::NotFound(case_id))?;
        Ok((loaded.recorded, loaded.state))
    }

    /// The earlier case a repeat petition names (`related_case`), for the commands whose decision depends
    /// on it: `guide` guides a content once (Circular 05/2021/TT-TTCP). `None` for other commands, for a
    /// case that repeats nothing, and for a related case that does not exist.
    async fn related_case(
        &self,
        state: &CaseState,
        command: &Command,
    ) -> Result<Option<CaseState>, ServiceError> {
        let (Command::Guide(_), Some(related)) = (command, state.related_case) else {
            return Ok(None);
        };
        let loaded = load_case(self.store.as_ref(), related, Horizon::Now).await?;
        Ok(loaded.map(|l| l.state))
    }

    /// Executes one command; see the module documentation for the steps.
    #[instrument(skip_all, fields(case_id = %request.case_id, command = request.command.name(), command_id = %request.meta.command_id))]
    pub async fn execute(&self, request: CommandRequest) -> Result<CommandOutcome, ServiceError> {
        if request.meta.retryable
            && let Some(first) = self.replay_of(&request).await?
        {
            return Ok(first);
        }

        let stream = stream_of(request.case_id);
        for attempt in 1..=MAX_ATTEMPTS {
            let state = load_case(self.store.as_ref(), request.case_id, Horizon::Now)
                .await?
                .map(|l| l.state)
                .unwrap_or_default();
            let is_receive = matches!(request.command, Command::Receive(_));
            if !is_receive && state.version == 0 {
                return Err(ServiceError::NotFound(request.case_id));
            }
            if let Some(expected) = request.expected_version
                && expected != state.version
            {
                return Err(ServiceError::VersionMismatch {
                    case_id: request.case_id,
                    expected,
                    actual: state.version,
                });
            }

            if let Command::Receive(receive) = &request.command
                && let Some(related) = receive.related_case
                && state.version == 0
                && related != request.case_id
                && self
                    .store
                    .read_stream(&stream_of(related))
                    .await?
                    .is_empty()
            {
                // A repeat petition must name a case that exists: the guided-once and repeat rules depend on it.
                return Err(ServiceError::Domain(DomainError::InvalidInput(format!(
                    "related_case {related} names no recorded case"
                ))));
            }
            let related = self.related_case(&state, &request.command).await?;
            let today = self.today();
            let ctx = DecideContext {
                case_id: request.case_id,
                step_date: request.step_date.unwrap_or(today),
                today,
                clocks: &self.clocks,
                agencies: self.agencies.as_ref(),
                related: related.as_ref(),
            };
            let events = match domain::decide(&state, &request.command, &ctx) {
                Ok(events) => events,
                Err(refusal) => {
                    // A concurrent retry of this very command may have committed between the idempotency
                    // lookup and the read; the refusal would then be about our own fact. Answer with it.
                    if let Some(first) = self.replay_of(&request).await? {
                        return Ok(first);
                    }
                    return Err(refusal.into());
                }
            };
            let expected = if state.version == 0 {
                ExpectedVersion::NoStream
            } else {
                ExpectedVersion::Exact(state.version)
            };
            let meta = CommandMeta {
                command_id: request.meta.command_id,
                fingerprint: request.meta.fingerprint.clone(),
                actor: request.meta.actor.clone(),
                correlation_id: request.meta.correlation_id,
                causation_id: request.meta.causation_id,
                rulebook_version: Some(self.clocks.rulebook.version.clone()),
            };
            match self
                .store
                .append(
                    &stream,
                    expected,
                    events.iter().map(to_new_event).collect(),
                    &meta,
                )
                .await
            {
                Ok(appended) => return Ok(outcome(request.case_id, appended)),
                Err(StoreError::Conflict { actual, .. }) => {
                    if let Some(expected) = request.expected_version {
                        return Err(ServiceError::VersionMismatch {
                            case_id: request.case_id,
                            expected,
                            actual,
                        });
                    }
                    tracing::debug!(
                        attempt,
                        actual,
                        "lost a race on the case stream; deciding again"
                    );
                }
                Err(e) => return Err(e.into()),
            }
        }
        Err(ServiceError::Contended(request.case_id))
    }
}

impl CaseService {
    /// The first outcome of this command id, if it was already recorded (for this case and this request).
    async fn replay_of(
        &self,
        request: &CommandRequest,
    ) -> Result<Option<CommandOutcome>, ServiceError> {
        let found = self
            .store
            .find_command(request.meta.command_id, request.meta.fingerprint.as_deref())
            .await?;
        let Some(first) = found else { return Ok(None) };
        if first.stream_id != stream_of(request.case_id) {
            return Err(StoreError::IdempotencyKeyReused {
                command_id: request.meta.command_id,
            }
            .into());
        }
        tracing::info!("idempotent retry: returning the first result");
        Ok(Some(outcome(request.case_id, first)))
    }
}

/// The stream that holds one case.
pub(crate) fn stream_of(case_id: CaseId) -> StreamId {
    case::stream_of(case_id)
}

fn to_new_event(event: &Event) -> NewEvent {
    let stored = event.to_stored();
    NewEvent {
        event_id: Uuid::now_v7(),
        event_type: stored.event_type.to_owned(),
        schema_version: stored.schema_version,
        payload: stored.payload,
        personal: stored.personal,
    }
}

fn outcome(case_id: CaseId, appended: AppendOutcome) -> CommandOutcome {
    CommandOutcome {
        case_id,
        version: appended.last_version,
        events: appended.events,
        replayed: appended.replayed,
    }
}
