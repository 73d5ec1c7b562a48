//! `petition replay`: an auditor's view of one case, rebuilt from the store alone: every event in order
//! with who recorded it, the deadlines each event fixed with their stored explanations, the state the
//! events fold to (as of a date if asked), and whether the hash chain is intact.

use std::str::FromStr;

use anyhow::{Context, bail};
use chrono::{DateTime, NaiveDate, NaiveTime, TimeDelta, Utc};
use clap::Args;
use domain::CaseId;
use feed::case::{self, Horizon, Personal};
use store::{EventStore, RecordedEvent};

#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// The case id (UUID).
    case: String,
    /// Show the case as it stood at the end of this local date (YYYY-MM-DD) or at this instant (RFC 3339).
    #[arg(long)]
    as_of: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub async fn run(store: &dyn EventStore, args: ReplayArgs) -> anyhow::Result<()> {
    let case_id = CaseId::from_str(&args.case)
        .map_err(|_| anyhow::anyhow!("`{}` is not a case id (UUID)", args.case))?;
    let stream = case::stream_of(case_id);
    let as_of = args.as_of.as_deref().map(parse_as_of).transpose()?;
    let horizon = as_of.map_or(Horizon::Now, Horizon::AsOf);
    let loaded = case::load(store, case_id, horizon, Personal::Include)
        .await
        .context("decoding the case's events")?;
    let Some(case::Loaded {
        recorded, state, ..
    }) = loaded
    else {
        bail!(
            "case {case_id} has no events{}",
            as_of.map(|t| format!(" as of {t}")).unwrap_or_default()
        );
    };
    // The stored rows (sealed personal data) are what the chain covers, not the opened events read here.
    let verification = store.verify_stream(&stream).await?;
    let evaluated_on = command::local_date(as_of.unwrap_or_else(Utc::now));
    let mut view = command::http::petitions::case_view(case_id, &state, evaluated_on);
    view.personal_data = command::privacy::PersonalDataView::load(store, case_id, &state).await?;

    if args.json {
        let out = serde_json::json!({
            "case": view,
            "events": recorded.iter().map(command::http::views::EventView::from).collect::<Vec<_>>(),
            "hash_chain_intact": verification.is_intact(),
        });
        println!("{}", serde_json::to_string_pretty(&out)?);
        return Ok(());
    }

    println!("Case {case_id}");
    if let Some(t) = as_of {
        println!("As of {t} (events recorded after that instant are not shown)");
    }
    println!();
    for e in &recorded {
        print_event(e);
    }
    println!();
    println!(
        "State after version {}: {}",
        state.version,
        view.state
            .get("status")
            .map(|s| s.to_string())
            .unwrap_or_default()
    );
    println!("Deadlines (evaluated on {evaluated_on}):");
    for d in &view.deadlines {
        let status = d
            .status
            .get("status")
            .or(Some(&d.status))
            .map(|s| s.to_string())
            .unwrap_or_default();
        let mut overdue = if d.overdue {
            format!(", OVERDUE by {} day(s)", d.days_overdue)
        } else {
            String::new()
        };
        if let Some(missed_on) = d.superseded_miss {
            overdue.push_str(&format!(", miss recorded {missed_on} superseded"));
        }
        println!(
            "  {:<24} due {}  [{}{}]",
            d.key,
            d.due,
            status.trim_matches('"'),
            overdue
        );
        println!("      {}", d.explanation);
    }
    if verification.is_intact() {
        println!(
            "\nHash chain: intact ({} events verified)",
            verification.events_checked
        );
    } else {
        println!("\nHash chain: BROKEN");
        for p in &verification.problems {
            println!("  {p:?}");
        }
        bail!("the case's hash chain does not verify");
    }
    Ok(())
}

fn print_event(e: &RecordedEvent) {
    let occurred = e
        .payload
        .get("occurred_on")
        .and_then(|v| v.as_str())
        .unwrap_or("?");
    println!(
        "v{:<3} {}  {:<32} occurred {}  by {}  hash {}…",
        e.version,
        e.recorded_at.format("%Y-%m-%d %H:%M:%S UTC"),
        e.event_type,
        occurred,
        e.metadata.actor,
        &e.hash[..12.min(e.hash.len())]
    );
    let mut explanations = Vec::new();
    collect_explanations(&e.payload, &mut explanations);
    for x in explanations {
        println!("       deadline: {x}");
    }
}

/// Deadlines are stored inside event payloads; any object with a rule id and an explanation is one.
fn collect_explanations(v: &serde_json::Value, out: &mut Vec<String>) {
    match v {
        serde_json::Value::Object(map) => {
            if let (Some(rule), Some(text)) = (
                map.get("rule_id"),
                map.get("explanation").and_then(|x| x.as_str()),
            ) {
                out.push(format!("[{}] {}", rule.as_str().unwrap_or_default(), text));
            } else {
                map.values().for_each(|x| collect_explanations(x, out));
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|x| collect_explanations(x, out)),
        _ => {}
    }
}

/// A date means the end of that day in Vietnam; anything else must be an RFC 3339 instant.
fn parse_as_of(s: &str) -> anyhow::Result<DateTime<Utc>> {
    if let Ok(date) = NaiveDate::from_str(s) {
        let end_local =
            date.and_time(NaiveTime::MIN) + TimeDelta::days(1) - TimeDelta::microseconds(1);
        return Ok(end_local.and_utc() - TimeDelta::hours(7));
    }
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .with_context(|| format!("`{s}` is neither a date (YYYY-MM-DD) nor an RFC 3339 instant"))
}
