//! Turning CSV rows into [`Service`]s, one checked cell at a time.

use csv::StringRecord;

use super::service::{BasisPoints, Feasibility, MinMax, PersonalAppearance, Service};
use super::CatalogueError;
use crate::decimal::parse_scaled;
use crate::ids::ServiceKey;
use crate::money::Cents;

/// The columns, in the order the file must have them.
const COLUMNS: [&str; 12] = [
    "key",
    "name_de",
    "name_en",
    "leika_key",
    "duration_min",
    "fee_eur",
    "personal_appearance_required",
    "remote_feasibility_1to5",
    "feasibility_reason",
    "frequency_share_pct",
    "frequency_source",
    "estimate_notes",
];

/// Parses the whole file.
pub(super) fn parse(text: &str) -> Result<Vec<Service>, CatalogueError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(text.as_bytes());
    let header = reader.headers().map_err(|e| csv_error(&e, 1))?.clone();
    let found: Vec<&str> = header.iter().map(str::trim).collect();
    if found != COLUMNS {
        return Err(CatalogueError::Header {
            expected: COLUMNS.join(","),
            found: found.join(","),
        });
    }
    let mut services: Vec<Service> = Vec::new();
    for (index, record) in reader.records().enumerate() {
        // The header is line 1; without a position (never in practice) count records instead.
        let fallback_line = u64::try_from(index).unwrap_or(u64::MAX).saturating_add(2);
        let record = record.map_err(|e| csv_error(&e, fallback_line))?;
        let line = record.position().map(|p| p.line()).unwrap_or(fallback_line);
        let service = Row { record, line }.service()?;
        if services.iter().any(|s| s.key == service.key) {
            return Err(CatalogueError::DuplicateKey {
                line,
                key: service.key.to_string(),
            });
        }
        services.push(service);
    }
    Ok(services)
}

/// Converts a CSV reader error, keeping the line it happened on.
fn csv_error(error: &csv::Error, fallback_line: u64) -> CatalogueError {
    let line = error.position().map(|p| p.line()).unwrap_or(fallback_line);
    CatalogueError::Csv {
        line,
        message: error.to_string(),
    }
}

/// One record with the line it came from, for error messages.
struct Row {
    record: StringRecord,
    line: u64,
}

impl Row {
    fn service(&self) -> Result<Service, CatalogueError> {
        Ok(Service {
            key: ServiceKey::parse(self.required(0)?).map_err(|e| self.error(0, e))?,
            name_de: self.required(1)?.to_owned(),
            name_en: self.required(2)?.to_owned(),
            leika_key: self.leika_key()?,
            duration_minutes: self.duration()?,
            fee: self.fee()?,
            personal_appearance: self.appearance()?,
            remote_feasibility: self.feasibility()?,
            feasibility_reason: self.required(8)?.to_owned(),
            frequency_share: self.share()?,
            frequency_source: self.optional(10).map(str::to_owned),
            estimate_notes: self.optional(11).map(str::to_owned),
            channel_override: None,
            required_documents: Vec::new(),
            active: true,
        })
    }

    /// The trimmed cell; `None` when empty.
    fn optional(&self, column: usize) -> Option<&str> {
        self.record
            .get(column)
            .map(str::trim)
            .filter(|cell| !cell.is_empty())
    }

    fn required(&self, column: usize) -> Result<&str, CatalogueError> {
        self.optional(column)
            .ok_or_else(|| self.error(column, "must not be empty"))
    }

    fn error(&self, column: usize, message: impl ToString) -> CatalogueError {
        CatalogueError::Cell {
            line: self.line,
            column: COLUMNS.get(column).copied().unwrap_or("?"),
            message: message.to_string(),
        }
    }

    fn leika_key(&self) -> Result<Option<String>, CatalogueError> {
        let Some(cell) = self.optional(3) else {
            return Ok(None);
        };
        if cell.len() == 14 && cell.chars().all(|c| c.is_ascii_digit()) {
            Ok(Some(cell.to_owned()))
        } else {
            Err(self.error(3, format!("a LeiKa key has 14 digits, got {cell:?}")))
        }
    }

    /// Minutes, a single value or a range such as `15-20`; zero is rejected because an unknown
    /// duration must be left empty.
    fn duration(&self) -> Result<Option<MinMax<u32>>, CatalogueError> {
        let Some(range) = self.range(4, 0)? else {
            return Ok(None);
        };
        let convert = |value: i64| u32::try_from(value).map_err(|e| self.error(4, e));
        let (min, max) = (convert(range.min)?, convert(range.max)?);
        if min == 0 {
            return Err(self.error(
                4,
                "a duration of zero minutes; leave the cell empty instead",
            ));
        }
        Ok(Some(MinMax { min, max }))
    }

    /// Euros with up to two decimals, a single value or a range such as `27.60-46`.
    fn fee(&self) -> Result<Option<MinMax<Cents>>, CatalogueError> {
        Ok(self.range(5, 2)?.map(|range| MinMax {
            min: Cents(range.min),
            max: Cents(range.max),
        }))
    }

    /// Parses `a` or `a-b` as exact decimals scaled by `10^scale`.
    fn range(&self, column: usize, scale: u32) -> Result<Option<MinMax<i64>>, CatalogueError> {
        let Some(cell) = self.optional(column) else {
            return Ok(None);
        };
        let number = |text: &str| parse_scaled(text, scale).map_err(|e| self.error(column, e));
        let range = match cell.split_once('-') {
            Some((min, max)) => MinMax::new(number(min)?, number(max)?).ok_or_else(|| {
                self.error(column, format!("range {cell:?} ends below its start"))
            })?,
            None => MinMax::exactly(number(cell)?),
        };
        Ok(Some(range))
    }

    fn appearance(&self) -> Result<PersonalAppearance, CatalogueError> {
        match self.required(6)?.to_ascii_lowercase().as_str() {
            "yes" => Ok(PersonalAppearance::Yes),
            "no" => Ok(PersonalAppearance::No),
            "partly" => Ok(PersonalAppearance::Partly),
            other => Err(self.error(6, format!("expected yes, no or partly, got {other:?}"))),
        }
    }

    fn feasibility(&self) -> Result<Feasibility, CatalogueError> {
        let cell = self.required(7)?;
        let value: u8 = cell
            .parse()
            .map_err(|_| self.error(7, format!("expected 1 to 5, got {cell:?}")))?;
        Feasibility::try_from(value).map_err(|e| self.error(7, e))
    }

    fn share(&self) -> Result<Option<BasisPoints>, CatalogueError> {
        let Some(cell) = self.optional(9) else {
            return Ok(None);
        };
        let value = parse_scaled(cell, 2).map_err(|e| self.error(9, e))?;
        match u32::try_from(value) {
            Ok(points) if points <= BasisPoints::WHOLE.0 => Ok(Some(BasisPoints(points))),
            _ => Err(self.error(9, format!("a share must be 0 to 100 percent, got {cell}"))),
        }
    }
}
