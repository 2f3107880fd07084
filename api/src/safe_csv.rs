//! Every CSV file Klub serves is written through [`SafeCsv`], so no cell can become a formula
//! when a spreadsheet opens it (OWASP "CSV injection"): a cell that starts — after any
//! leading spaces — with `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'`,
//! which spreadsheets show as text. Quoting and line breaks are the `csv` crate's job.

use crate::error::{ApiError, ApiResult};

/// The characters that make a spreadsheet read a cell as a formula or a command.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

pub struct SafeCsv {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for SafeCsv {
    fn default() -> Self {
        Self {
            writer: csv::Writer::from_writer(Vec::new()),
        }
    }
}

impl SafeCsv {
    /// Writes one row, neutralising every cell.
    pub fn row<I, S>(&mut self, cells: I) -> ApiResult<()>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.writer
            .write_record(
                cells
                    .into_iter()
                    .map(|cell| neutralise(cell.as_ref()).into_owned()),
            )
            .map_err(ApiError::internal)
    }

    pub fn finish(self) -> ApiResult<Vec<u8>> {
        self.writer.into_inner().map_err(ApiError::internal)
    }
}

fn neutralise(cell: &str) -> std::borrow::Cow<'_, str> {
    let first = cell.trim_start_matches(' ').chars().next();
    let starts_a_formula =
        cell.starts_with(FORMULA_STARTS) || first.is_some_and(|c| FORMULA_STARTS.contains(&c));
    if starts_a_formula {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

#[cfg(test)]
mod tests {
    use super::neutralise;

    #[test]
    fn formula_starts_are_neutralised_and_plain_text_is_kept() {
        for dangerous in [
            "=1+1",
            "+33 6",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "  =HYPERLINK(\"x\")",
        ] {
            assert_eq!(neutralise(dangerous), format!("'{dangerous}"));
        }
        for plain in ["Hôtel du Port", "a=b", "", "12", "O'Neil"] {
            assert_eq!(neutralise(plain), plain);
        }
    }
}
