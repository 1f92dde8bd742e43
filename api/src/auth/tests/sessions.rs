//! Sessions over HTTP: login, who am I, logout, expiry, revocation, limits, CSRF, log canary.

use axum::body::Body;
use axum::http::{header, Method, Request, StatusCode};
use chrono::Duration;
use serde_json::json;

use super::harness::{test_app, Kind, Who, OFFICE_X, OFFICE_Y, ORIGIN, PASSWORD};
use super::on_both_backends;

on_both_backends!(
    a_staff_member_logs_in_sees_who_they_are_and_logs_out,
    a_wrong_password_an_unknown_user_and_a_disabled_account_get_the_same_401,
    every_login_gets_a_new_token_and_logout_ends_only_its_own_session,
    a_session_ends_after_thirty_idle_minutes_and_after_twelve_hours_however_busy,
    disabling_an_account_ends_its_sessions_and_enabling_lets_it_log_in_again,
    a_role_change_or_a_password_change_ends_the_accounts_sessions,
    too_many_failed_logins_for_a_username_get_429_with_retry_after,
    a_cross_site_state_change_with_the_cookie_is_refused_and_a_same_origin_one_passes,
    a_clerk_sees_only_the_queue_of_their_own_office,
);

async fn a_staff_member_logs_in_sees_who_they_are_and_logs_out(kind: Kind) {
    let t = test_app(kind).await;
    let answer = t.login_answer(" Clerk.X ", PASSWORD).await;
    assert_eq!(answer.status, StatusCode::OK);
    let set_cookie = answer.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        set_cookie.starts_with("buergeramt-session="),
        "{set_cookie}"
    );
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(set_cookie.contains(attribute), "{set_cookie}");
    }
    assert!(!set_cookie.contains("Secure"), "plain HTTP: {set_cookie}");
    let token = answer.cookie().unwrap();
    assert_eq!(
        token.len(),
        "buergeramt-session=".len() + 43,
        "256 random bits"
    );
    let me = Who::Cookie(token);

    let who = t.call(Method::GET, "/api/v1/session", &me, None).await;
    assert_eq!(who.status, StatusCode::OK);
    assert_eq!(who.body["username"], "clerk.x");
    assert_eq!(who.body["role"], "clerk");
    assert_eq!(who.body["office"], OFFICE_X);
    assert_eq!(who.body["display_name"], "Test clerk.x");
    let expires = (t.clock_now() + Duration::minutes(30))
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true);
    assert_eq!(who.body["expires_at"], expires);

    let out = t.call(Method::DELETE, "/api/v1/session", &me, None).await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    let cleared = out.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    let after = t.call(Method::GET, "/api/v1/session", &me, None).await;
    assert_eq!(
        (after.status, after.slug()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
}

async fn a_wrong_password_an_unknown_user_and_a_disabled_account_get_the_same_401(kind: Kind) {
    let t = test_app(kind).await;
    let admin = t.login("admin").await;
    let disabled = t
        .call(
            Method::POST,
            "/api/v1/accounts/planner/disable",
            &admin,
            None,
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK);
    let wrong = t.login_answer("clerk.x", "not the password at all").await;
    let unknown = t.login_answer("nobody.here", PASSWORD).await;
    let invalid = t.login_answer("Not A Username!", PASSWORD).await;
    let off = t.login_answer("planner", PASSWORD).await;
    for answer in [&wrong, &unknown, &invalid, &off] {
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED);
        assert_eq!(answer.slug(), Some("login-failed"));
        assert_eq!(answer.body, wrong.body, "one answer for every failure");
        assert!(answer.headers.get(header::SET_COOKIE).is_none());
    }
    // The negative control: the right password does log in.
    t.login("clerk.x").await;
}

async fn every_login_gets_a_new_token_and_logout_ends_only_its_own_session(kind: Kind) {
    let t = test_app(kind).await;
    let first = t.login("auditor").await;
    let second = t.login("auditor").await;
    let (Who::Cookie(a), Who::Cookie(b)) = (&first, &second) else {
        unreachable!("login returns cookies")
    };
    assert_ne!(a, b);
    // A planted cookie does not survive a login: the answer carries a new one.
    let planted = Request::builder()
        .method(Method::POST)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .uri("/api/v1/session")
        .header(header::COOKIE, a.as_str())
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": "auditor", "password": PASSWORD}).to_string(),
        ))
        .unwrap();
    let third = t.send(planted).await.cookie().unwrap();
    assert!(third != *a && third != *b);
    t.call(Method::DELETE, "/api/v1/session", &first, None)
        .await;
    let gone = t.call(Method::GET, "/api/v1/session", &first, None).await;
    assert_eq!(gone.status, StatusCode::UNAUTHORIZED);
    let kept = t.call(Method::GET, "/api/v1/session", &second, None).await;
    assert_eq!(kept.status, StatusCode::OK);
}

async fn a_session_ends_after_thirty_idle_minutes_and_after_twelve_hours_however_busy(kind: Kind) {
    let t = test_app(kind).await;
    let me = t.login("planner").await;
    let t = &t;
    let status = |who: Who| async move {
        t.call(Method::GET, "/api/v1/session", &who, None)
            .await
            .status
    };
    t.clock.advance(Duration::minutes(29));
    assert_eq!(status(me.clone()).await, StatusCode::OK, "29 idle minutes");
    t.clock.advance(Duration::minutes(30));
    assert_eq!(
        status(me.clone()).await,
        StatusCode::UNAUTHORIZED,
        "30 idle minutes"
    );

    let busy = t.login("planner").await;
    let mut used = Duration::zero();
    while used + Duration::minutes(20) < Duration::hours(12) {
        t.clock.advance(Duration::minutes(20));
        used += Duration::minutes(20);
        assert_eq!(status(busy.clone()).await, StatusCode::OK, "after {used}");
    }
    t.clock.advance(Duration::hours(12) - used);
    assert_eq!(status(busy).await, StatusCode::UNAUTHORIZED, "12 hours");
}

async fn disabling_an_account_ends_its_sessions_and_enabling_lets_it_log_in_again(kind: Kind) {
    let t = test_app(kind).await;
    let admin = t.login("admin").await;
    let clerk = t.login("clerk.x").await;
    let queue = format!("/api/v1/offices/{OFFICE_X}/queue/2026-11-24");
    assert_eq!(
        t.call(Method::GET, &queue, &clerk, None).await.status,
        StatusCode::OK
    );
    let off = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.x/disable",
            &admin,
            None,
        )
        .await;
    assert_eq!(
        (off.status, off.body["enabled"].as_bool()),
        (StatusCode::OK, Some(false))
    );
    assert_eq!(
        t.call(Method::GET, &queue, &clerk, None).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.login_answer("clerk.x", PASSWORD).await.slug(),
        Some("login-failed")
    );
    let on = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.x/enable",
            &admin,
            None,
        )
        .await;
    assert_eq!(on.status, StatusCode::OK);
    let again = t.login("clerk.x").await;
    assert_eq!(
        t.call(Method::GET, &queue, &again, None).await.status,
        StatusCode::OK
    );
    // Nobody disables themselves.
    let own = t
        .call(Method::POST, "/api/v1/accounts/admin/disable", &admin, None)
        .await;
    assert_eq!(own.slug(), Some("forbidden"));
}

async fn a_role_change_or_a_password_change_ends_the_accounts_sessions(kind: Kind) {
    let t = test_app(kind).await;
    let admin = t.login("admin").await;
    let clerk = t.login("clerk.y").await;
    let moved = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.y/role",
            &admin,
            Some(json!({"role": "clerk", "office": OFFICE_X})),
        )
        .await;
    assert_eq!(
        (moved.status, moved.body["office"].as_str()),
        (StatusCode::OK, Some(OFFICE_X))
    );
    assert_eq!(
        t.call(Method::GET, "/api/v1/session", &clerk, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let clerk = t.login("clerk.y").await;
    let x_queue = format!("/api/v1/offices/{OFFICE_X}/queue/2026-11-24");
    assert_eq!(
        t.call(Method::GET, &x_queue, &clerk, None).await.status,
        StatusCode::OK
    );

    // One's own password: only with the current one; the answer carries a new session.
    let change = |current: &str| json!({"new_password": "another long password", "current_password": current});
    let refused = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.y/password",
            &clerk,
            Some(change("wrong wrong wrong")),
        )
        .await;
    assert_eq!(refused.slug(), Some("forbidden"));
    let changed = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.y/password",
            &clerk,
            Some(change(PASSWORD)),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK);
    let fresh = Who::Cookie(changed.cookie().expect("a new session"));
    assert_eq!(
        t.call(Method::GET, "/api/v1/session", &clerk, None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        t.call(Method::GET, "/api/v1/session", &fresh, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.login_answer("clerk.y", PASSWORD).await.slug(),
        Some("login-failed")
    );
    assert_eq!(
        t.login_answer("clerk.y", "another long password")
            .await
            .status,
        StatusCode::OK
    );
    // Somebody else's password: admins only.
    let other = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.x/password",
            &fresh,
            Some(change(PASSWORD)),
        )
        .await;
    assert_eq!(other.slug(), Some("forbidden"));
    let short = t
        .call(
            Method::POST,
            "/api/v1/accounts/clerk.x/password",
            &admin,
            Some(json!({"new_password": "short"})),
        )
        .await;
    assert_eq!(
        (short.status, short.slug()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid-body"))
    );
}

async fn too_many_failed_logins_for_a_username_get_429_with_retry_after(kind: Kind) {
    let t = test_app(kind).await;
    for _ in 0..crate::auth::USERNAME_ATTEMPTS {
        let failed = t.login_answer("clerk.x", "a wrong password!").await;
        assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    }
    let limited = t.login_answer("clerk.x", PASSWORD).await;
    assert_eq!(
        (limited.status, limited.slug()),
        (StatusCode::TOO_MANY_REQUESTS, Some("too-many-requests"))
    );
    let retry: u64 = limited.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=15 * 60).contains(&retry), "{retry}");
    // Another username is not affected, and a success forgets that username's failures.
    t.login("clerk.y").await;
    for _ in 0..crate::auth::USERNAME_ATTEMPTS + 2 {
        t.login("clerk.y").await;
    }
    // The peer limit: every attempt from one address counts, whatever the username.
    let mut last = StatusCode::OK;
    for n in 0..crate::auth::PEER_ATTEMPTS {
        last = t
            .login_answer(&format!("someone.{n}"), "a wrong password!")
            .await
            .status;
        if last == StatusCode::TOO_MANY_REQUESTS {
            break;
        }
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

async fn a_cross_site_state_change_with_the_cookie_is_refused_and_a_same_origin_one_passes(
    kind: Kind,
) {
    let t = test_app(kind).await;
    let Who::Cookie(cookie) = t.login("admin").await else {
        unreachable!("login returns a cookie")
    };
    let disable = |headers: &[(&str, &str)]| {
        let mut builder = Request::builder()
            .method(Method::POST)
            .header("idempotency-key", uuid::Uuid::new_v4().to_string())
            .uri("/api/v1/accounts/planner/disable")
            .header(header::COOKIE, cookie.as_str());
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(Body::empty()).unwrap()
    };
    for (headers, why) in [
        (
            vec![
                ("origin", "https://evil.example"),
                ("sec-fetch-site", "cross-site"),
            ],
            "cross-site",
        ),
        (vec![], "no origin proof"),
        (vec![("origin", "http://127.0.0.1:8081")], "another port"),
        (vec![("sec-fetch-site", "same-site")], "a sibling site"),
        (
            vec![
                ("sec-fetch-site", "same-origin"),
                ("content-type", "text/plain"),
            ],
            "a form-like body",
        ),
    ] {
        let answer = t.send(disable(&headers)).await;
        assert_eq!(
            (answer.status, answer.slug()),
            (StatusCode::FORBIDDEN, Some("csrf-rejected")),
            "{why}"
        );
    }
    let listed = t
        .call(
            Method::GET,
            "/api/v1/accounts",
            &Who::Cookie(cookie.clone()),
            None,
        )
        .await;
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["enabled"] == true),
        "nothing was disabled"
    );
    // Same origin, by either header, passes.
    assert_eq!(
        t.send(disable(&[("origin", ORIGIN)])).await.status,
        StatusCode::OK
    );
    assert_eq!(
        t.send(disable(&[("sec-fetch-site", "same-origin")]))
            .await
            .status,
        StatusCode::OK
    );
    // A cross-site logout cannot end the session either.
    let logout = Request::builder()
        .method(Method::DELETE)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .uri("/api/v1/session")
        .header(header::COOKIE, cookie.as_str())
        .header("sec-fetch-site", "cross-site")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(logout).await.slug(), Some("csrf-rejected"));
    // A bearer request without the cookie is not cookie-borne: no CSRF check, just authorisation.
    let citizen = Request::builder()
        .method(Method::POST)
        .header("idempotency-key", uuid::Uuid::new_v4().to_string())
        .uri("/api/v1/accounts/planner/enable")
        .header(
            header::AUTHORIZATION,
            format!("Bearer {}", t.case_a.1.expose()),
        )
        .header("origin", "https://evil.example")
        .body(Body::empty())
        .unwrap();
    assert_eq!(t.send(citizen).await.slug(), Some("forbidden"));
}

async fn a_clerk_sees_only_the_queue_of_their_own_office(kind: Kind) {
    let t = test_app(kind).await;
    let x = t.login("clerk.x").await;
    let y = t.login("clerk.y").await;
    let queue = |office: &str| format!("/api/v1/offices/{office}/queue/2026-11-24");
    assert_eq!(
        t.call(Method::GET, &queue(OFFICE_X), &x, None).await.status,
        StatusCode::OK
    );
    assert_eq!(
        t.call(Method::GET, &queue(OFFICE_Y), &y, None).await.status,
        StatusCode::OK
    );
    let denied = t.call(Method::GET, &queue(OFFICE_X), &y, None).await;
    assert_eq!(
        (denied.status, denied.slug()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    assert!(
        denied.body.get("detail").is_none(),
        "no hint about the other office"
    );
}
