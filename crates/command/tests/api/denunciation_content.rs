//! A denunciation's subject and content (ADR 0016): shown only to the resolving agency and the inspectorate,
//! `[withheld]` for every other reader, and the denouncer's identity in no one's case view or history.

use crate::denunciation::{
    CONTENT, DENOUNCER, SUBJECT, at_own, denunciation, get, policy, principals, receive, token_of,
    tokens,
};
use crate::privacy::spawn_sealed_app_with;

#[tokio::test]
async fn a_denunciations_subject_and_content_are_shown_only_to_the_resolving_agency_and_the_inspectorate()
 {
    let app = spawn_sealed_app_with(tokens()).await;
    let policy = policy();
    let case = receive(&app, &denunciation()).await;
    let mut shown = Vec::new();
    for p in principals() {
        if !policy.decide(&p, "read-events", &at_own(&case)).allowed {
            continue;
        }
        let response = get(
            &app,
            &token_of(&p),
            &format!("/api/v1/petitions/{case}/events"),
        )
        .await;
        assert_eq!(response.status(), 200, "{}", p.actor);
        let text = response.text().await.expect("body");
        let visible = policy
            .decide(&p, "read-denunciation-content", &at_own(&case))
            .allowed;
        assert_eq!(text.contains(SUBJECT), visible, "{}: {text}", p.actor);
        assert_eq!(text.contains(CONTENT), visible, "{}", p.actor);
        if !visible {
            assert!(text.contains("[withheld]"), "{}", p.actor);
        } else {
            shown.push(p.actor.clone());
        }
        // Nobody reads the identity through the case's history, whatever their role.
        for secret_value in DENOUNCER {
            assert!(
                !text.contains(secret_value),
                "{} reads {secret_value}",
                p.actor
            );
        }
        let view = get(&app, &token_of(&p), &format!("/api/v1/petitions/{case}"))
            .await
            .text()
            .await
            .expect("body");
        for secret_value in DENOUNCER {
            assert!(
                !view.contains(secret_value),
                "{} reads {secret_value}",
                p.actor
            );
        }
    }
    for who in [
        "handling_officer@UBND-HN.HOAN-KIEM",
        "leader@UBND-HN",
        "inspectorate@TT-HN",
    ] {
        assert!(
            shown.iter().any(|a| a == who),
            "{who} does not see the content: {shown:?}"
        );
    }
    for who in [
        "auditor@*",
        "intake_officer@UBND-HN.HOAN-KIEM",
        "identity_custodian@*",
    ] {
        assert!(!shown.iter().any(|a| a == who), "{who} sees the content");
    }
    app.drop_database().await;
}
