//! Mail templates (minijinja): `templates/mail/{fr,en}.jinja` hold each kind's subject, text
//! body and action label as blocks; `layout.html.jinja` turns the same text into the HTML part.

use minijinja::{Environment, Value, context};

use crate::{
    config::Locale,
    error::{ApiError, ApiResult},
};

pub struct Templates {
    env: Environment<'static>,
}

/// A mail's text, ready for the outbox.
pub struct Rendered {
    pub subject: String,
    pub text: String,
    pub html: String,
}

impl Templates {
    pub fn new() -> ApiResult<Self> {
        let mut env = Environment::new();
        for (name, source) in [
            ("fr", include_str!("../../templates/mail/fr.jinja")),
            ("en", include_str!("../../templates/mail/en.jinja")),
            (
                "layout.html",
                include_str!("../../templates/mail/layout.html.jinja"),
            ),
            (
                "unsubscribe.html",
                include_str!("../../templates/pages/unsubscribe.html.jinja"),
            ),
            (
                "report.html",
                include_str!("../../templates/pages/report.html.jinja"),
            ),
        ] {
            env.add_template(name, source).map_err(ApiError::internal)?;
        }
        Ok(Self { env })
    }

    /// Renders the page `name` (`templates/pages/<name>.html.jinja`) in `locale`.
    pub fn page(&self, name: &str, locale: Locale, values: Value) -> ApiResult<String> {
        self.env
            .get_template(&format!("{name}.html"))
            .and_then(|page| page.render(context! { locale => locale.code(), ..values }))
            .map_err(ApiError::internal)
    }

    /// Renders mail `kind` in `locale` with `values` (a minijinja context).
    pub fn render(&self, kind: &str, locale: Locale, values: Value) -> ApiResult<Rendered> {
        let template = self
            .env
            .get_template(locale.code())
            .map_err(ApiError::internal)?;
        let mut captured = template
            .render_captured(values.clone())
            .map_err(ApiError::internal)?;
        let mut block = |part: &str| {
            captured
                .with_state_mut(|state| state.render_block(&format!("{kind}_{part}")))
                .map(|text| text.trim().to_owned())
        };
        let subject = block("subject").map_err(ApiError::internal)?;
        let text = block("body").map_err(ApiError::internal)?;
        // Not every kind has a button.
        let action = block("action").ok().filter(|action| !action.is_empty());
        let paragraphs: Vec<Vec<String>> = text
            .split("\n\n")
            .map(|paragraph| paragraph.lines().map(str::to_owned).collect())
            .collect();
        let html = self
            .env
            .get_template("layout.html")
            .and_then(|layout| {
                layout.render(context! {
                    locale => locale.code(),
                    subject => &subject,
                    paragraphs => paragraphs,
                    action => action,
                    link => values.get_attr("link").ok(),
                })
            })
            .map_err(ApiError::internal)?;
        Ok(Rendered {
            subject,
            text,
            html,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_renders_in_both_languages() {
        let templates = Templates::new().unwrap();
        for kind in [
            "invitation_account",
            "invitation_activity",
            "registration_confirmed",
            "registration_waitlisted",
            "promoted",
            "registration_cancelled",
            "activity_cancelled",
            "activity_changed",
            "reminder",
            "question_overdue",
            "password_reset",
            "staff_message",
            "survey_invitation",
            "club_minutes",
            "group_post",
            "group_reply",
            "group_answer_accepted",
            "group_digest",
            "certificate",
            "organisation_joined",
            "monthly_report",
        ] {
            for locale in [Locale::Fr, Locale::En] {
                let mail = templates
                    .render(
                        kind,
                        locale,
                        context! { name => "Ann", activity => "Canva <pour> menus", inviter => "Léa",
                                   link => "https://klub.example/x", when => "lundi", reason => "Orage",
                                   position => 2, expires => "7 décembre", subject => "Canva <pour> menus",
                                   message => "Bring it", sender => "Léa", title => "Canva <pour> menus",
                                   group => "Club", author => "Bob", body => "Hi", by => "Léa",
                                   unsubscribe => "https://klub.example/u", day => "lundi",
                                   number => "KLUB-1", hours => 3, organisation => "Canva <pour> menus",
                                   questions => [context! { text => "Q", answer => "A" }],
                                   threads => [context! { title => "T", new => true, replies => 2, link => "x" }] },
                    )
                    .unwrap();
                assert!(!mail.subject.is_empty(), "{kind} {locale:?}");
                assert!(
                    mail.text.contains("Canva <pour> menus")
                        || [
                            "invitation_account",
                            "question_overdue",
                            "password_reset",
                            "group_digest",
                            "monthly_report"
                        ]
                        .contains(&kind)
                );
                assert!(
                    !mail.html.contains("<pour>"),
                    "HTML is escaped: {}",
                    mail.html
                );
            }
        }
    }
}
