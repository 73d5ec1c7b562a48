//! Petitioners are told by e-mail, through a real SMTP exchange, in their language; operators can override
//! templates. (With no SMTP server, see `outcomes.rs`.)

use domain::{Lang, PetitionKind};

use crate::helpers::{Backend, TestCase, World, person, receive};

async fn a_received_petition_is_mailed(backend: Backend) {
    let world = World::start(backend).await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Complaint,
            vec![person("Nguyễn Văn An", "an@example.vn", None)],
            vec![],
        ),
    )
    .await;
    world.pump().await;

    let mails = world.mails(1).await;
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    let code = case.tracking_code();
    assert_eq!(mail.rcpt, vec!["an@example.vn".to_owned()]);
    assert_eq!(mail.to, "an@example.vn");
    assert!(mail.subject.contains(&code), "{}", mail.subject);
    assert!(
        mail.subject.contains("Đã tiếp nhận đơn khiếu nại"),
        "{}",
        mail.subject
    );
    assert_eq!(mail.lang, "vi");
    assert!(
        mail.body.contains("01/07/2026"),
        "Vietnamese date format: {}",
        mail.body
    );
    assert!(
        mail.body.contains(&format!(
            "Tra cứu tình trạng hồ sơ: https://tiepdan.example.vn/tra-cuu/{code}"
        )),
        "{}",
        mail.body
    );
    assert!(
        mail.body.contains("Ủy ban nhân dân phường Hoàn Kiếm"),
        "agency name: {}",
        mail.body
    );
    assert!(
        mail.message_id.ends_with("@tiepdan.example.vn"),
        "{}",
        mail.message_id
    );
    let log = world.notifier.deliveries().await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].status, notifier::DeliveryStatus::Sent);
    assert_eq!(log[0].template_id, "received");
}

#[tokio::test]
async fn a_received_petition_is_mailed_in_vietnamese_with_its_tracking_code_on_sqlite() {
    a_received_petition_is_mailed(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_received_petition_is_mailed_in_vietnamese_with_its_tracking_code_on_postgres() {
    a_received_petition_is_mailed(Backend::Postgres).await;
}

#[tokio::test]
async fn an_english_speaker_is_told_in_english_with_english_dates() {
    let world = World::start(Backend::Sqlite).await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Complaint,
            vec![person("John Smith", "john@example.com", Some(Lang::En))],
            vec![],
        ),
    )
    .await;
    world.pump().await;
    let mail = &world.mails(1).await[0];
    assert_eq!(mail.lang, "en");
    assert!(
        mail.subject.contains("Your complaint has been received"),
        "{}",
        mail.subject
    );
    assert!(mail.body.contains("1 July 2026"), "{}", mail.body);
    assert!(mail.body.contains(&format!(
        "Look up your case: https://tiepdan.example.vn/tra-cuu/{}",
        case.tracking_code()
    )));
}

#[tokio::test]
async fn operator_templates_override_the_embedded_ones() {
    let dir = std::env::temp_dir().join(format!("notifier-templates-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(dir.join("vi")).expect("dir");
    std::fs::write(dir.join("vi/received.j2"), "Hồ sơ {{ tracking_code }} đã nhận\n\nMẫu riêng của tỉnh. {{ occurred_on|date }}\n{% include \"vi/_lookup\" %}\n").expect("write");
    let world = World::with(Backend::Sqlite, |s| notifier::NotifierSettings {
        templates_dir: Some(dir.clone()),
        ..s
    })
    .await;
    let mut case = TestCase::new(&world.store);
    case.step(
        "2026-07-01",
        receive(
            PetitionKind::Complaint,
            vec![person("Nguyễn Văn An", "an@example.vn", None)],
            vec![],
        ),
    )
    .await;
    world.pump().await;
    let mail = &world.mails(1).await[0];
    assert_eq!(
        mail.subject,
        format!("Hồ sơ {} đã nhận", case.tracking_code())
    );
    assert!(
        mail.body.contains("Mẫu riêng của tỉnh. 01/07/2026"),
        "{}",
        mail.body
    );
}
