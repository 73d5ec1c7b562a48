//! `petition rules check|apply`: open deadlines computed with superseded rule or calendar data (issue 11
//! item 4). `check` lists every open deadline whose due date differs under the rulebook and holiday
//! calendars loaded now (old, new, why); `apply` records one `deadline.corrected` per such deadline
//! through the command path, with a command id derived from (case, deadline, old due, new due), so
//! running it again — or on two machines at once — records each correction once.

use std::sync::Arc;

use anyhow::Context;
use chrono::Utc;
use clap::Subcommand;
use command::{CaseService, CommandRequest, RequestMeta, ServiceError, SystemTime};
use domain::{CaseId, Command, CorrectDeadline, DeadlineKey, DeadlineStatus, Text};
use uuid::Uuid;

use crate::app::open;
use crate::settings::Settings;

/// The actor recorded on the corrections.
pub const ACTOR: &str = "rules-correction";

/// Namespace of the corrections' command ids (UUID v5).
const NAMESPACE: Uuid = Uuid::from_u128(0x5e1f_0d0c_4a11_4c3e_9d6a_7e57_ca5e_0011);

#[derive(Debug, Subcommand)]
pub enum RulesCmd {
    /// List every open deadline whose due date differs under the rulebook and calendars loaded now.
    Check,
    /// Record one `deadline.corrected` per deadline `check` lists.
    Apply {
        /// What was corrected, recorded with each event (e.g. "2026-01-02 announced as a day off").
        #[arg(long)]
        explanation: String,
    },
}

/// One open deadline the data loaded now would count differently.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Difference {
    pub case_id: String,
    pub deadline: DeadlineKey,
    pub old_due: chrono::NaiveDate,
    pub new_due: chrono::NaiveDate,
    pub old_rule: String,
    pub why: String,
}

/// The command id of one correction: the same for every run, so the store records it once.
pub fn command_id(d: &Difference) -> Uuid {
    Uuid::new_v5(
        &NAMESPACE,
        format!(
            "deadline-corrected/{}/{}/{}/{}",
            d.case_id, d.deadline, d.old_due, d.new_due
        )
        .as_bytes(),
    )
}

/// Every open deadline of an open case whose due date the given clocks count differently.
pub async fn differences(
    store: &Arc<dyn store::EventStore>,
    clocks: &clock::Clocks,
) -> anyhow::Result<(Vec<Difference>, Vec<String>)> {
    let folds = projection::query::fold_as_of(store, Utc::now())
        .await
        .context("reading the cases")?;
    let mut found = Vec::new();
    let mut manual = Vec::new();
    let mut ids: Vec<_> = folds.keys().cloned().collect();
    ids.sort();
    for case_id in ids {
        let state = &folds[&case_id].state;
        if state.status.is_final() {
            continue;
        }
        for (key, t) in &state.deadlines {
            if t.status != DeadlineStatus::Open {
                continue;
            }
            let d = &t.deadline;
            match clocks.recount(d) {
                Ok(clock::Recount::Unchanged) => {}
                Ok(clock::Recount::Moved { deadline, reason }) => found.push(Difference {
                    case_id: case_id.clone(),
                    deadline: *key,
                    old_due: d.due,
                    new_due: deadline.due,
                    old_rule: format!("{} v{} ({})", d.rule_id, d.rule_version, d.rulebook_version),
                    why: reason,
                }),
                Ok(clock::Recount::Manual(why)) => {
                    manual.push(format!("{case_id} {key} due {}: {why}", d.due));
                }
                Err(e) => manual.push(format!("{case_id} {key} due {}: {e}", d.due)),
            }
        }
    }
    Ok((found, manual))
}

pub async fn run(settings: Settings, cmd: RulesCmd) -> anyhow::Result<()> {
    let store = open::events(&settings).await?;
    let clocks = open::clocks(&settings)?;
    let (found, manual) = differences(&store, &clocks).await?;
    match cmd {
        RulesCmd::Check => {
            for d in &found {
                println!(
                    "{} {}: {} -> {} ({}; was {})",
                    d.case_id, d.deadline, d.old_due, d.new_due, d.why, d.old_rule
                );
            }
            for m in &manual {
                println!("review by hand: {m}");
            }
            println!(
                "{} open deadline(s) differ under rulebook {}",
                found.len(),
                clocks.rulebook.version
            );
            Ok(())
        }
        RulesCmd::Apply { explanation } => {
            let explanation =
                Text::parse(&explanation).map_err(|e| anyhow::anyhow!("--explanation: {e}"))?;
            let agencies: Arc<dyn domain::AgencyDirectory> = Arc::new(open::agencies(&settings)?);
            let service = CaseService::new(
                store.clone(),
                Arc::new(clocks),
                agencies,
                Arc::new(SystemTime),
            );
            let today = command::local_date(Utc::now());
            let (recorded, already) = apply(&service, &found, &explanation, today).await?;
            for m in &manual {
                println!("review by hand: {m}");
            }
            println!("{recorded} correction(s) recorded, {already} already recorded");
            Ok(())
        }
    }
}

/// Records one correction per difference; returns (recorded, already recorded or no longer needed).
pub async fn apply(
    service: &CaseService,
    found: &[Difference],
    explanation: &Text,
    today: chrono::NaiveDate,
) -> anyhow::Result<(usize, usize)> {
    let (mut recorded, mut already) = (0usize, 0usize);
    for d in found {
        let uuid: Uuid = d.case_id.parse().context("a case id in the store")?;
        let request = CommandRequest {
            case_id: CaseId::from_uuid(uuid),
            command: Command::CorrectDeadline(CorrectDeadline {
                deadline: d.deadline,
                explanation: explanation.clone(),
            }),
            expected_version: None,
            step_date: Some(today),
            meta: RequestMeta {
                retryable: true,
                command_id: command_id(d),
                fingerprint: Some(format!(
                    "deadline-corrected/{}/{}/{}",
                    d.deadline, d.old_due, d.new_due
                )),
                actor: ACTOR.to_owned(),
                correlation_id: Uuid::new_v4(),
                causation_id: None,
            },
        };
        match service.execute(request).await {
            Ok(done) if done.replayed => already += 1,
            Ok(_) => {
                println!(
                    "{} {}: {} -> {} recorded",
                    d.case_id, d.deadline, d.old_due, d.new_due
                );
                recorded += 1;
            }
            // Another run recorded it first, or the step was done meanwhile: nothing to correct.
            Err(ServiceError::Domain(e)) if e.code() == "invalid-input" => already += 1,
            Err(e) => {
                return Err(anyhow::anyhow!(
                    "{} {}: could not record the correction: {e}",
                    d.case_id,
                    d.deadline
                ));
            }
        }
    }
    Ok((recorded, already))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use command::{CaseService, CommandRequest, FixedTime, RequestMeta};
    use domain::{CaseId, Command, DeadlineKey, PetitionKind};
    use uuid::Uuid;

    use super::{apply, differences};

    const H2025: &str = include_str!("../../../../rules/holidays/vn-2025.toml");
    const H2026: &str = include_str!("../../../../rules/holidays/vn-2026.toml");
    const H2027: &str = include_str!("../../../../rules/holidays/vn-2027.toml");

    fn date(s: &str) -> chrono::NaiveDate {
        s.parse().expect("date")
    }

    /// The calendar before the 2026-01-02 swap was announced (12729/VPCP-KGVX of 25/12/2025).
    fn before_the_swap() -> clock::Clocks {
        let old = H2026
            .replace(
                "[[holiday]]\ndate = 2026-01-02\nname = \"Nghỉ bù Tết Dương lịch (day off swapped with Saturday 2026-01-10)\"\n",
                "",
            )
            .replace(
                "[[working_day]]\ndate = 2026-01-10\nname = \"Làm bù cho ngày 2026-01-02 (Saturday worked in place of Friday 2026-01-02)\"\n",
                "",
            );
        assert!(
            !old.contains("date = 2026-01-02") && !old.contains("date = 2026-01-10"),
            "the swap was removed"
        );
        let calendar =
            clock::HolidayCalendar::from_toml_strs(&[H2025, &old, H2027]).expect("valid calendar");
        clock::Clocks::new(clock::Rulebook::embedded(), calendar)
    }

    fn service(
        store: &Arc<dyn store::EventStore>,
        clocks: clock::Clocks,
        now: &str,
    ) -> CaseService {
        let noon = date(now).and_hms_opt(5, 0, 0).expect("time").and_utc();
        CaseService::new(
            store.clone(),
            Arc::new(clocks),
            Arc::new(domain::StaticAgencyDirectory::embedded()),
            Arc::new(FixedTime(noon)),
        )
    }

    async fn run(service: &CaseService, case: CaseId, on: &str, command: Command) {
        let request = CommandRequest {
            case_id: case,
            command,
            expected_version: None,
            step_date: Some(date(on)),
            meta: RequestMeta {
                retryable: true,
                command_id: Uuid::new_v4(),
                fingerprint: None,
                actor: "officer".into(),
                correlation_id: Uuid::new_v4(),
                causation_id: None,
            },
        };
        service.execute(request).await.expect("command accepted");
    }

    fn body(action: &str, v: serde_json::Value) -> Command {
        Command::from_action(action, v).expect("command")
    }

    fn receive(n: u8) -> Command {
        let code = domain::TrackingCode::generate(PetitionKind::Denunciation, 2025, [n; 8]);
        body(
            "receive",
            serde_json::json!({
                "kind": "denunciation",
                "channel": "mail",
                "receiving_agency": "UBND-HN.HOAN-KIEM",
                "subject": "Land recovery compensation",
                "content": "The compensation decided for the recovered plot is below the land price table.",
                "signatory_count": 1,
                "tracking_code": code.to_string(),
            }),
        )
    }

    #[tokio::test]
    async fn rules_check_lists_and_apply_records_once_the_open_deadlines_a_late_swap_day_moves() {
        let dir = std::env::temp_dir().join(format!("petition-rules-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        let url = format!("sqlite://{}?mode=rwc", dir.join("petition.db").display());
        let store = store::connect(&url).await.expect("store");
        let old = service(&store, before_the_swap(), "2025-12-20");
        // Two denunciations accepted Wed 2025-12-03: 30 days → Fri 2026-01-02 under the old calendar.
        // One is concluded on 12-20 (met), the other is still open.
        let (open, met) = (
            CaseId::from_uuid(Uuid::now_v7()),
            CaseId::from_uuid(Uuid::now_v7()),
        );
        let classify = serde_json::json!({ "within_competence": true });
        for (n, case) in [(1, open), (2, met)] {
            run(&old, case, "2025-12-03", receive(n)).await;
            run(&old, case, "2025-12-03", body("classify", classify.clone())).await;
            run(
                &old,
                case,
                "2025-12-03",
                body("accept", serde_json::Value::Null),
            )
            .await;
        }
        let conclusion = serde_json::json!({
            "outcome": "rejected", "summary": "Concluded.", "decision_number": "7/KL"
        });
        run(&old, met, "2025-12-20", body("issue-decision", conclusion)).await;

        // After the announcement: Fri 01-02 is a day off, so the open period rolls to Mon 2026-01-05.
        let new = clock::Clocks::embedded();
        let (found, manual) = differences(&store, &new).await.expect("check");
        assert!(manual.is_empty(), "{manual:?}");
        let decisions: Vec<_> = found
            .iter()
            .filter(|d| d.deadline == DeadlineKey::Decision)
            .collect();
        assert_eq!(decisions.len(), 1, "{found:#?}");
        let d = decisions[0];
        assert_eq!(d.case_id, open.to_string());
        assert_eq!(
            (d.old_due, d.new_due),
            (date("2026-01-02"), date("2026-01-05"))
        );
        assert!(d.why.contains("holiday calendar"), "{}", d.why);

        let corrections = service(&store, new.clone(), "2025-12-26");
        let why =
            domain::Text::parse("Friday 2026-01-02 announced as a day off (12729/VPCP-KGVX).")
                .expect("text");
        let (recorded, _) = apply(&corrections, &found, &why, date("2025-12-26"))
            .await
            .expect("apply");
        assert_eq!(recorded, found.len());
        // Idempotent: the same differences again record nothing, and check now finds none.
        let (again, _) = apply(&corrections, &found, &why, date("2025-12-26"))
            .await
            .expect("apply again");
        assert_eq!(again, 0);
        assert!(differences(&store, &new).await.expect("check").0.is_empty());

        let (_, state) = corrections.load(open).await.expect("load");
        let due = |s: &domain::CaseState| {
            s.deadline(DeadlineKey::Decision)
                .expect("decision")
                .deadline
                .due
        };
        assert_eq!(due(&state), date("2026-01-05"));
        // The one overdue definition (case view, watcher) uses the corrected date.
        assert!(!state.is_overdue(DeadlineKey::Decision, date("2026-01-05")));
        assert_eq!(
            state.days_overdue(DeadlineKey::Decision, date("2026-01-06")),
            Some(1)
        );
        let (_, met_state) = corrections.load(met).await.expect("load");
        assert_eq!(due(&met_state), date("2026-01-02"));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
