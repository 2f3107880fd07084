//! A certificate as a PDF document (see [`crate::pdf`]): of attendance for a workshop, of
//! realisation for a training, on the model of France's ministry of labour (the training body
//! and its declaration number, the trainee and its organisation, the action and its nature,
//! its dates, the hours realised, the signatory).

use entity::evaluation::Mastery;

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
    /// For a training: the training body as the certificate of realisation names it.
    pub realisation: Option<TrainingBody>,
    /// Each programme objective and how far the holder mastered it, when evaluated.
    pub results: Vec<(String, Mastery)>,
}

/// An objective's result, as the certificate prints it.
fn mastery_label(mastery: Mastery, fr: bool) -> &'static str {
    match (mastery, fr) {
        (Mastery::Acquired, true) => "acquis",
        (Mastery::Acquired, false) => "acquired",
        (Mastery::InProgress, true) => "en cours d'acquisition",
        (Mastery::InProgress, false) => "in progress",
        (Mastery::NotAcquired, true) => "non acquis",
        (Mastery::NotAcquired, false) => "not acquired",
    }
}

/// The evaluation's results, when there were any.
fn results_lines(content: &Content) -> Vec<Line> {
    if content.results.is_empty() {
        return Vec::new();
    }
    let fr = content.locale == Locale::Fr;
    let mut lines = vec![
        Line::blank(),
        Line::title(
            12.0,
            if fr {
                "Résultats de l'évaluation des acquis"
            } else {
                "Results of the evaluation"
            },
        ),
    ];
    lines.extend(content.results.iter().map(|(objective, mastery)| {
        Line::text(
            11.0,
            format!("• {objective} : {}", mastery_label(*mastery, fr)),
        )
    }));
    lines
}

/// The training body that certifies a training's realisation.
pub struct TrainingBody {
    /// Its declaration number, when the office has one (`KLUB_TRAINING_BODY_NUMBER`).
    pub number: Option<String>,
    /// Who signs (`KLUB_TRAINING_BODY_SIGNATORY`); the office's name otherwise.
    pub signatory: Option<String>,
}

pub fn render(content: &Content) -> ApiResult<Vec<u8>> {
    match &content.realisation {
        Some(body) => realisation(content, body),
        None => attendance(content),
    }
}

/// The ministry's model of a certificate of realisation, French first.
fn realisation(content: &Content, body: &TrainingBody) -> ApiResult<Vec<u8>> {
    let fr = content.locale == Locale::Fr;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    let signatory = body.signatory.as_deref().unwrap_or(&content.office);
    let first = content.dates.first().map_or("", String::as_str);
    let last = content.dates.last().map_or("", String::as_str);
    let mut lines = vec![
        Line::title(20.0, content.office.clone()),
        Line::title(
            18.0,
            label("Certificat de réalisation", "Certificate of realisation"),
        ),
        Line::blank(),
        Line::text(
            12.0,
            format!(
                "{} {signatory}, {} {}, {}",
                label("Je soussigné(e)", "I, the undersigned"),
                label(
                    "représentant(e) du dispensateur de l'action concourant au développement des compétences",
                    "representing the provider of the skills development action",
                ),
                content.office,
                label("atteste que :", "certify that:"),
            ),
        ),
        Line::title(12.0, content.holder.clone()),
    ];
    if let Some(organisation) = &content.organisation {
        lines.push(Line::text(
            12.0,
            format!("{} {organisation}", label("de l'entreprise", "of")),
        ));
    }
    lines.extend([
        Line::text(
            12.0,
            format!(
                "{} « {} »",
                label("a suivi l'action", "attended the action"),
                content.activity
            ),
        ),
        Line::text(
            12.0,
            label(
                "Nature de l'action concourant au développement des compétences : action de formation",
                "Nature of the skills development action: training action",
            ),
        ),
        Line::text(
            12.0,
            format!(
                "{} {first} {} {last}",
                label("qui s'est déroulée du", "which took place from"),
                label("au", "to")
            ),
        ),
        Line::text(
            12.0,
            format!(
                "{} {} {}",
                label("pour une durée réalisée de", "for a realised duration of"),
                content.hours,
                label("heures.", "hours.")
            ),
        ),
    ]);
    if let Some(trainer) = &content.trainer {
        lines.push(Line::text(
            12.0,
            format!("{} {trainer}", label("Formateur :", "Trainer:")),
        ));
    }
    lines.extend(results_lines(content));
    lines.extend([
        Line::blank(),
        Line::text(
            11.0,
            format!(
                "{} {}",
                label("Déclaration d'activité n°", "Declaration number"),
                body.number.as_deref().unwrap_or("—")
            ),
        ),
        Line::text(
            12.0,
            format!(
                "{} {}, {signatory}",
                label("Fait le", "Signed on"),
                content.issued
            ),
        ),
    ]);
    lines.extend(number_lines(content));
    pdf::render(
        format!(
            "{} {}",
            label("Certificat de réalisation", "Certificate of realisation"),
            content.number
        ),
        content.office.clone(),
        &lines,
    )
}

/// A certificate of attendance.
fn attendance(content: &Content) -> ApiResult<Vec<u8>> {
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
    ]);
    lines.extend(number_lines(content));
    pdf::render(
        format!("{} {}", label("Attestation", "Certificate"), content.number),
        content.office.clone(),
        &lines,
    )
}

/// The certificate's number, and how to check it.
fn number_lines(content: &Content) -> [Line; 2] {
    let fr = content.locale == Locale::Fr;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    [
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
    ]
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
            realisation: None,
            results: Vec::new(),
        })
        .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
    }
}
