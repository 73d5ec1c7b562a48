//! The console's two languages: Vietnamese (the default, the language of the law) and English.
//!
//! Each label is one row of [`LABELS`], so a missing translation is impossible to write. `?lang=en` or
//! `?lang=vi` switches and is remembered in a cookie.

use std::collections::BTreeMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Vi,
    En,
}

impl Lang {
    pub fn parse(s: &str) -> Option<Lang> {
        match s {
            "vi" => Some(Lang::Vi),
            "en" => Some(Lang::En),
            _ => None,
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Lang::Vi => "vi",
            Lang::En => "en",
        }
    }

    pub fn other(self) -> Lang {
        match self {
            Lang::Vi => Lang::En,
            Lang::En => Lang::Vi,
        }
    }

    /// Picks the text of this language from a (vi, en) pair.
    pub fn pick<'a>(self, vi: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Vi => vi,
            Lang::En => en,
        }
    }

    /// Every label in this language, for templates (`{{ t.overview }}`).
    pub fn labels(self) -> BTreeMap<&'static str, &'static str> {
        LABELS
            .iter()
            .chain(crate::i18n_access::LABELS)
            .map(|(k, vi, en)| (*k, self.pick(vi, en)))
            .collect()
    }
}

/// (key, Vietnamese, English).
const LABELS: &[(&str, &str, &str)] = &[
    ("app", "Sổ đơn thư", "Petition ledger"),
    (
        "console",
        "Bảng điều khiển thanh tra",
        "Inspectorate console",
    ),
    ("overview", "Tổng quan", "Overview"),
    ("watchlist", "Danh sách theo dõi", "Watchlist"),
    ("track", "Tra cứu đơn", "Track a petition"),
    ("sign_in", "Đăng nhập", "Sign in"),
    ("sign_out", "Đăng xuất", "Sign out"),
    ("signed_in_as", "Đăng nhập với tên", "Signed in as"),
    ("switch_lang", "English", "Tiếng Việt"),
    ("period", "Kỳ báo cáo", "Period"),
    ("month", "Tháng", "Month"),
    ("quarter", "Quý", "Quarter"),
    ("half_year", "6 tháng", "Half-year"),
    ("year", "Năm", "Year"),
    ("agency", "Cơ quan", "Agency"),
    ("all_agencies", "Tất cả cơ quan", "All agencies"),
    ("show", "Xem", "Show"),
    ("received", "Tổng số đơn tiếp nhận", "Received"),
    ("carried_over", "Kỳ trước chuyển sang", "Carried over"),
    ("new", "Tiếp nhận mới", "New"),
    ("within_competence", "Thuộc thẩm quyền", "Within competence"),
    ("resolved", "Đã giải quyết", "Resolved"),
    ("resolution_rate", "Tỷ lệ giải quyết", "Resolution rate"),
    ("on_time_rate", "Tỷ lệ đúng hạn", "On-time rate"),
    ("overdue_now", "Đang quá hạn", "Overdue now"),
    ("target", "Chỉ tiêu", "Target"),
    ("below_target", "Dưới chỉ tiêu", "Below target"),
    ("meets_target", "Đạt chỉ tiêu", "Meets target"),
    ("no_data", "Chưa có số liệu", "No data"),
    ("by_period", "Theo kỳ", "By period"),
    (
        "received_vs_resolved",
        "Tiếp nhận và giải quyết theo kỳ",
        "Received and resolved by period",
    ),
    (
        "rate_trend",
        "Tỷ lệ giải quyết theo kỳ (chỉ tiêu 85%)",
        "Resolution rate by period (target 85%)",
    ),
    ("drill_down", "Chi tiết theo cơ quan", "By agency"),
    ("up", "Lên cấp trên", "Up one level"),
    (
        "this_agency",
        "Trực tiếp cơ quan này",
        "This agency directly",
    ),
    ("kind", "Loại đơn", "Kind"),
    ("any", "Tất cả", "Any"),
    ("complaint", "Khiếu nại", "Complaint"),
    ("denunciation", "Tố cáo", "Denunciation"),
    ("recommendation", "Kiến nghị", "Recommendation"),
    ("feedback", "Phản ánh", "Feedback"),
    ("level", "Cấp", "Level"),
    ("commune", "Xã", "Commune"),
    ("province", "Tỉnh", "Province"),
    ("ministry", "Bộ", "Ministry"),
    ("central", "Trung ương", "Central"),
    ("reason", "Lý do theo dõi", "Reason"),
    ("overdue", "Quá hạn", "Overdue"),
    ("prolonged", "Kéo dài", "Prolonged"),
    ("group", "Đông người", "Group"),
    ("above_competent_level", "Vượt cấp", "Level-skipping"),
    (
        "repeatedly_contested",
        "Khiếu nại, tố cáo nhiều lần",
        "Repeatedly appealed",
    ),
    (
        "continued_after_effect",
        "Tiếp tục sau khi có hiệu lực",
        "Continued after effect",
    ),
    ("sort", "Sắp xếp", "Sort"),
    (
        "severity_desc",
        "Nghiêm trọng nhất trước",
        "Most severe first",
    ),
    (
        "severity_asc",
        "Ít nghiêm trọng trước",
        "Least severe first",
    ),
    (
        "days_overdue_desc",
        "Quá hạn lâu nhất trước",
        "Longest overdue first",
    ),
    ("filter", "Lọc", "Filter"),
    ("export_csv", "Xuất CSV", "Export CSV"),
    ("severity", "Mức độ", "Severity"),
    ("tracking_code", "Mã tra cứu", "Tracking code"),
    ("status", "Trạng thái", "Status"),
    ("received_on", "Ngày tiếp nhận", "Received on"),
    ("days_open", "Số ngày", "Days open"),
    ("days_overdue", "Số ngày quá hạn", "Days overdue"),
    ("signatories", "Số người ký", "Signatories"),
    ("appeals", "Lần khiếu nại/tố cáo tiếp", "Appeals"),
    ("previous", "Trang trước", "Previous"),
    ("next", "Trang sau", "Next"),
    ("page", "Trang", "Page"),
    ("of", "trên", "of"),
    ("cases", "hồ sơ", "cases"),
    (
        "nothing_listed",
        "Không có hồ sơ nào.",
        "No case is listed.",
    ),
    ("case", "Hồ sơ", "Case"),
    ("timeline", "Diễn biến", "Timeline"),
    ("as_of", "Tại ngày", "As of"),
    ("now", "Hiện tại", "Now"),
    ("chain", "Chuỗi băm", "Hash chain"),
    (
        "chain_intact",
        "Toàn vẹn: mọi sự kiện khớp với mã băm của nó",
        "Intact: every event matches its hash",
    ),
    (
        "chain_broken",
        "BỊ SỬA ĐỔI: chuỗi băm không khớp",
        "TAMPERED: the hash chain does not match",
    ),
    ("events_checked", "sự kiện đã kiểm tra", "events checked"),
    ("deadlines", "Thời hạn", "Deadlines"),
    ("deadline", "Thời hạn", "Deadline"),
    ("due", "Hạn", "Due"),
    ("rule", "Quy tắc", "Rule"),
    ("legal_basis", "Căn cứ pháp lý", "Legal basis"),
    (
        "how_counted",
        "Cách tính (ngày tính và ngày bỏ qua)",
        "How it was counted (days counted and skipped)",
    ),
    ("event", "Sự kiện", "Event"),
    ("occurred_on", "Ngày", "Date"),
    ("recorded_at", "Ghi nhận lúc", "Recorded at"),
    ("actor", "Người thực hiện", "Actor"),
    ("rulebook", "Bộ quy tắc", "Rulebook"),
    ("hash", "Mã băm", "Hash"),
    ("started", "Bắt đầu", "Started"),
    ("met", "Đúng hạn", "Met"),
    ("late", "Trễ hạn", "Late"),
    ("missed", "Quá hạn", "Missed"),
    ("cancelled", "Hủy", "Cancelled"),
    ("open", "Đang chạy", "Open"),
    (
        "track_intro",
        "Nhập mã tra cứu in trên giấy biên nhận để xem tình trạng đơn của bạn.",
        "Enter the tracking code printed on your receipt to see where your petition stands.",
    ),
    ("look_up", "Tra cứu", "Look up"),
    (
        "not_found_code",
        "Không tìm thấy đơn nào có mã này. Hãy kiểm tra lại mã trên giấy biên nhận.",
        "No petition has this code. Check the code on your receipt.",
    ),
    (
        "invalid_code",
        "Mã tra cứu không hợp lệ. Hãy kiểm tra lại mã trên giấy biên nhận.",
        "This is not a valid tracking code. Check the code on your receipt.",
    ),
    ("next_due", "Hạn tiếp theo", "Next due date"),
    (
        "next_due_meaning",
        "Đây là ngày chậm nhất cơ quan phải thực hiện bước tiếp theo theo quy định. Nếu quá hạn mà chưa có kết quả, bạn có quyền kiến nghị với cơ quan cấp trên hoặc thanh tra.",
        "This is the latest date by which the agency must take its next step under the law. If it passes without a result, you may raise it with the superior agency or the inspectorate.",
    ),
    (
        "no_next_due",
        "Hiện không có thời hạn nào đang chạy.",
        "No statutory clock is running at the moment.",
    ),
    ("handled_by", "Cơ quan đang xử lý", "Handled by"),
    ("accepted_on", "Ngày thụ lý", "Accepted on"),
    ("last_update", "Cập nhật lần cuối", "Last update"),
    ("decisions", "Số quyết định/kết luận", "Decisions"),
    (
        "privacy_note",
        "Trang này không hiển thị họ tên, địa chỉ hay nội dung đơn.",
        "This page never shows a name, an address or the petition's content.",
    ),
    ("token", "Mã truy cập (token)", "Access token"),
    (
        "token_help",
        "Dán mã truy cập API của bạn (với bản cài đặt mặc định: tệp data/dev-token).",
        "Paste your API token (in the embedded default: the file data/dev-token).",
    ),
    (
        "bad_token",
        "Mã truy cập không đúng.",
        "This token is not valid.",
    ),
    (
        "csrf_refused",
        "Biểu mẫu đã hết hạn hoặc không hợp lệ. Hãy tải lại trang và thử lại.",
        "The form has expired or is not valid. Reload the page and try again.",
    ),
    ("not_found", "Không tìm thấy trang", "Page not found"),
    ("error", "Đã có lỗi", "Something went wrong"),
    ("bad_request", "Yêu cầu không hợp lệ", "Bad request"),
    (
        "back_to_overview",
        "Về trang tổng quan",
        "Back to the overview",
    ),
    ("in_progress", "đang xử lý", "in progress"),
    ("working_days", "ngày làm việc", "working days"),
    ("calendar_days", "ngày", "calendar days"),
    ("days", "ngày", "days"),
];
