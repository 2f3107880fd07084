//! A certificate as a PDF document (see [`crate::pdf`]).

use crate::{
    config::Locale,
    error::ApiResult,
    pdf::{self, Line},
};

/// What a certificate says, ready to print.
pub struct Content {
    pub locale: Locale,
    pub number: String,
    pub holder: String,
    pub organisation: Option<String>,
    pub activity: String,
    /// The sessions' days, as the holder writes dates.
    pub dates: Vec<String>,
    pub hours: String,
    pub trainer: Option<String>,
    pub office: String,
    pub issued: String,
}

pub fn render(content: &Content) -> ApiResult<Vec<u8>> {
    let fr = content.locale == Locale::Fr;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    let mut lines = vec![
        Line::title(24.0, content.office.clone()),
        Line::title(
            20.0,
            label("Attestation de présence", "Certificate of attendance"),
        ),
        Line::blank(),
        Line::text(
            12.0,
            format!(
                "{} {}",
                label("Nous certifions que", "We certify that"),
                content.holder
            ),
        ),
    ];
    if let Some(organisation) = &content.organisation {
        lines.push(Line::text(
            12.0,
            format!("{} {organisation}", label("de", "of")),
        ));
    }
    lines.extend([
        Line::text(
            12.0,
            format!("{} « {} »", label("a suivi", "attended"), content.activity),
        ),
        Line::text(
            12.0,
            format!(
                "{} {}",
                label("Dates :", "Dates:"),
                content.dates.join(", ")
            ),
        ),
        Line::text(
            12.0,
            format!(
                "{} {}",
                label("Heures suivies :", "Hours attended:"),
                content.hours
            ),
        ),
    ]);
    if let Some(trainer) = &content.trainer {
        lines.push(Line::text(
            12.0,
            format!("{} {trainer}", label("Formateur :", "Trainer:")),
        ));
    }
    lines.extend([
        Line::blank(),
        Line::text(
            12.0,
            format!("{} {}", label("Délivrée le", "Issued on"), content.issued),
        ),
        Line::title(
            12.0,
            format!("{} {}", label("Numéro :", "Number:"), content.number),
        ),
        Line::text(
            10.0,
            label(
                "Vérifiable avec ce numéro auprès de l'organisme.",
                "This number can be checked with the issuing office.",
            ),
        ),
    ]);
    pdf::render(
        format!("{} {}", label("Attestation", "Certificate"), content.number),
        content.office.clone(),
        &lines,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_certificate_is_a_pdf() {
        let pdf = render(&Content {
            locale: Locale::Fr,
            number: "KLUB-ABCD".into(),
            holder: "Léa Hôtelière".into(),
            organisation: Some("Hôtel du Port".into()),
            activity: "Canva".into(),
            dates: vec!["02/12/2026".into()],
            hours: "3".into(),
            trainer: None,
            office: "Office de tourisme".into(),
            issued: "03/12/2026".into(),
        })
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
