//! Reading the partners' spreadsheet as offices' contact tools export it: UTF-8 (with or
//! without a byte-order mark) or Windows-1252, commas or semicolons, a header row naming the
//! columns in French or English, in any order. Each row is checked on its own: a bad row is
//! reported with its line and the others are kept.

use std::collections::HashMap;

use encoding_rs::{Encoding, WINDOWS_1252};
use entity::organisation::Sector;
use unicode_normalization::UnicodeNormalization;

use crate::{
    config::Locale,
    error::{ApiError, ApiResult},
    organisations::service::{MAX_COMMUNE_CHARS, MAX_NAME_CHARS},
    people::{Email, fields::optional_phone},
    validation::{optional_text, required_text},
};

/// Rows one file may hold: a large office has a few thousand partners.
pub const MAX_ROWS: usize = 10_000;

/// One person of the spreadsheet, checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartnerRow {
    /// The line of the file the row starts on (the header is line 1).
    pub line: usize,
    pub email: Email,
    pub name: String,
    pub organisation: Option<String>,
    /// OTHER when the file says nothing Klub recognises.
    pub sector: Sector,
    pub commune: Option<String>,
    pub phone: Option<String>,
    /// `None` when the file gives no language Klub speaks.
    pub locale: Option<Locale>,
}

/// A row left out, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

/// What a file holds: the good rows and the reasons for the others.
#[derive(Debug, Default)]
pub struct Sheet {
    pub rows: Vec<PartnerRow>,
    pub errors: Vec<RowError>,
}

/// The file's text: a byte-order mark says the encoding (UTF-8 or UTF-16); otherwise UTF-8 when
/// the bytes are valid UTF-8, else Windows-1252, what French spreadsheets save as "CSV".
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom_length)) = Encoding::for_bom(bytes) {
        let (text, _) = encoding.decode_without_bom_handling(&bytes[bom_length..]);
        return text.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_owned(),
        Err(_) => WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned(),
    }
}

/// The columns Klub reads, by what their header may say (compared by [`folded`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Column {
    Email,
    Name,
    FirstName,
    LastName,
    Organisation,
    Sector,
    Commune,
    Phone,
    Language,
}

const HEADERS: [(Column, &[&str]); 9] = [
    (
        Column::Email,
        &[
            "email",
            "mail",
            "courriel",
            "emailaddress",
            "adressemail",
            "adresseemail",
            "adressecourriel",
            "adresseelectronique",
        ],
    ),
    (
        Column::Name,
        &[
            "name",
            "fullname",
            "nomcomplet",
            "contact",
            "nometprenom",
            "prenometnom",
            "nomprenom",
            "prenomnom",
        ],
    ),
    (Column::FirstName, &["prenom", "firstname", "givenname"]),
    (
        Column::LastName,
        &["nom", "lastname", "surname", "familyname", "nomdefamille"],
    ),
    (
        Column::Organisation,
        &[
            "organisation",
            "organization",
            "structure",
            "entreprise",
            "etablissement",
            "societe",
            "company",
            "business",
            "raisonsociale",
        ],
    ),
    (
        Column::Sector,
        &[
            "sector",
            "secteur",
            "secteurdactivite",
            "activite",
            "categorie",
            "category",
            "type",
        ],
    ),
    (
        Column::Commune,
        &[
            "commune",
            "ville",
            "city",
            "town",
            "localite",
            "municipality",
        ],
    ),
    (
        Column::Phone,
        &[
            "phone",
            "telephone",
            "tel",
            "mobile",
            "portable",
            "phonenumber",
            "numerodetelephone",
        ],
    ),
    (Column::Language, &["language", "langue", "locale", "lang"]),
];

/// Words of a sector cell, first match wins ("Hôtel-restaurant" is accommodation).
const SECTORS: [(Sector, &[&str]); 7] = [
    (
        Sector::Accommodation,
        &[
            "accommodation",
            "hebergement",
            "hotel",
            "camping",
            "gite",
            "chambredhote",
            "chambresdhote",
            "lodging",
        ],
    ),
    (
        Sector::Food,
        &[
            "food",
            "restaura",
            "cafe",
            "bar",
            "brasserie",
            "traiteur",
            "creperie",
        ],
    ),
    (
        Sector::Producer,
        &[
            "producer", "product", "ferme", "farm", "vigne", "viticult", "agricult",
        ],
    ),
    (
        Sector::Shop,
        &[
            "shop", "commerce", "boutique", "magasin", "epicerie", "retail",
        ],
    ),
    (
        Sector::Leisure,
        &[
            "leisure", "loisir", "sport", "musee", "museum", "visite", "culture",
        ],
    ),
    (Sector::Association, &["association", "asso"]),
    (
        Sector::Institution,
        &[
            "institution",
            "collectivite",
            "mairie",
            "office",
            "administration",
        ],
    ),
];

/// Lower case, accents and everything but letters and digits removed: "Adresse e-mail" and
/// "adresse_email" are the same header, "Hôtel" and "hotel" the same word.
fn folded(text: &str) -> String {
    text.nfd()
        .filter(char::is_ascii_alphanumeric)
        .flat_map(char::to_lowercase)
        .collect()
}

/// The delimiter of the header line: whichever of `;`, `,` and tab it holds most, as a French
/// spreadsheet writes `;` where an English one writes `,`.
fn delimiter(header: &str) -> u8 {
    [b';', b',', b'\t']
        .into_iter()
        .max_by_key(|d| header.bytes().filter(|b| b == d).count())
        .filter(|d| header.as_bytes().contains(d))
        .unwrap_or(b',')
}

/// Which column of the file holds what. "Nom" alone is the whole name; beside a "Prénom" it is
/// the family name.
fn columns(header: &csv::StringRecord) -> ApiResult<HashMap<Column, usize>> {
    let mut found = HashMap::new();
    for (index, title) in header.iter().enumerate() {
        let title = folded(title);
        if let Some((column, _)) = HEADERS.iter().find(|(_, names)| names.contains(&&*title)) {
            found.entry(*column).or_insert(index);
        }
    }
    if !found.contains_key(&Column::FirstName)
        && let Some(index) = found.remove(&Column::LastName)
    {
        found.entry(Column::Name).or_insert(index);
    }
    if !found.contains_key(&Column::Email) {
        return Err(ApiError::bad_input(
            "csv",
            "the header row names no email column (Email, E-mail, Courriel…)",
        ));
    }
    if !found.contains_key(&Column::Name) && !found.contains_key(&Column::LastName) {
        return Err(ApiError::bad_input(
            "csv",
            "the header row names no name column (Name, Nom, or Prénom and Nom…)",
        ));
    }
    Ok(found)
}

/// Reads the file's rows. A file Klub cannot read at all (no header naming an email and a
/// name, too many rows) is BAD_USER_INPUT; a bad row is a [`RowError`].
pub fn read(text: &str) -> ApiResult<Sheet> {
    let text = text.trim_start_matches('\u{feff}');
    let header = text
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("");
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter(header))
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header = reader
        .headers()
        .map_err(|error| ApiError::bad_input("csv", format!("unreadable header row: {error}")))?
        .clone();
    let columns = columns(&header)?;
    let mut sheet = Sheet::default();
    let mut first_line_of: HashMap<String, usize> = HashMap::new();
    let mut lines = Lines::new(text);
    for record in reader.records() {
        let record = match record {
            Ok(record) => record,
            Err(error) => {
                let line = error.position().map_or(0, |p| lines.at(p));
                sheet.errors.push(RowError {
                    line,
                    message: format!("unreadable row: {error}"),
                });
                continue;
            }
        };
        if record.iter().all(str::is_empty) {
            continue;
        }
        if sheet.rows.len() + sheet.errors.len() >= MAX_ROWS {
            return Err(ApiError::bad_input(
                "csv",
                format!("at most {MAX_ROWS} rows per file"),
            ));
        }
        let line = record.position().map_or(0, |p| lines.at(p));
        match row(&columns, &record, line) {
            Ok(row) => match first_line_of.get(row.email.as_str()) {
                Some(first) => sheet.errors.push(RowError {
                    line,
                    message: format!("{} already appears on line {first}", row.email.as_str()),
                }),
                None => {
                    first_line_of.insert(row.email.as_str().to_owned(), line);
                    sheet.rows.push(row);
                }
            },
            Err(message) => sheet.errors.push(RowError { line, message }),
        }
    }
    Ok(sheet)
}

/// The line a record starts on, counted from its byte offset (the csv crate's own line count
/// skips blank lines and counts `\r\n` differently). Records come in order, so the count goes
/// on from the previous one: linear in the file.
struct Lines<'t> {
    text: &'t str,
    byte: usize,
    line: usize,
}

impl<'t> Lines<'t> {
    fn new(text: &'t str) -> Self {
        Self {
            text,
            byte: 0,
            line: 1,
        }
    }

    fn at(&mut self, position: &csv::Position) -> usize {
        let offset = usize::try_from(position.byte()).unwrap_or(usize::MAX);
        let rest = self.text.get(offset..).unwrap_or("");
        // A record's offset may fall on the line ends before it.
        let start = offset + rest.len() - rest.trim_start_matches(['\r', '\n']).len();
        let start = start.clamp(self.byte, self.text.len());
        self.line += self.text.as_bytes()[self.byte..start]
            .iter()
            .filter(|byte| **byte == b'\n')
            .count();
        self.byte = start;
        self.line
    }
}

/// One row checked, or why it is left out.
fn row(
    columns: &HashMap<Column, usize>,
    record: &csv::StringRecord,
    line: usize,
) -> Result<PartnerRow, String> {
    let cell = |column: Column| {
        columns
            .get(&column)
            .and_then(|index| record.get(*index))
            .filter(|value| !value.is_empty())
            .map(str::to_owned)
    };
    let reason = |error: ApiError| error.to_string();
    let email = match cell(Column::Email) {
        Some(raw) => Email::parse("email", raw.clone())
            .map_err(|_| format!("`{raw}` is not an email address"))?,
        None => return Err("no email address".into()),
    };
    let name = match (
        cell(Column::Name),
        cell(Column::FirstName),
        cell(Column::LastName),
    ) {
        (Some(name), _, _) => name,
        (None, first, last) => [first, last]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" "),
    };
    if name.is_empty() {
        return Err("no name".into());
    }
    Ok(PartnerRow {
        line,
        name: required_text("name", name, MAX_NAME_CHARS).map_err(reason)?,
        organisation: optional_text("organisation", cell(Column::Organisation), MAX_NAME_CHARS)
            .map_err(reason)?,
        sector: cell(Column::Sector).map_or(Sector::Other, |text| sector(&text)),
        commune: optional_text("commune", cell(Column::Commune), MAX_COMMUNE_CHARS)
            .map_err(reason)?,
        phone: optional_phone("phone", cell(Column::Phone)).map_err(reason)?,
        locale: cell(Column::Language).and_then(|text| language(&text)),
        email,
    })
}

/// The sector a cell names: Klub's own names (`ACCOMMODATION`…) or the words offices use.
fn sector(text: &str) -> Sector {
    let text = folded(text);
    SECTORS
        .iter()
        .find(|(_, words)| words.iter().any(|word| text.contains(word)))
        .map_or(Sector::Other, |(sector, _)| *sector)
}

/// The language a cell names, if Klub speaks it: `fr`, `Français`, `French`, `fr-FR`…
fn language(text: &str) -> Option<Locale> {
    let text = folded(text);
    match text.as_str() {
        "fr" | "fra" | "fre" | "francais" | "french" => Some(Locale::Fr),
        "en" | "eng" | "anglais" | "english" => Some(Locale::En),
        _ if text.starts_with("fr") && text.len() == 4 => Some(Locale::Fr),
        _ if text.starts_with("en") && text.len() == 4 => Some(Locale::En),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_1252_and_byte_order_marks_are_read() {
        assert_eq!(decode(b"H\xf4tel;Cr\xeaperie"), "Hôtel;Crêperie");
        assert_eq!(decode("\u{feff}Hôtel".as_bytes()), "Hôtel");
        assert_eq!(decode("Hôtel".as_bytes()), "Hôtel");
        assert_eq!(decode(b"\xff\xfeH\x00\xf4\x00"), "Hô");
    }

    #[test]
    fn french_headers_in_any_order_with_semicolons() {
        let sheet = read(
            "Structure;Prénom;Nom;Adresse e-mail;Téléphone;Secteur d'activité;Ville;Langue\n\
             Hôtel du Port;Anne;Martin;Anne.Martin@Example.fr;05 59 12 34 56;Hôtellerie;Biarritz;Français\n",
        )
        .unwrap();
        assert_eq!(sheet.errors, []);
        let row = &sheet.rows[0];
        assert_eq!(row.line, 2);
        assert_eq!(row.email.as_str(), "anne.martin@example.fr");
        assert_eq!(row.name, "Anne Martin");
        assert_eq!(row.organisation.as_deref(), Some("Hôtel du Port"));
        assert_eq!(row.sector, Sector::Accommodation);
        assert_eq!(row.commune.as_deref(), Some("Biarritz"));
        assert_eq!(row.phone.as_deref(), Some("05 59 12 34 56"));
        assert_eq!(row.locale, Some(Locale::Fr));
    }

    const BAD_ROWS: &str = "email,name,sector\n\
             a@x.fr,Ann,Restaurant\n\
             not-an-address,Bob,\n\
             c@x.fr,,\n\
             \n\
             A@X.FR,Ann again,\n\
             d@x.fr,\"Dee, \"\"the\"\" baker\",boulangerie\n";

    #[test]
    fn lines_are_counted_with_blank_lines_and_windows_line_ends() {
        let windows = read(&BAD_ROWS.replace('\n', "\r\n")).unwrap();
        let lines: Vec<_> = windows.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 6], "{:?}", windows.errors);
    }

    #[test]
    fn bad_rows_are_reported_by_line_and_the_rest_kept() {
        let sheet = read(BAD_ROWS).unwrap();
        let lines: Vec<_> = sheet.errors.iter().map(|e| e.line).collect();
        assert_eq!(lines, [3, 4, 6], "{:?}", sheet.errors);
        assert!(sheet.errors[0].message.contains("not an email"));
        assert!(sheet.errors[1].message.contains("no name"));
        assert!(sheet.errors[2].message.contains("line 2"));
        assert_eq!(sheet.rows.len(), 2);
        assert_eq!(sheet.rows[0].sector, Sector::Food);
        assert_eq!(sheet.rows[1].name, "Dee, \"the\" baker");
        assert_eq!(sheet.rows[1].sector, Sector::Other);
    }

    #[test]
    fn a_file_without_an_email_column_is_refused_whole() {
        assert!(read("nom;ville\nAnn;Pau\n").is_err());
        assert!(read("").is_err());
    }
}
