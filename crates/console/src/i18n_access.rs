//! The labels of sign-in through the identity provider, of access refusals and of the auditor page, in the
//! same (key, Vietnamese, English) rows as [`crate::i18n`], which serves them with its own.

pub const LABELS: &[(&str, &str, &str)] = &[
    (
        "forbidden",
        "Quyền của bạn không cho phép xem nội dung này.",
        "Your role and scope do not allow you to see this.",
    ),
    ("sign_in_with", "Đăng nhập qua", "Sign in with"),
    (
        "or_token",
        "hoặc bằng mã truy cập",
        "or with an access token",
    ),
    (
        "idp_down",
        "Không kết nối được nhà cung cấp định danh. Vui lòng thử lại sau.",
        "The identity provider cannot be reached. Please try again later.",
    ),
    (
        "oidc_no_flow",
        "Phiên đăng nhập đã hết hạn hoặc không hợp lệ. Vui lòng đăng nhập lại.",
        "The sign-in expired or is not valid. Please sign in again.",
    ),
    (
        "oidc_refused",
        "Nhà cung cấp định danh không xác nhận được bạn, hoặc tài khoản chưa được cấp quyền.",
        "The identity provider did not confirm you, or the account has no access.",
    ),
    ("audit", "Kiểm toán", "Audit"),
    (
        "audit_intro",
        "Dựng lại hồ sơ tại một ngày, kiểm tra chuỗi băm và tải gói kiểm toán cho petition-verify.",
        "Replay a case as of a date, verify its hash chain and download its audit bundle for petition-verify.",
    ),
    (
        "case_or_code",
        "Mã hồ sơ (UUID) hoặc mã tra cứu",
        "Case id (UUID) or tracking code",
    ),
    ("replay", "Dựng lại", "Replay"),
    ("prev_hash", "Băm trước", "Previous hash"),
    ("personal_part", "Phần dữ liệu cá nhân", "Personal part"),
    (
        "present_hidden",
        "có (không hiển thị)",
        "present (not shown)",
    ),
    ("none_part", "không", "none"),
    (
        "download_export",
        "Tải gói kiểm toán (JSON)",
        "Download the audit bundle (JSON)",
    ),
    (
        "export_unavailable",
        "Gói kiểm toán cần sổ minh bạch (tlog) được bật.",
        "The audit bundle needs the transparency log (tlog) to be on.",
    ),
    (
        "personal_withheld_note",
        "Dữ liệu cá nhân được giữ lại trong gói: chuỗi và bằng chứng vẫn kiểm tra được.",
        "Personal data is withheld from the bundle: the chain and the proofs still verify.",
    ),
    (
        "chain_now",
        "Chuỗi băm (toàn bộ, hiện tại)",
        "Hash chain (whole stream, now)",
    ),
    ("events_as_of", "Sự kiện đến ngày", "Events as of"),
];
