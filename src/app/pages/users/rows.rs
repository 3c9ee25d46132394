//! The users table's rows, written as plain HTML.
//!
//! A page of 50 users is what staff load most, and it is the same page at a million users as at
//! ten. Rendered as hydrated views, each row went out twice (as HTML, and again in the hydration
//! data the browser rebuilt it from) with a hydration marker after every text: 49 KB a page. Yet a
//! row holds nothing reactive: the router takes its link's clicks like any link's, and the table
//! handles its checkbox with every other row's (`Results`). So the rows are written here, maud
//! escaping every value, and set as the table body's `inner_html`; leptos keeps the HTML the server
//! sent when it hydrates (it sets `inner_html` only when it builds), and the page's hydration data
//! leaves the rows out (`Listed`).

use maud::html;

use crate::app::components::status::{account_tone, kyc_tone};
use crate::app::components::table;
use crate::domain::users::{UserRow, account_label};

/// The rows of one page, each with a checkbox when the member may tick them for a bulk action.
pub fn html(rows: &[UserRow], selectable: bool) -> String {
    html! {
        @for user in rows {
            tr data-user=(user.external_user_id) {
                @if selectable {
                    td { input type="checkbox" aria-label={ "Select " (user.external_user_id) }; }
                }
                td {
                    a href={ "/users/" (user.external_user_id) } class=(table::LINK) { (user.name) }
                    span class=(table::SUB) { (user.external_user_id) }
                }
                td class=(table::CLIP) { (user.email) }
                td { (user.phone) }
                td { (user.country) }
                td { span class=(kyc_tone(user.kyc).badge()) data-kyc=(user.kyc.as_str()) { (user.kyc.label()) } }
                td {
                    span class=(account_tone(&user.account_status).badge()) data-account=(user.account_status) {
                        (account_label(&user.account_status))
                    }
                }
                td class=(table::MUTED) { (user.created_at.display()) }
                td class={ (table::MUTED) " " (table::WIDE_ONLY) } { (user.changed_at.display()) }
            }
        }
    }
    .into_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UtcTime;
    use crate::domain::users::KycState;

    #[test]
    fn every_value_is_escaped_and_each_row_is_one_user() {
        let row = |id: &str, name: &str| UserRow {
            external_user_id: id.into(),
            name: name.into(),
            email: "a&b@example.com".into(),
            phone: "+48 600".into(),
            country: "PL".into(),
            kyc: KycState::Verified,
            account_status: "ACTIVE\"><script>".into(),
            created_at: UtcTime("2026-12-07T10:00:00.000Z".into()),
            changed_at: UtcTime("2026-12-07T11:00:00.000Z".into()),
        };
        let html = html(&[row("u-1", "<b>Anna</b>"), row("u-2", "Ola")], true);
        assert_eq!(html.matches("<tr ").count(), 2);
        assert!(html.contains(r#"<a href="/users/u-1" class="row-link">&lt;b&gt;Anna&lt;/b&gt;</a>"#));
        assert!(html.contains(r#"<input type="checkbox" aria-label="Select u-2">"#));
        assert!(html.contains("a&amp;b@example.com"));
        assert!(html.contains(r#"data-account="ACTIVE&quot;&gt;&lt;script&gt;""#));
        assert!(!html.contains("<script>") && !html.contains("<b>"));
        assert!(html.contains(r#"<span class="badge badge-good" data-kyc="verified">Verified</span>"#));
        assert!(!super::html(&[row("u-3", "Ola")], false).contains("checkbox"));
    }
}
