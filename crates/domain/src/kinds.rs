//! The small closed vocabularies of the domain: kinds of petition, levels, channels, outcomes, clocks.

use serde::{Deserialize, Serialize};

/// The four kinds of petition (đơn) the law distinguishes; each follows its own procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum PetitionKind {
    /// Khiếu nại: review of an administrative decision or act affecting the petitioner's own rights (LKN).
    Complaint,
    /// Tố cáo: report of a violation of law; the denouncer's identity is protected (LTC).
    Denunciation,
    /// Kiến nghị: a proposal about policy or management.
    Recommendation,
    /// Phản ánh: information about a problem the state should know of.
    Feedback,
}

impl PetitionKind {
    pub const ALL: [PetitionKind; 4] = [
        Self::Complaint,
        Self::Denunciation,
        Self::Recommendation,
        Self::Feedback,
    ];

    /// The two-letter prefix of tracking codes (KN, TC, KG, PA).
    pub fn code(self) -> &'static str {
        match self {
            Self::Complaint => "KN",
            Self::Denunciation => "TC",
            Self::Recommendation => "KG",
            Self::Feedback => "PA",
        }
    }

    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|k| k.code().eq_ignore_ascii_case(code))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Complaint => "complaint",
            Self::Denunciation => "denunciation",
            Self::Recommendation => "recommendation",
            Self::Feedback => "feedback",
        }
    }
}

impl std::fmt::Display for PetitionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The administrative level of an agency. Districts were abolished on 2025-07-01, so there are four.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Level {
    Commune,
    Province,
    Ministry,
    Central,
}

/// How the petition reached the agency; it decides which reply clock starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Channel {
    /// At a citizen-reception desk: the citizen must get an answer within 10 working days (LTCD art. 28(1)).
    InPerson,
    Mail,
    Online,
    /// Sent on by the press or another authority, which must be told the result (LTC art. 26).
    Referral,
}

/// The result of a decision.
///
/// For a complaint: the complaint is upheld, partly upheld or rejected.
/// For a denunciation (a conclusion): `Upheld` = founded (tố cáo đúng), `PartlyUpheld` = partly founded
/// (đúng một phần), `Rejected` = unfounded (tố cáo sai).
/// For a recommendation or feedback: `Upheld` = adopted / acted upon, `PartlyUpheld` = partly adopted,
/// `Rejected` = not adopted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    Upheld,
    PartlyUpheld,
    Rejected,
}

/// First or second instance (lần đầu / lần hai). A denunciation re-handled by the superior after a
/// re-denunciation is counted as its second round.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Instance {
    #[default]
    First,
    Second,
}

/// Why a petition is filed without processing (lưu đơn).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum FilingReason {
    /// It does not meet the conditions to be handled (no signature, unclear content, …).
    Ineligible,
    /// Same content as a petition already handled or guided.
    Duplicate,
    /// No name or address: an anonymous denunciation is not handled (LTC art. 25).
    Anonymous,
    /// The matter was already resolved by a decision in force.
    AlreadyResolved,
    /// It is not a petition at all (a letter of thanks, a copy sent for information).
    NotAPetition,
}

/// Which statutory clock a deadline belongs to. A case tracks at most one deadline per key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum DeadlineKey {
    /// Reply to a citizen received in person (`reception.reply`).
    Reply,
    /// Triage at the agency holding the petition (`petition.handling`, `denunciation.initial_handling`).
    Handling,
    /// Accept or refuse a complaint (`complaint.accept`).
    Accept,
    /// Decide a complaint or conclude a denunciation (`complaint.decision.*`, `denunciation.resolution`).
    Decision,
    /// Send the decision or conclusion (`complaint.decision.send`, `denunciation.conclusion.send`).
    SendDecision,
    /// The complainant's window to appeal (`complaint.appeal.window`); a period for the citizen, not a duty.
    AppealWindow,
    /// The period after which an unappealed decision takes effect (`complaint.decision.effect`).
    TakeEffect,
    /// Forward a denunciation outside competence (`denunciation.forward`).
    Forward,
    /// Notify the denouncer of acceptance (`denunciation.accept.notify`).
    NotifyAcceptance,
    /// The superior's review of a re-denunciation (`denunciation.redenunciation.review`).
    ReviewReDenunciation,
    /// Tell the press or authority that referred the petition the result (`referral.reply`).
    ReferralReply,
    /// Act on a denunciation conclusion (`denunciation.conclusion.act`), met by `record-execution`.
    ActOnConclusion,
    /// Publish a denunciation conclusion (`denunciation.conclusion.publish`, LTC art. 40), met by
    /// `record-publication`.
    PublishConclusion,
    /// Send the decision to suspend a complaint's resolution (`complaint.suspension.send`, from
    /// 2026-07-01). It runs while the case is suspended.
    SendSuspension,
    /// Send the decision to continue a suspended complaint's resolution (`complaint.continuation.send`,
    /// from 2026-07-01).
    SendContinuation,
    /// Notify the petitioner of a refusal to accept the petition (`reception.refusal.notify`, from
    /// 2026-07-01).
    NotifyRefusal,
    /// Notify the parties of a complaint dialogue at least 5 days before it (`complaint.dialogue.notice`,
    /// from 2026-07-01), counted back from the dialogue; judged when the dialogue is recorded.
    DialogueNotice,
}

impl DeadlineKey {
    /// False for periods that run for the citizen (appeal window) or until a decision takes effect:
    /// nobody fails them, so they are never recorded as missed.
    pub fn is_obligation(self) -> bool {
        !matches!(self, Self::AppealWindow | Self::TakeEffect)
    }

    /// Deadlines met by sending a notice, recorded with `RecordNoticeSent`.
    pub fn is_notice(self) -> bool {
        matches!(
            self,
            Self::Reply
                | Self::ReferralReply
                | Self::NotifyAcceptance
                | Self::SendDecision
                | Self::SendSuspension
                | Self::SendContinuation
                | Self::NotifyRefusal
                | Self::DialogueNotice
        )
    }

    /// Whether the clock stands still while the case is suspended. The notice of the suspension itself
    /// is owed during the suspension, so it keeps running.
    pub fn pauses_while_suspended(self) -> bool {
        self != Self::SendSuspension
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reply => "reply",
            Self::Handling => "handling",
            Self::Accept => "accept",
            Self::Decision => "decision",
            Self::SendDecision => "send_decision",
            Self::AppealWindow => "appeal_window",
            Self::TakeEffect => "take_effect",
            Self::Forward => "forward",
            Self::NotifyAcceptance => "notify_acceptance",
            Self::ReviewReDenunciation => "review_re_denunciation",
            Self::ReferralReply => "referral_reply",
            Self::ActOnConclusion => "act_on_conclusion",
            Self::PublishConclusion => "publish_conclusion",
            Self::SendSuspension => "send_suspension",
            Self::SendContinuation => "send_continuation",
            Self::NotifyRefusal => "notify_refusal",
            Self::DialogueNotice => "dialogue_notice",
        }
    }
}

impl std::fmt::Display for DeadlineKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadline_keys_display_as_they_serialize() {
        for key in [
            DeadlineKey::Reply,
            DeadlineKey::SendDecision,
            DeadlineKey::ReviewReDenunciation,
            DeadlineKey::PublishConclusion,
            DeadlineKey::SendSuspension,
            DeadlineKey::NotifyRefusal,
            DeadlineKey::DialogueNotice,
        ] {
            assert_eq!(
                serde_json::to_value(key).ok(),
                Some(serde_json::json!(key.as_str()))
            );
        }
    }

    #[test]
    fn kind_codes_round_trip() {
        for kind in PetitionKind::ALL {
            assert_eq!(PetitionKind::from_code(kind.code()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).ok(),
                Some(serde_json::json!(kind.as_str()))
            );
        }
    }
}
