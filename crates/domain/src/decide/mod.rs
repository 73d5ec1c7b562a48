//! The decision function: given a case and a command, the law either allows the step (and says which
//! facts to record) or refuses it with the rule broken. Pure: lookups come in through [`DecideContext`].

mod acceptance;
mod appeal;
mod clocks;
mod closing;
mod intake;
mod resolution;

use chrono::NaiveDate;
use clock::{Clocks, Deadline, Variant};

use crate::event::DeadlineChanges;
use crate::{
    Agency, AgencyCode, AgencyDirectory, CaseId, CaseState, Command, DeadlineKey, DeadlineStatus,
    DomainError, Event, PetitionKind, Status, TrackedDeadline,
};

/// Everything from outside the case that a decision may depend on.
pub struct DecideContext<'a> {
    /// The case the command is for (used by `receive` to stamp the first event).
    pub case_id: CaseId,
    /// The local (Vietnamese) date the step happened; may be earlier than `today` when recorded late.
    pub step_date: NaiveDate,
    /// The real current local date; no step may be dated after it.
    pub today: NaiveDate,
    pub clocks: &'a Clocks,
    pub agencies: &'a dyn AgencyDirectory,
    /// The earlier case this one repeats (the case's `related_case`), folded from its events, when the
    /// command depends on it: `guide` refuses to guide the same content twice (Circular 05/2021/TT-TTCP).
    /// `None` when the case repeats nothing, or the caller did not load it (the check is then skipped).
    pub related: Option<&'a CaseState>,
}

impl std::fmt::Debug for DecideContext<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DecideContext")
            .field("case_id", &self.case_id)
            .field("step_date", &self.step_date)
            .field("today", &self.today)
            .field("related", &self.related.and_then(|r| r.case_id))
            .finish_non_exhaustive()
    }
}

/// Decides a command against a case. On success the events are to be appended in order (all or none);
/// the state is not changed here: fold the events with [`CaseState::apply`].
pub fn decide(
    state: &CaseState,
    command: &Command,
    ctx: &DecideContext,
) -> Result<Vec<Event>, DomainError> {
    let name = command.name();
    match command {
        Command::Receive(_) if state.exists() => return Err(DomainError::CaseAlreadyExists),
        Command::Receive(_) => {}
        _ if !state.exists() => return Err(DomainError::CaseNotFound),
        _ => {}
    }
    if state.case_id.is_some_and(|id| id != ctx.case_id) {
        return Err(DomainError::InvalidInput(format!(
            "the command is for case {} but the state is of case {}",
            ctx.case_id,
            state.case_id.map(|id| id.to_string()).unwrap_or_default()
        )));
    }
    if ctx.step_date > ctx.today {
        return Err(DomainError::StepDateInFuture {
            step_date: ctx.step_date,
            today: ctx.today,
        });
    }
    if let Some(previous) = state.last_step_on.filter(|&p| ctx.step_date < p) {
        return Err(DomainError::StepDateBeforePreviousStep {
            step_date: ctx.step_date,
            previous,
        });
    }
    let step = Step {
        state,
        ctx,
        command: name,
    };
    if state.status.is_final() {
        return Err(step.illegal("nothing may happen to a case after it is closed or terminated"));
    }
    let event = match command {
        Command::Receive(c) => intake::receive(&step, c)?,
        Command::Classify(c) => intake::classify(&step, c)?,
        Command::Forward(c) => intake::forward(&step, c)?,
        Command::ReceiveForwarded(_) => intake::receive_forwarded(&step)?,
        Command::Guide(c) => intake::guide(&step, c)?,
        Command::FileWithoutProcessing(c) => intake::file(&step, c)?,
        Command::Accept(_) => acceptance::accept(&step)?,
        Command::Refuse(c) => acceptance::refuse(&step, c)?,
        Command::StartVerification(c) => resolution::start_verification(&step, c)?,
        Command::RecordFinding(c) => resolution::record_finding(&step, c)?,
        Command::HoldDialogue(c) => resolution::hold_dialogue(&step, c)?,
        Command::Extend(c) => clocks::extend(&step, c)?,
        Command::Suspend(c) => clocks::suspend(&step, c)?,
        Command::Resume(c) => clocks::resume(&step, c)?,
        Command::IssueDecision(c) => resolution::issue_decision(&step, c)?,
        Command::RecordNoticeSent(c) => resolution::notice_sent(&step, c)?,
        Command::RecordPublication(c) => resolution::record_publication(&step, c)?,
        Command::LodgeAppeal(c) => appeal::lodge_appeal(&step, c)?,
        Command::LodgeReDenunciation(c) => appeal::lodge_re_denunciation(&step, c)?,
        Command::NoteLawsuit(c) => appeal::note_lawsuit(&step, c)?,
        Command::Withdraw(c) => closing::withdraw(&step, c)?,
        Command::Terminate(c) => closing::terminate(&step, c)?,
        Command::RecordDecisionEffect(_) => closing::record_effect(&step)?,
        Command::RecordExecution(c) => closing::record_execution(&step, c)?,
        Command::Close(c) => closing::close(&step, c)?,
        Command::RecordDeadlineMissed(c) => closing::record_deadline_missed(&step, c)?,
        Command::CorrectDeadline(c) => closing::correct_deadline(&step, c)?,
    };
    Ok(vec![event])
}

/// One decision in progress: the case, the context and the command's name, with the helpers every
/// handler shares.
struct Step<'a> {
    state: &'a CaseState,
    ctx: &'a DecideContext<'a>,
    command: &'static str,
}

impl Step<'_> {
    fn on(&self) -> NaiveDate {
        self.ctx.step_date
    }

    fn status(&self) -> Status {
        self.state.status
    }

    fn illegal(&self, rule: &'static str) -> DomainError {
        DomainError::IllegalTransition {
            command: self.command,
            status: self.state.status,
            rule,
        }
    }

    /// The kind of an existing case (every `petition.received` sets it).
    fn kind(&self) -> PetitionKind {
        self.state.kind.unwrap_or(PetitionKind::Feedback)
    }

    /// Refuses the command unless the case is of one of `kinds`.
    fn require_kind(&self, kinds: &[PetitionKind]) -> Result<PetitionKind, DomainError> {
        let kind = self.kind();
        if kinds.contains(&kind) {
            Ok(kind)
        } else {
            Err(DomainError::NotApplicableToKind {
                command: self.command,
                kind,
            })
        }
    }

    fn agency(&self, code: &AgencyCode) -> Result<&Agency, DomainError> {
        self.ctx
            .agencies
            .get(code)
            .ok_or_else(|| DomainError::UnknownAgency(code.clone()))
    }

    /// The agency holding the case.
    fn current_agency(&self) -> Result<&AgencyCode, DomainError> {
        self.state
            .current_agency
            .as_ref()
            .ok_or(DomainError::CaseNotFound)
    }

    /// The variant of the current agency and case: remote area and complexity.
    fn variant(&self) -> Variant {
        Variant {
            remote: self.state.remote,
            complexity: self.state.complexity,
        }
    }

    fn compute(
        &self,
        rule_id: &str,
        trigger: NaiveDate,
        variant: Variant,
    ) -> Result<Deadline, DomainError> {
        Ok(self.ctx.clocks.compute(rule_id, trigger, variant)?)
    }

    /// Starts the deadline `key` of rule `rule_id` from the step date, when a version of the rule is in
    /// force that day: the clocks added by the 2026 decrees do not exist for earlier steps.
    fn start_if_in_force(
        &self,
        changes: &mut DeadlineChanges,
        key: DeadlineKey,
        rule_id: &str,
    ) -> Result<(), DomainError> {
        let on = self.on();
        let in_force = self
            .ctx
            .clocks
            .rulebook
            .rules
            .iter()
            .any(|r| r.id == rule_id && r.is_in_force_on(on));
        if in_force {
            let variant = Variant {
                remote: self.state.remote,
                ..Variant::default()
            };
            changes
                .started
                .insert(key, self.compute(rule_id, on, variant)?);
        }
        Ok(())
    }

    fn tracked(&self, key: DeadlineKey) -> Option<&TrackedDeadline> {
        self.state.deadlines.get(&key)
    }

    /// Marks the step behind `key` done today: met if on time, late otherwise. Nothing if not pending.
    fn complete(&self, changes: &mut DeadlineChanges, key: DeadlineKey) {
        if let Some(status) = self.tracked(key).and_then(|t| completion(t, self.on())) {
            changes.closed.insert(key, status);
        }
    }

    /// Closes a deadline with an explicit status, if it is still open.
    fn close_open(&self, changes: &mut DeadlineChanges, key: DeadlineKey, status: DeadlineStatus) {
        if self
            .tracked(key)
            .is_some_and(|t| t.status == DeadlineStatus::Open)
        {
            changes.closed.insert(key, status);
        }
    }

    /// Cancels every open deadline not already closed in `changes` (the case is over or left the agency).
    fn cancel_remaining(&self, changes: &mut DeadlineChanges) {
        for (key, tracked) in &self.state.deadlines {
            if tracked.status == DeadlineStatus::Open && !changes.closed.contains_key(key) {
                changes
                    .closed
                    .insert(*key, DeadlineStatus::Cancelled { on: self.on() });
            }
        }
    }

    /// The decision deadline, when it is still pending and its period has ended by the step date: the
    /// petitioner may then go on as if a decision had been refused (LKN art. 33, LTC art. 37).
    fn lapsed_decision(&self) -> Option<&Deadline> {
        self.tracked(DeadlineKey::Decision)
            .filter(|t| t.status.is_pending() && self.on() > t.deadline.due)
            .map(|t| &t.deadline)
    }

    /// The agency that takes the case next: the one named, else the directory parent of the current one.
    fn superior(&self, named: Option<&AgencyCode>) -> Result<&Agency, DomainError> {
        let current = self.current_agency()?;
        let code = match named {
            Some(code) => code,
            None => self
                .agency(current)?
                .parent
                .as_ref()
                .ok_or_else(|| DomainError::NoSuperiorAgency(current.clone()))?,
        };
        if code == current {
            return Err(DomainError::InvalidInput(format!(
                "`{code}` already holds the case; name its superior"
            )));
        }
        self.agency(code)
    }
}

/// The status a pending deadline takes when its step is done on `on`: met or late by the step's real
/// date. A deadline recorded as missed is met when the step is keyed in later with a date on or before the
/// due date (backlog entry): the miss is then superseded (`TrackedDeadline::superseded_miss`).
fn completion(tracked: &TrackedDeadline, on: NaiveDate) -> Option<DeadlineStatus> {
    if !tracked.status.is_pending() {
        return None;
    }
    Some(if on <= tracked.deadline.due {
        DeadlineStatus::Met { on }
    } else {
        DeadlineStatus::Late { on }
    })
}
