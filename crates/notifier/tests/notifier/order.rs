//! Many cases in one page: first attempts of different cases run side by side, and each case's messages still
//! reach its petitioner in the order of the steps that caused them.

use std::collections::HashMap;

use domain::{Accept, PetitionKind, Resume, Suspend};

use crate::helpers::{Backend, TestCase, World, person, receive, text, within_competence};

#[tokio::test]
async fn cases_of_one_page_are_mailed_concurrently_each_in_the_order_of_its_steps() {
    const CASES: usize = 12;
    let world = World::start(Backend::Sqlite).await;
    let mut cases: Vec<TestCase> = (0..CASES).map(|_| TestCase::new(&world.store)).collect();
    // Round-robin over the cases, so the page interleaves them: case 0's step, case 1's step, ...
    for (i, case) in cases.iter_mut().enumerate() {
        let people = vec![person("Nguyễn Văn An", &format!("p{i}@example.vn"), None)];
        case.step(
            "2026-07-01",
            receive(PetitionKind::Complaint, people, vec![]),
        )
        .await;
    }
    for case in &mut cases {
        case.step("2026-07-02", within_competence()).await;
    }
    for case in &mut cases {
        case.step("2026-07-03", Accept {}).await;
    }
    for case in &mut cases {
        let reason = text("Chờ hồ sơ địa chính.");
        case.step("2026-07-06", Suspend { reason }).await;
    }
    for case in &mut cases {
        let reason = text("Đã có hồ sơ địa chính.");
        case.step("2026-07-08", Resume { reason }).await;
    }
    world.pump().await;

    let expected = ["received", "accepted", "suspended", "resumed"];
    let mails = world.mails(CASES * expected.len()).await;
    assert_eq!(mails.len(), CASES * expected.len());
    let template_of: HashMap<String, String> = world
        .notifier
        .deliveries()
        .await
        .expect("log")
        .into_iter()
        .map(|d| (d.id, d.template_id))
        .collect();
    // In arrival order at the SMTP server, per petitioner.
    let mut arrived: HashMap<String, Vec<String>> = HashMap::new();
    for mail in &mails {
        let id = mail
            .message_id
            .trim_matches(['<', '>'])
            .split('@')
            .next()
            .unwrap_or_default();
        let template = template_of
            .get(id)
            .unwrap_or_else(|| panic!("mail {} has no delivery", mail.message_id));
        arrived
            .entry(mail.to.clone())
            .or_default()
            .push(template.clone());
    }
    assert_eq!(arrived.len(), CASES, "{arrived:#?}");
    for (to, templates) in &arrived {
        assert_eq!(templates, &expected, "{to} was told out of order");
    }
    // Side by side, not one case after another: some run of four arrivals mixes petitioners.
    let one_after_another = mails
        .chunks(expected.len())
        .all(|run| run.iter().all(|m| m.to == run[0].to));
    assert!(
        !one_after_another,
        "the cases were mailed one after another"
    );
}
