//! CSV rendering of the statistics and the watchlist (RFC 4180: comma-separated, CRLF, quoted when needed).

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::query::stats::StatsRow;
use crate::query::watchlist::WatchlistEntry;

fn field(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map(ToString::to_string).unwrap_or_default()
}

fn document(header_line: &[&str], lines: Vec<Vec<String>>) -> String {
    let mut out = header_line.join(",");
    out.push_str("\r\n");
    for line in lines {
        out.push_str(&line.iter().map(|s| field(s)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

pub fn response(body: String, filename: &str) -> Response {
    let mut r = body.into_response();
    r.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/csv; charset=utf-8"),
    );
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    r
}

pub fn stats(rows: &[StatsRow]) -> String {
    let header = [
        "agency",
        "period_start",
        "period_end",
        "kind",
        "carried_over",
        "new",
        "received",
        "eligible",
        "within_competence",
        "guided",
        "forwarded",
        "urged",
        "resolved",
        "resolved_by_decision",
        "resolved_by_withdrawal",
        "upheld",
        "partly_upheld",
        "rejected",
        "second_instance_upholding",
        "second_instance_overturning",
        "deadline_met",
        "deadline_not_met",
        "forwarded_on_time",
        "resolution_rate",
        "on_time_rate",
        "forwarding_timeliness",
    ];
    let lines = rows
        .iter()
        .map(|r| {
            let mut l = vec![
                r.agency.clone(),
                r.period_start.clone(),
                r.period_end.clone(),
                r.kind.clone(),
            ];
            l.extend(
                [
                    r.carried_over,
                    r.new,
                    r.received,
                    r.eligible,
                    r.within_competence,
                    r.guided,
                    r.forwarded,
                    r.urged,
                    r.resolved,
                    r.resolved_by_decision,
                    r.resolved_by_withdrawal,
                    r.upheld,
                    r.partly_upheld,
                    r.rejected,
                    r.second_instance_upholding,
                    r.second_instance_overturning,
                    r.deadline_met,
                    r.deadline_not_met,
                    r.forwarded_on_time,
                ]
                .iter()
                .map(u64::to_string),
            );
            l.extend([
                opt(&r.resolution_rate),
                opt(&r.on_time_rate),
                opt(&r.forwarding_timeliness),
            ]);
            l
        })
        .collect();
    document(&header, lines)
}

pub fn watchlist(items: &[WatchlistEntry]) -> String {
    let header = [
        "case_id",
        "tracking_code",
        "kind",
        "status",
        "current_agency",
        "competent_agency",
        "level",
        "received_on",
        "days_open",
        "days_overdue",
        "signatory_count",
        "appeals",
        "re_denunciations",
        "severity",
        "reasons",
    ];
    let lines = items
        .iter()
        .map(|e| {
            vec![
                e.case_id.clone(),
                opt(&e.tracking_code),
                opt(&e.kind),
                e.status.clone(),
                opt(&e.current_agency),
                opt(&e.competent_agency),
                opt(&e.level),
                opt(&e.received_on),
                e.days_open.to_string(),
                e.days_overdue.to_string(),
                e.signatory_count.to_string(),
                e.appeals.to_string(),
                e.re_denunciations.to_string(),
                e.severity.to_string(),
                e.reasons.join(" "),
            ]
        })
        .collect();
    document(&header, lines)
}

#[cfg(test)]
mod tests {
    use super::field;

    #[test]
    fn fields_with_commas_or_quotes_are_quoted() {
        assert_eq!(field("a,b"), "\"a,b\"");
        assert_eq!(field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(field("plain"), "plain");
    }
}
