//! Tests of the catalogue loader against the real CSV and against broken variants of it.

use super::*;
use crate::money::Cents;

const HEADER: &str = "key,name_de,name_en,leika_key,duration_min,fee_eur,\
personal_appearance_required,remote_feasibility_1to5,feasibility_reason,frequency_share_pct,\
frequency_source,estimate_notes";

fn catalogue() -> Catalogue {
    Catalogue::default_catalogue().expect("the shipped catalogue loads")
}

fn service(key: &str) -> Service {
    let key = ServiceKey::parse(key).unwrap();
    catalogue().get(&key).cloned().expect("service exists")
}

fn one_row(row: &str) -> Result<Catalogue, CatalogueError> {
    Catalogue::from_csv(&format!("{HEADER}\n{row}\n"))
}

#[test]
fn every_row_of_the_real_csv_loads() {
    let catalogue = catalogue();
    let data_rows = DEFAULT_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.is_empty())
        .count();
    assert_eq!(catalogue.len(), 35);
    assert_eq!(catalogue.len(), data_rows);
}

#[test]
fn a_duration_range_parses_as_min_and_max() {
    assert_eq!(
        service("gewerbe_um_abmeldung").duration_minutes,
        Some(MinMax { min: 15, max: 20 })
    );
}

#[test]
fn a_fee_range_parses_exactly_into_cents() {
    assert_eq!(
        service("personalausweis_antrag").fee,
        Some(MinMax {
            min: Cents(2760),
            max: Cents(4600)
        })
    );
    assert_eq!(
        service("kfz_abmeldung").fee,
        Some(MinMax::exactly(Cents(1680)))
    );
}

#[test]
fn an_empty_fee_is_unknown_not_zero() {
    assert_eq!(service("fundsache_verlustmeldung").fee, None);
    assert_eq!(
        service("wohnsitz_anmeldung").fee,
        Some(MinMax::exactly(Cents::ZERO))
    );
}

#[test]
fn an_empty_duration_is_unknown() {
    assert_eq!(service("hundesteuer_anmeldung").duration_minutes, None);
}

#[test]
fn a_frequency_share_keeps_its_decimal_and_unknown_stays_unknown() {
    assert_eq!(
        service("personalausweis_antrag").frequency_share,
        Some(BasisPoints(2610))
    );
    assert_eq!(
        service("wohnsitz_anmeldung").frequency_share,
        Some(BasisPoints(2500))
    );
    assert_eq!(service("meldebescheinigung").frequency_share, None);
}

#[test]
fn a_leika_key_may_be_shared_by_two_services() {
    assert_eq!(
        service("meldebescheinigung").leika_key,
        service("haushaltsbescheinigung").leika_key
    );
    assert_eq!(service("ausweis_abholung").leika_key, None);
}

#[test]
fn id_card_and_passport_are_in_person_with_their_legal_reason() {
    match service("personalausweis_antrag").channel() {
        Channel::InPerson { reason } => assert!(reason.contains("PAuswG §9"), "{reason}"),
        other => panic!("expected in person, got {other:?}"),
    }
    match service("reisepass_antrag").channel() {
        Channel::InPerson { reason } => assert!(reason.contains("PassG"), "{reason}"),
        other => panic!("expected in person, got {other:?}"),
    }
    assert!(!service("personalausweis_antrag").video_allowed());
}

#[test]
fn residence_registration_is_a_video_service() {
    assert_eq!(service("wohnsitz_anmeldung").channel(), Channel::Video);
    assert!(service("wohnsitz_anmeldung").video_allowed());
}

#[test]
fn certificate_of_good_conduct_is_online_elsewhere_at_the_federal_office_of_justice() {
    match service("fuehrungszeugnis").channel() {
        Channel::OnlineElsewhere {
            portal,
            url,
            reason,
        } => {
            assert!(portal.contains("Bundesamt für Justiz"));
            assert_eq!(url.as_deref(), Some("https://www.fuehrungszeugnis.bund.de"));
            assert!(reason.contains("BZRG § 30c"));
        }
        other => panic!("expected online elsewhere, got {other:?}"),
    }
    assert!(service("fuehrungszeugnis").video_allowed());
}

#[test]
fn vehicle_deregistration_is_online_elsewhere_via_i_kfz() {
    assert!(matches!(
        service("kfz_abmeldung").channel(),
        Channel::OnlineElsewhere { portal, .. } if portal.contains("i-Kfz")
    ));
}

#[test]
fn every_online_elsewhere_entry_names_a_service_the_law_lets_be_done_remotely() {
    let catalogue = catalogue();
    for entry in ONLINE_ELSEWHERE {
        let key = ServiceKey::parse(entry.service_key).unwrap();
        let service = catalogue
            .get(&key)
            .expect("entry names a catalogue service");
        assert!(
            matches!(service.channel(), Channel::OnlineElsewhere { .. }),
            "{} must triage to online elsewhere",
            entry.service_key
        );
    }
}

#[test]
fn a_service_with_low_feasibility_is_in_person_even_without_required_appearance() {
    let catalogue = one_row("x,X,X,,10,0,no,2,reason,,,").unwrap();
    assert!(matches!(
        catalogue.services()[0].channel(),
        Channel::InPerson { .. }
    ));
}

#[test]
fn a_malformed_row_gives_an_error_naming_the_line() {
    let text = format!(
        "{HEADER}\n\
         ok,A,A,,10,5,no,5,fine,,,\n\
         broken,B,B,,10,five euros,no,5,bad fee,,,\n"
    );
    let error = Catalogue::from_csv(&text).unwrap_err();
    assert_eq!(error.line(), Some(3));
    assert!(matches!(
        error,
        CatalogueError::Cell {
            column: "fee_eur",
            ..
        }
    ));
    assert!(error.to_string().starts_with("line 3, column fee_eur"));
}

#[test]
fn a_row_with_the_wrong_number_of_fields_gives_an_error_naming_the_line() {
    let error = one_row("short,row").unwrap_err();
    assert!(
        matches!(error, CatalogueError::Csv { line: 2, .. }),
        "{error:?}"
    );
}

#[test]
fn a_feasibility_outside_one_to_five_is_rejected() {
    let error = one_row("x,X,X,,10,0,no,6,reason,,,").unwrap_err();
    assert!(matches!(
        error,
        CatalogueError::Cell {
            column: "remote_feasibility_1to5",
            ..
        }
    ));
}

#[test]
fn an_unknown_appearance_value_is_rejected() {
    assert!(one_row("x,X,X,,10,0,maybe,5,reason,,,").is_err());
}

#[test]
fn a_zero_duration_is_rejected_because_unknown_must_stay_empty() {
    assert!(one_row("x,X,X,,0,0,no,5,reason,,,").is_err());
}

#[test]
fn a_reversed_range_is_rejected() {
    assert!(one_row("x,X,X,,20-15,0,no,5,reason,,,").is_err());
}

#[test]
fn a_fee_with_three_decimals_is_rejected() {
    assert!(one_row("x,X,X,,10,1.005,no,5,reason,,,").is_err());
}

#[test]
fn an_invalid_service_key_is_rejected() {
    assert!(one_row("Not A Key,X,X,,10,0,no,5,reason,,,").is_err());
}

#[test]
fn a_duplicate_service_key_is_rejected() {
    let text = format!("{HEADER}\nx,X,X,,10,0,no,5,r,,,\nx,X,X,,10,0,no,5,r,,,\n");
    assert!(matches!(
        Catalogue::from_csv(&text),
        Err(CatalogueError::DuplicateKey { line: 3, .. })
    ));
}

#[test]
fn a_wrong_header_is_rejected() {
    assert!(matches!(
        Catalogue::from_csv("key,name\nx,X\n"),
        Err(CatalogueError::Header { .. })
    ));
}
