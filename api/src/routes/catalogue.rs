//! `GET /api/v1/services[/{service}]`: the service catalogue with its triage: whether a service
//! can be booked by video, must be done in person (and the legal reason), or can be done fully
//! online elsewhere (with the portal). The booking page shows the reason before any slot, and the
//! required documents. The catalogue is the live one: admins' changes show without a restart.

use axum::extract::State;
use axum::Json;
use domain::catalogue::{Channel, RequiredDocument, Service};
use domain::ServiceKey;
use serde::Serialize;
use utoipa::ToSchema;

use crate::booking::duration_of;
use crate::extract::Path;
use crate::problems::Problem;
use crate::{ApiError, AppState};

/// A range of whole numbers (minutes or cents).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
pub struct Range {
    pub min: i64,
    pub max: i64,
}

/// One service as citizens see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceView {
    pub key: String,
    pub name_de: String,
    pub name_en: String,
    /// `video`, `in_person` or `online_elsewhere`.
    pub channel: &'static str,
    /// True when a video appointment can be booked (also for services that are online elsewhere,
    /// for citizens without the online ID function).
    pub video_bookable: bool,
    /// Why the service needs a visit in person, or why it is online elsewhere.
    pub reason: Option<String>,
    /// The portal that handles the service fully online.
    pub portal: Option<String>,
    pub portal_url: Option<String>,
    /// The length of a video appointment, in minutes.
    pub appointment_minutes: u32,
    /// The planned minutes in the catalogue, where known.
    pub duration_minutes: Option<Range>,
    /// The fee in cents, a range where it depends on age or variant; `null` if unknown.
    pub fee_cents: Option<Range>,
    /// What to bring or upload, in German and English; empty until an admin sets it.
    pub required_documents: Vec<RequiredDocument>,
    /// False once an admin stopped offering the service (it is then not listed or bookable).
    pub active: bool,
}

impl From<&Service> for ServiceView {
    fn from(service: &Service) -> Self {
        let (channel, reason, portal, portal_url) = match service.channel() {
            Channel::Video => ("video", None, None, None),
            Channel::InPerson { reason } => ("in_person", Some(reason), None, None),
            Channel::OnlineElsewhere {
                portal,
                url,
                reason,
            } => ("online_elsewhere", Some(reason), Some(portal), url),
        };
        ServiceView {
            key: service.key.as_str().to_owned(),
            name_de: service.name_de.clone(),
            name_en: service.name_en.clone(),
            channel,
            video_bookable: service.video_allowed(),
            reason,
            portal,
            portal_url,
            appointment_minutes: duration_of(service),
            duration_minutes: service.duration_minutes.map(|d| Range {
                min: i64::from(d.min),
                max: i64::from(d.max),
            }),
            fee_cents: service.fee.map(|f| Range {
                min: f.min.0,
                max: f.max.0,
            }),
            required_documents: service.required_documents.clone(),
            active: service.active,
        }
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/services",
    tag = "booking",
    responses((status = 200, description = "Every active service with its channel, in catalogue order", body = Vec<ServiceView>))
)]
pub async fn list_services(
    State(state): State<AppState>,
) -> Result<Json<Vec<ServiceView>>, ApiError> {
    let catalogue = state.catalogue.current().await?;
    Ok(Json(
        catalogue
            .iter()
            .filter(|service| service.active)
            .map(ServiceView::from)
            .collect(),
    ))
}

#[utoipa::path(
    get,
    path = "/api/v1/services/{service}",
    tag = "booking",
    params(("service" = String, Path, description = "The service key", example = "wohnsitz_anmeldung")),
    responses(
        (status = 200, description = "The service with its channel", body = ServiceView),
        (status = 400, description = "`bad-request`: not a service key", body = Problem, content_type = "application/problem+json"),
        (status = 404, description = "`not-found`", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn get_service(
    State(state): State<AppState>,
    Path(service): Path<String>,
) -> Result<Json<ServiceView>, ApiError> {
    let key = ServiceKey::parse(service)
        .map_err(|e| ApiError::InvalidParameter(format!("service: {e}")))?;
    let catalogue = state.catalogue.current().await?;
    let service = catalogue.get(&key).ok_or(ApiError::NotFound)?;
    Ok(Json(ServiceView::from(service)))
}
