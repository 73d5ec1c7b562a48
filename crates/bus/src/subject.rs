//! The subject layout and CloudEvents names, in one place so that publishers, consumers and the docs agree.
//!
//! Layout: `<prefix>.<agency>.<kind>.<event_type>`, e.g. `petition.events.UBND-HN.complaint.petition_accepted`,
//! so a consumer can filter by agency (`petition.events.UBND-HN.>`), by kind (`petition.events.*.complaint.>`)
//! or by event type (`petition.events.*.*.decision_issued`). NATS tokens cannot contain `.`, `*`, `>` or
//! whitespace, so every token is mapped with [`token`]. See `docs/bus.md`. The relay builds these for every
//! event it publishes, so each name is written into one pre-sized `String`.

use std::fmt::Write as _;

/// The token used when an event (and its case's earlier events) name no agency or kind.
pub const UNKNOWN: &str = "unknown";

/// Maps a value to one NATS subject token: `.` and anything outside `[A-Za-z0-9_-]` become `_`;
/// an empty value becomes [`UNKNOWN`]. Agency codes keep their case (`UBND-HN`, `BO.TC` → `BO_TC`).
pub fn token(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    push_token(&mut out, value);
    out
}

/// Appends [`token`]`(value)` to `out`, so a subject is built in one allocation.
fn push_token(out: &mut String, value: &str) {
    let start = out.len();
    out.extend(value.trim().chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
            c
        } else {
            '_'
        }
    }));
    if out.len() == start {
        out.push_str(UNKNOWN);
    }
}

/// The event-type token: `petition.accepted` → `petition_accepted` (lower case, `[a-z0-9_]`).
pub fn event_type_token(event_type: &str) -> String {
    let mut out = String::with_capacity(event_type.len());
    push_type_token(&mut out, event_type, true);
    out
}

/// Appends [`event_type_token`]`(event_type)` to `out`; without `digits`, digits become `_` too.
fn push_type_token(out: &mut String, event_type: &str, digits: bool) {
    let start = out.len();
    out.extend(event_type.trim().chars().map(|c| {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c == '_' || (digits && c.is_ascii_digit()) {
            c
        } else {
            '_'
        }
    }));
    if out.len() == start {
        out.push_str(UNKNOWN);
    }
}

/// The subject one event is published on.
pub fn event_subject(prefix: &str, agency: &str, kind: &str, event_type: &str) -> String {
    let mut out =
        String::with_capacity(prefix.len() + agency.len() + kind.len() + event_type.len() + 3);
    out.push_str(prefix);
    out.push('.');
    push_token(&mut out, agency);
    out.push('.');
    push_token(&mut out, kind);
    out.push('.');
    push_type_token(&mut out, event_type, true);
    out
}

/// The dead-letter subject of one consumer: `<dlq_prefix>.<consumer>`.
pub fn dead_letter_subject(dlq_prefix: &str, consumer: &str) -> String {
    format!("{dlq_prefix}.{}", token(consumer))
}

/// The CloudEvents `type`: `vn.gov.petition.<event_type_token>.v<schema_version>`,
/// e.g. `petition.accepted` v1 → `vn.gov.petition.petition_accepted.v1`. Reversible only through the
/// `ce-petitioneventtype` extension, which carries the store's type name verbatim.
pub fn ce_type(event_type: &str, schema_version: u16) -> String {
    const PREFIX: &str = "vn.gov.petition.";
    let mut out = String::with_capacity(PREFIX.len() + event_type.len() + 8);
    out.push_str(PREFIX);
    // Letters and underscores only, so the type matches `^vn\.gov\.petition\.[a-z_]+\.v[0-9]+$`.
    push_type_token(&mut out, event_type, false);
    let _ = write!(out, ".v{schema_version}");
    out
}

/// The CloudEvents `source`: the agency handling the case, as a URN (`urn:vn-gov-petition:agency:UBND-HN`).
pub fn ce_source(agency: &str) -> String {
    const PREFIX: &str = "urn:vn-gov-petition:agency:";
    let mut out = String::with_capacity(PREFIX.len() + agency.len());
    out.push_str(PREFIX);
    push_token(&mut out, agency);
    out
}

/// The case id of a stream (`case-<uuid>` → `<uuid>`); other streams are their own subject.
pub fn case_subject(stream_id: &str) -> &str {
    stream_id
        .strip_prefix(store::CASE_STREAM_PREFIX)
        .unwrap_or(stream_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_contain_separators_or_wildcards() {
        assert_eq!(token("UBND-HN"), "UBND-HN");
        assert_eq!(token("BO.TC"), "BO_TC");
        assert_eq!(token("a b*c>"), "a_b_c_");
        assert_eq!(token(""), "unknown");
    }

    #[test]
    fn an_event_subject_has_agency_kind_and_type_tokens() {
        assert_eq!(
            event_subject(
                "petition.events",
                "UBND-HN",
                "complaint",
                "petition.accepted"
            ),
            "petition.events.UBND-HN.complaint.petition_accepted"
        );
    }

    #[test]
    fn the_cloudevents_type_is_reverse_dns_with_a_version() {
        assert_eq!(
            ce_type("petition.accepted", 1),
            "vn.gov.petition.petition_accepted.v1"
        );
        assert_eq!(
            ce_type("Re-Denunciation.Lodged", 2),
            "vn.gov.petition.re_denunciation_lodged.v2"
        );
    }

    #[test]
    fn a_case_stream_maps_to_its_case_id() {
        assert_eq!(case_subject("case-0190abcd"), "0190abcd");
        assert_eq!(case_subject("system-clock"), "system-clock");
    }
}
