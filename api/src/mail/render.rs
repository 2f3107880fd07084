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

    /// Every kind of mail, from the templates' own blocks.
    fn kinds() -> Vec<String> {
        include_str!("../../templates/mail/fr.jinja")
            .split("{% block ")
            .filter_map(|block| block.split_once("_subject %}"))
            .map(|(kind, _)| kind.to_owned())
            .collect()
    }

    /// One fixed example holding every value any template reads, so each renders whole.
    fn example() -> Value {
        context! {
            name => "Ann Martin", activity => "Canva <pour> menus", inviter => "Léa Durand",
            link => "https://klub.example/x", when => "lundi 7 décembre 2026, 09:30–12:30",
            reason => "Orage", position => 2, expires => "7 décembre", subject => "Canva <pour> menus",
            message => "Apportez vos photos.", sender => "Léa Durand", title => "Canva <pour> menus",
            group => "Club des partenaires", author => "Bob Petit", body => "Bonjour à tous",
            by => "Léa Durand", unsubscribe => "https://klub.example/u", day => "lundi",
            number => "KLUB-2026-0001", hours => 3, organisation => "Hôtel du Port",
            answer => "Nous avons changé de salle.", realisation => true,
            questions => [context! { text => "Q", answer => "A" }],
            threads => [context! { title => "T", new => true, replies => 2, link => "https://klub.example/t" }],
            more => 3,
        }
    }

    /// Each kind of mail in both languages, subject, text and HTML, compared with its
    /// committed snapshot (`src/mail/snapshots/`): a template change shows in review. After
    /// a deliberate change: `cargo insta review` (or `INSTA_UPDATE=always`).
    #[test]
    fn every_kind_of_mail_matches_its_snapshot_in_both_languages() {
        let templates = Templates::new().unwrap();
        let kinds = kinds();
        assert!(kinds.len() >= 23, "{kinds:?}");
        for kind in &kinds {
            for locale in [Locale::Fr, Locale::En] {
                let mail = templates.render(kind, locale, example()).unwrap();
                assert!(
                    !mail.html.contains("<pour>"),
                    "HTML is escaped: {}",
                    mail.html
                );
                insta::assert_snapshot!(
                    format!("{kind}.{}", locale.code()),
                    format!(
                        "Subject: {}\n\n{}\n\n----- HTML -----\n{}",
                        mail.subject, mail.text, mail.html
                    )
                );
            }
        }
    }

    #[test]
    fn both_languages_have_the_same_kinds() {
        let english: Vec<String> = include_str!("../../templates/mail/en.jinja")
            .split("{% block ")
            .filter_map(|block| block.split_once("_subject %}"))
            .map(|(kind, _)| kind.to_owned())
            .collect();
        assert_eq!(kinds(), english);
    }
}
