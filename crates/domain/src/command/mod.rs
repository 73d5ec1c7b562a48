//! What officers (and the deadline watcher) ask of a case: one struct per command, parsed strictly.
//!
//! Commands are requests, not facts: [`crate::decide`] may refuse them. Each has a kebab-case action name
//! used in URLs (`POST /cases/{id}/{action}`), and [`Command::from_action`] builds one from a JSON body.

mod types;

pub use types::{
    Accept, Classify, Close, ComplexityCriteria, CorrectDeadline, Extend, FileWithoutProcessing,
    Forward, Guide, HoldDialogue, IssueDecision, LodgeAppeal, LodgeReDenunciation, NoteLawsuit,
    Receive, ReceiveForwarded, RecordDeadlineMissed, RecordDecisionEffect, RecordExecution,
    RecordFinding, RecordNoticeSent, RecordPublication, Refuse, Resume, StartVerification, Suspend,
    Terminate, Withdraw,
};

use crate::DomainError;

/// Declares the command enum with each variant's action name, so the name, the list of actions and the
/// parser can never disagree.
macro_rules! commands {
    ($first:ident => $first_action:literal, $($variant:ident => $action:literal),* $(,)?) => {
        /// Every command the domain understands.
        #[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
        #[serde(tag = "action", content = "body")]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        pub enum Command {
            #[serde(rename = $first_action)]
            $first($first),
            $(#[serde(rename = $action)] $variant($variant),)*
        }

        impl Command {
            /// The action names of every command except `receive`, which creates a case rather than
            /// acting on one.
            pub const ACTIONS: &'static [&'static str] = &[$($action),*];

            /// The command's kebab-case action name, as used in URLs and logs.
            pub fn name(&self) -> &'static str {
                match self {
                    Self::$first(_) => $first_action,
                    $(Self::$variant(_) => $action,)*
                }
            }

            /// Builds a command from its action name and JSON body. An empty body (`null`) stands for `{}`,
            /// so commands without fields can be posted without one.
            pub fn from_action(action: &str, body: serde_json::Value) -> Result<Command, DomainError> {
                let body = if body.is_null() { serde_json::Value::Object(Default::default()) } else { body };
                let bad = |e: serde_json::Error| DomainError::InvalidInput(format!("`{action}` body: {e}"));
                match action {
                    $first_action => serde_json::from_value(body).map(Self::$first).map_err(bad),
                    $($action => serde_json::from_value(body).map(Self::$variant).map_err(bad),)*
                    _ => Err(DomainError::UnknownAction(action.to_owned())),
                }
            }
        }

        $(impl From<$variant> for Command {
            fn from(c: $variant) -> Self {
                Self::$variant(c)
            }
        })*
        impl From<$first> for Command {
            fn from(c: $first) -> Self {
                Self::$first(c)
            }
        }
    };
}

commands! {
    Receive => "receive",
    Classify => "classify",
    Forward => "forward",
    ReceiveForwarded => "receive-forwarded",
    Guide => "guide",
    FileWithoutProcessing => "file",
    Accept => "accept",
    Refuse => "refuse",
    StartVerification => "start-verification",
    RecordFinding => "record-finding",
    HoldDialogue => "hold-dialogue",
    Extend => "extend",
    Suspend => "suspend",
    Resume => "resume",
    IssueDecision => "issue-decision",
    RecordNoticeSent => "record-notice-sent",
    RecordPublication => "record-publication",
    LodgeAppeal => "lodge-appeal",
    LodgeReDenunciation => "lodge-re-denunciation",
    NoteLawsuit => "note-lawsuit",
    Withdraw => "withdraw",
    Terminate => "terminate",
    RecordDecisionEffect => "record-decision-effect",
    RecordExecution => "record-execution",
    Close => "close",
    RecordDeadlineMissed => "record-deadline-missed",
    CorrectDeadline => "correct-deadline",
}
