//! The console shows only what the API's Cedar policy lets the signed-in principal read: an inspectorate of
//! Hà Nội never sees a case of Hồ Chí Minh City (watchlist, CSV, case page, overview drill-down), a handling
//! officer has no watchlist, and an auditor reads histories without personal data.

use crate::harness::{
    HOSTILE_SUBJECT, TOKEN, TOKEN_AUDITOR, TOKEN_INSPECTOR_HN, TOKEN_OFFICER_HCM, TestConsole,
    spawn, unescape,
};

/// (case id, current agency, competent agency) of every row of the watchlist CSV `who` downloads.
async fn csv_rows(c: &TestConsole, who: &str) -> Vec<(String, String, String)> {
    let r = c.get("/console/watchlist.csv", Some(who)).await;
    assert_eq!(r.status(), 200);
    let body = r.text().await.expect("body");
    body.lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[4].to_owned(), f[5].to_owned())
        })
        .collect()
}

fn in_hanoi(agency: &str) -> bool {
    agency == "UBND-HN" || agency.starts_with("UBND-HN.")
}

#[tokio::test]
async fn an_inspectorate_of_hanoi_sees_only_hanoi_cases_in_the_watchlist_csv_and_case_pages() {
    let c = spawn().await;
    let all = c.sign_in_with(TOKEN).await;
    let hn = c.sign_in_with(TOKEN_INSPECTOR_HN).await;
    let everything = csv_rows(&c, &all).await;
    let elsewhere: Vec<_> = everything
        .iter()
        .filter(|(_, cur, comp)| !in_hanoi(cur) && !in_hanoi(comp))
        .collect();
    assert!(
        !elsewhere.is_empty(),
        "the demo has watched cases outside Hà Nội: {everything:?}"
    );
    let mine = csv_rows(&c, &hn).await;
    assert!(!mine.is_empty(), "Hà Nội has watched cases");
    for (id, cur, comp) in &mine {
        assert!(in_hanoi(cur) || in_hanoi(comp), "{id} at {cur}/{comp}");
    }

    let html = unescape(
        &c.get("/console/watchlist", Some(&hn))
            .await
            .text()
            .await
            .expect("body"),
    );
    for (id, _, _) in &elsewhere {
        assert!(!html.contains(id.as_str()), "{id} is not listed");
    }
    assert!(
        !html.contains("value=\"UBND-HCM\""),
        "no filter on an agency outside the jurisdiction"
    );

    let (other, _, _) = elsewhere[0];
    let r = c.get(&format!("/console/cases/{other}"), Some(&hn)).await;
    assert_eq!(r.status(), 403, "another province's case page");
    let r = c
        .get(&format!("/console/audit?case={other}"), Some(&hn))
        .await;
    assert_eq!(r.status(), 403, "another province's history");
    let r = c
        .get(&format!("/console/audit/{other}/export.json"), Some(&hn))
        .await;
    assert_eq!(r.status(), 403, "another province's export");
    let r = c
        .get(&format!("/console/cases/{}", mine[0].0), Some(&hn))
        .await;
    assert_eq!(r.status(), 200, "a case of its own jurisdiction");

    let r = c.get("/console/watchlist?agency=UBND-HCM", Some(&hn)).await;
    assert_eq!(r.status(), 403, "filtering on another province");
    let r = c
        .get("/console/watchlist.csv?agency=UBND-HCM", Some(&hn))
        .await;
    assert_eq!(r.status(), 403, "exporting another province");
}

#[tokio::test]
async fn the_overview_of_an_inspectorate_of_hanoi_drills_down_only_into_hanoi() {
    let c = spawn().await;
    let all = c.sign_in_with(TOKEN).await;
    let hn = c.sign_in_with(TOKEN_INSPECTOR_HN).await;
    let everything = unescape(
        &c.get("/console?period=year", Some(&all))
            .await
            .text()
            .await
            .expect("body"),
    );
    assert!(
        everything.contains("agency=UBND-HCM\""),
        "the whole state drills into HCM"
    );
    let r = c.get("/console?period=year", Some(&hn)).await;
    assert_eq!(r.status(), 200);
    let html = unescape(&r.text().await.expect("body"));
    assert!(
        html.contains("agency=UBND-HN\""),
        "its own province: {html}"
    );
    assert!(!html.contains("UBND-HCM"), "nothing of Hồ Chí Minh City");
    let r = c
        .get("/console?period=year&agency=UBND-HCM", Some(&hn))
        .await;
    assert_eq!(r.status(), 403);
}

#[tokio::test]
async fn a_handling_officer_has_no_watchlist_and_reads_only_its_own_agencys_cases() {
    let c = spawn().await;
    let officer = c.sign_in_with(TOKEN_OFFICER_HCM).await;
    assert_eq!(
        c.get("/console/watchlist", Some(&officer)).await.status(),
        403
    );
    assert_eq!(
        c.get("/console/watchlist.csv", Some(&officer))
            .await
            .status(),
        403
    );
    let hostile = c.hostile_case.to_string();
    let r = c
        .get(&format!("/console/cases/{hostile}"), Some(&officer))
        .await;
    assert_eq!(r.status(), 403, "a Hà Nội case");
    let html = c
        .get("/console?period=year", Some(&officer))
        .await
        .text()
        .await
        .expect("body");
    assert!(!html.contains("UBND-HN"), "no Hà Nội statistics");
}

#[tokio::test]
async fn an_auditor_reads_a_case_history_without_its_subject_and_exports_it_without_personal_data()
{
    let c = spawn().await;
    let auditor = c.sign_in_with(TOKEN_AUDITOR).await;
    let inspector = c.sign_in_with(TOKEN).await;
    let id = c.hostile_case.to_string();
    let escaped = "&lt;script&gt;";
    let seen = c
        .get(&format!("/console/cases/{id}"), Some(&inspector))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        seen.contains(escaped),
        "the inspectorate sees the subject {HOSTILE_SUBJECT}"
    );
    let r = c.get(&format!("/console/cases/{id}"), Some(&auditor)).await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(!html.contains(escaped), "the auditor does not");

    let export = |who: String| {
        let c = &c;
        let id = id.clone();
        async move {
            let r = c
                .get(&format!("/console/audit/{id}/export.json"), Some(&who))
                .await;
            assert_eq!(r.status(), 200);
            assert!(
                r.headers()["content-disposition"]
                    .to_str()
                    .expect("ascii")
                    .starts_with("attachment")
            );
            r.json::<serde_json::Value>().await.expect("json")
        }
    };
    let full = export(inspector).await;
    assert!(
        full["events"][0].get("personal").is_some(),
        "the receipt has a personal part: {full}"
    );
    let withheld = export(auditor).await;
    let first = &withheld["events"][0];
    assert!(first.get("personal").is_none(), "{first}");
    assert_eq!(first["personal_withheld"], true);
    assert_eq!(first["hash"], full["events"][0]["hash"], "the same event");
    assert!(!withheld.to_string().contains("Nguyễn Văn Tấn Công"));
}

#[tokio::test]
async fn the_auditor_page_replays_a_case_as_of_a_date_and_verifies_its_chain() {
    let c = spawn().await;
    let auditor = c.sign_in_with(TOKEN_AUDITOR).await;
    let code = c.hostile_code.clone();
    let r = c
        .get(
            &format!("/console/audit?case={code}&lang=en"),
            Some(&auditor),
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = unescape(&r.text().await.expect("body"));
    assert!(html.contains("✔"), "the chain verifies: {html}");
    assert!(html.contains("1 events checked"), "{html}");
    assert!(html.contains("petition.received"), "the receipt is listed");
    assert!(html.contains(&format!("/console/audit/{}/export.json", c.hostile_case)));

    let yesterday = (command::local_date(chrono::Utc::now()) - chrono::Days::new(1)).to_string();
    let r = c
        .get(
            &format!("/console/audit?case={code}&as_of={yesterday}&lang=en"),
            Some(&auditor),
        )
        .await;
    assert_eq!(r.status(), 200);
    let html = r.text().await.expect("body");
    assert!(html.contains("(0)"), "nothing was recorded by yesterday");
    assert!(!html.contains("petition.received"));

    assert_eq!(
        c.get("/console/audit?case=not-a-case", Some(&auditor))
            .await
            .status(),
        404
    );
    let unknown = uuid::Uuid::now_v7();
    let officer = c.sign_in_with(TOKEN_OFFICER_HCM).await;
    for path in [
        format!("/console/audit?case={unknown}"),
        format!("/console/cases/{unknown}"),
    ] {
        // As the API judges an unknown case: at the principal's own agency, where both could read one.
        assert_eq!(c.get(&path, Some(&auditor)).await.status(), 404, "{path}");
        assert_eq!(c.get(&path, Some(&officer)).await.status(), 404, "{path}");
    }
    assert_eq!(
        c.get("/console/audit?case=x&as_of=someday", Some(&auditor))
            .await
            .status(),
        400
    );
}
