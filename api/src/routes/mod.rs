//! HTTP routes, one file per resource.
//!
//! Every API endpoint is registered once, in [`api`], through its `#[utoipa::path]` attribute:
//! the route and its OpenAPI documentation come from the same place and cannot drift apart.
//! The pages (everything outside `/api/`, `/health` and `/ready`) are not part of the API
//! document.

pub mod bookings;
mod call;
mod case_panel;
pub(crate) mod catalogue;
mod dashboard;
mod health;
pub(crate) mod my_case;
mod my_case_stream;
mod offices;
mod openapi;
pub mod pages;
pub(crate) mod queue;
mod waiting_room;
mod waitlist;

use axum::routing::any;
use axum::Router;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::{ApiError, AppState};

/// The API endpoints with their documentation.
pub fn api() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(openapi::ApiDoc::openapi())
        .routes(routes!(health::health))
        .routes(routes!(health::ready))
        .routes(routes!(queue::queue_of_day))
        .routes(routes!(catalogue::list_services))
        .routes(routes!(catalogue::get_service))
        .routes(routes!(offices::list_offices))
        .routes(routes!(offices::free_slots))
        .routes(routes!(bookings::challenge))
        .routes(routes!(bookings::book))
        .routes(routes!(waitlist::join))
        .routes(routes!(waitlist::counts))
        .routes(routes!(my_case::get_my_case))
        .routes(routes!(my_case::cancel))
        .routes(routes!(my_case::reschedule))
        .routes(routes!(my_case::check_in))
        .routes(routes!(my_case_stream::my_case_stream))
        .routes(routes!(dashboard::dashboard_of_day))
        .routes(routes!(dashboard::dashboard_stream))
        .routes(routes!(waiting_room::admit))
        .routes(routes!(waiting_room::hold))
        .routes(routes!(waiting_room::send_back))
        .routes(routes!(call::call_ws))
        .routes(routes!(case_panel::get_case))
        .routes(routes!(case_panel::check_identity))
        .routes(routes!(case_panel::add_note))
        .routes(routes!(case_panel::invite))
        .routes(routes!(openapi::openapi_json))
        .routes(routes!(
            crate::auth::session::login,
            crate::auth::session::who_am_i,
            crate::auth::session::logout
        ))
        .routes(routes!(
            crate::auth::accounts::create,
            crate::auth::accounts::list_accounts
        ))
        .routes(routes!(crate::auth::accounts::disable))
        .routes(routes!(crate::auth::accounts::enable))
        .routes(routes!(crate::auth::accounts::change_role))
        .routes(routes!(crate::auth::accounts::change_password))
        .routes(routes!(crate::admin::offices::register))
        .routes(routes!(crate::admin::offices::get_office))
        .routes(routes!(crate::admin::offices::change_profile))
        .routes(routes!(crate::admin::offices::set_opening_hours))
        .routes(routes!(crate::admin::offices::set_seats))
        .routes(routes!(crate::admin::offices::close_day))
        .routes(routes!(crate::admin::offices::reopen_day))
        .routes(routes!(crate::admin::catalogue::change_service))
        .routes(routes!(crate::admin::catalogue::history))
}

/// The OpenAPI 3.1 document of [`api`]. Every state-changing operation under `/api/` gets the
/// `Idempotency-Key` header parameter here, in one place, because the idempotency guard applies
/// to all of them: no route author can forget to document it.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = api().split_for_parts().1;
    let header =
        <crate::idempotency::IdempotencyKeyHeader as utoipa::IntoParams>::into_params(|| None);
    for (path, item) in doc.paths.paths.iter_mut() {
        if !path.starts_with("/api/") {
            continue;
        }
        for operation in [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ]
        .into_iter()
        .flatten()
        {
            let parameters = operation.parameters.get_or_insert_with(Vec::new);
            for parameter in &header {
                if !parameters.iter().any(|p| p.name == parameter.name) {
                    parameters.push(parameter.clone());
                }
            }
        }
    }
    doc
}

/// Paths under `/api` that no endpoint has: an API 404 (`unknown-route`), never a page.
pub(crate) const API_CATCH_ALL: [&str; 2] = ["/api", "/api/{*rest}"];

pub fn router() -> Router<AppState> {
    let (api, _) = api().split_for_parts();
    let mut router = api;
    for path in API_CATCH_ALL {
        router = router.route(path, any(unknown_route));
    }
    router
        // Everything else is a file from the web folder; `/api/...` stays an API 404.
        .fallback(pages::static_file)
        .method_not_allowed_fallback(method_not_allowed)
}

async fn unknown_route() -> ApiError {
    ApiError::UnknownRoute
}

async fn method_not_allowed() -> ApiError {
    ApiError::MethodNotAllowed
}
