//! A certificate as a PDF document, drawn by krilla with the Libertinus Serif fonts that
//! `typst-assets` ships inside the binary, so nothing needs installing.

use std::sync::LazyLock;

use krilla::{
    Document,
    geom::Point,
    metadata::Metadata,
    page::PageSettings,
    text::{Font, TextDirection},
};

use crate::{
    config::Locale,
    error::{ApiError, ApiResult},
};

/// `typst_assets::fonts()` lists Libertinus Serif Regular first and Bold second.
static FONTS: LazyLock<Option<(Font, Font)>> = LazyLock::new(|| {
    let mut fonts = typst_assets::fonts();
    let regular = Font::new(fonts.next()?.into(), 0)?;
    let bold = Font::new(fonts.next()?.into(), 0)?;
    Some((regular, bold))
});

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

const WIDTH: f32 = 595.0; // A4, in points
const HEIGHT: f32 = 842.0;
const LEFT: f32 = 72.0;

pub fn render(content: &Content) -> ApiResult<Vec<u8>> {
    let (regular, bold) = FONTS
        .clone()
        .ok_or_else(|| ApiError::internal("the certificate fonts did not load"))?;
    let fr = content.locale == Locale::Fr;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    let mut lines: Vec<(bool, f32, String)> = vec![
        (true, 24.0, content.office.clone()),
        (
            true,
            20.0,
            label("Attestation de présence", "Certificate of attendance").to_owned(),
        ),
        (false, 12.0, String::new()),
        (
            false,
            12.0,
            format!(
                "{} {}",
                label("Nous certifions que", "We certify that"),
                content.holder
            ),
        ),
    ];
    if let Some(organisation) = &content.organisation {
        lines.push((false, 12.0, format!("{} {organisation}", label("de", "of"))));
    }
    lines.push((
        false,
        12.0,
        format!("{} « {} »", label("a suivi", "attended"), content.activity),
    ));
    lines.push((
        false,
        12.0,
        format!(
            "{} {}",
            label("Dates :", "Dates:"),
            content.dates.join(", ")
        ),
    ));
    lines.push((
        false,
        12.0,
        format!(
            "{} {}",
            label("Heures suivies :", "Hours attended:"),
            content.hours
        ),
    ));
    if let Some(trainer) = &content.trainer {
        lines.push((
            false,
            12.0,
            format!("{} {trainer}", label("Formateur :", "Trainer:")),
        ));
    }
    lines.push((false, 12.0, String::new()));
    lines.push((
        false,
        12.0,
        format!("{} {}", label("Délivrée le", "Issued on"), content.issued),
    ));
    lines.push((
        true,
        12.0,
        format!("{} {}", label("Numéro :", "Number:"), content.number),
    ));
    lines.push((
        false,
        10.0,
        label(
            "Vérifiable avec ce numéro auprès de l'organisme.",
            "This number can be checked with the issuing office.",
        )
        .to_owned(),
    ));

    let mut document = Document::new();
    document.set_metadata(
        Metadata::new()
            .title(format!(
                "{} {}",
                label("Attestation", "Certificate"),
                content.number
            ))
            .creator(content.office.clone()),
    );
    let settings =
        PageSettings::from_wh(WIDTH, HEIGHT).ok_or_else(|| ApiError::internal("page size"))?;
    let mut page = document.start_page_with(settings);
    let mut surface = page.surface();
    let mut y = 120.0;
    for (strong, size, text) in &lines {
        if !text.is_empty() {
            let font = if *strong {
                bold.clone()
            } else {
                regular.clone()
            };
            surface.draw_text(
                Point::from_xy(LEFT, y),
                font,
                *size,
                text,
                false,
                TextDirection::Auto,
            );
        }
        y += size * 1.8;
    }
    surface.finish();
    page.finish();
    document
        .finish()
        .map_err(|error| ApiError::internal(format!("PDF: {error:?}")))
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
