//! Oversized, deeply nested, malformed and invalid requests get clear errors
//! and change nothing; anonymous introspection is rate-limited.

use std::net::SocketAddr;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{Request, StatusCode};
use careledger::users::Role;
use graphql_client::GraphQLQuery;
use serde_json::{json, Value};
use sqlx::PgPool;
use tower::ServiceExt as _;

use super::{fingerprint, record_input, Hospital};
use crate::ops::{
    self, create_record, create_user, record_by_id, CreateRecord, CreateUser, RecordById,
};
use crate::support::{code, Reply};

/// The `extensions.audit` entries of a raw response.
fn audit(response: &Value) -> &[Value] {
    response["extensions"]["audit"].as_array().map(Vec::as_slice).unwrap_or_default()
}

#[sqlx::test(migrations = "../migrations")]
async fn an_oversized_request_is_refused_before_it_is_read(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = fingerprint(&h.app.state.pool).await;
    let patient = h.user(Role::Patient).id.to_string();
    let mut input = record_input(&patient, "Huge");
    input.content = json!({"notes": "x".repeat(careledger::http::MAX_BODY_BYTES)});
    let body = json!(CreateRecord::build_query(create_record::Variables { input })).to_string();
    let mut request = Request::post("/graphql")
        .header("content-type", "application/json")
        .header("content-length", body.len())
        .header("authorization", format!("Bearer {}", h.token(Role::Doctor)))
        .body(Body::from(body))
        .expect("request");
    request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
    let response =
        careledger::http::router(h.app.state.clone()).oneshot(request).await.expect("response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn deep_malformed_and_invalid_requests_get_clear_errors_and_change_nothing(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = fingerprint(&h.app.state.pool).await;
    let doctor = Some(h.token(Role::Doctor).to_owned());
    let run = |query: String, vars: Value| {
        let doctor = doctor.clone();
        let app = &h.app;
        async move { app.raw(doctor.as_deref(), &query, vars).await }
    };

    // Raw: nested deeper than the limit (12), which only introspection types do.
    let mut deep = String::from("name");
    for _ in 0..14 {
        deep = format!("ofType {{ {deep} }}");
    }
    let query = format!("{{ __schema {{ types {{ fields {{ type {{ {deep} }} }} }} }} }}");
    let out = run(query, json!({})).await;
    assert_eq!(code(&out), "BAD_REQUEST", "{out}");
    assert!(
        out["errors"][0]["message"].as_str().expect("message").contains("nested too deep"),
        "{out}"
    );
    assert_eq!(out["data"], Value::Null);
    assert!(audit(&out).is_empty(), "refused before any access was asked");

    // Raw, as no typed operation can be: a syntax error, an unknown field, a
    // wrong variable type.
    for (query, vars) in [
        ("{ searchUsers(query: ", json!({})),
        ("{ searchUsers { edges { node { password } } } }", json!({})),
        (
            "mutation($input: CreateRecordInput!) { createRecord(input: $input) { id } }",
            json!({"input": {"patientId": 1}}),
        ),
    ] {
        let out = run(query.to_owned(), vars).await;
        assert_eq!(code(&out), "BAD_REQUEST", "{query}: {out}");
        assert_eq!(out["data"], Value::Null, "{query}");
        assert!(audit(&out).is_empty(), "{query}");
    }

    // Invalid values: BAD_USER_INPUT naming the field.
    let patient = h.user(Role::Patient).id.to_string();
    let mut cases = vec![];
    let mut input = record_input("not-an-id", "Fine");
    cases.push((input.clone(), "patientId"));
    input = record_input(&patient, "   ");
    cases.push((input.clone(), "title"));
    input = record_input(&patient, "Fine");
    input.content = json!(["not", "an", "object"]);
    cases.push((input.clone(), "content"));
    let mut nested = json!("leaf");
    for _ in 0..40 {
        nested = json!({ "n": nested });
    }
    input.content = nested;
    cases.push((input, "content"));
    for (input, field) in cases {
        let out = h.run::<CreateRecord>(Role::Doctor, create_record::Variables { input }).await;
        assert_eq!(out.code(), "BAD_USER_INPUT", "{field}: {out:?}");
        assert_eq!(out.extension("field"), field, "{out:?}");
        assert_eq!(out.data, None);
    }
    let bad_id =
        h.run::<RecordById>(Role::Doctor, record_by_id::Variables { id: "42".to_owned() }).await;
    assert_eq!((bad_id.code(), bad_id.extension("field").as_str()), ("BAD_USER_INPUT", Some("id")));
    let input = create_user::CreateUserInput {
        username: "no spaces allowed".to_owned(),
        password: "long enough pass".to_owned(),
        full_name: "X".to_owned(),
        address: None,
        designation: None,
        department: None,
        role: ops::Role::Patient,
    };
    let bad_user = h.run::<CreateUser>(Role::Admin, create_user::Variables { input }).await;
    assert_eq!(bad_user.extension("field"), "username", "{bad_user:?}");
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}

#[sqlx::test(migrations = "../migrations")]
async fn one_request_cannot_flood_a_patients_trail_with_aliased_reads(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let patient = h.user(Role::Patient).id.to_string();
    let reads = |n: usize| {
        let fields: String = (0..n)
            .map(|i| format!("r{i}: patientRecords(patientId: \"{patient}\") {{ id }} "))
            .collect();
        format!("{{ {fields} }}")
    };
    let before = h.app.state.gate.stats().requests;
    let out = h.app.raw(Some(h.token(Role::Doctor)), &reads(11), json!({})).await;
    assert_eq!(code(&out), "BAD_REQUEST", "{out}");
    assert_eq!(
        out["errors"][0]["message"],
        "one request may ask for at most 10 top-level fields (each is an access decision \
         recorded on chain); this one asks for 11: send several requests"
    );
    assert_eq!(out["data"], Value::Null);
    assert_eq!(h.app.state.gate.stats().requests, before, "nothing was asked of the contract");
    // Ten are one request's worth: ten decisions, ten events.
    let out = h.app.raw(Some(h.token(Role::Doctor)), &reads(10), json!({})).await;
    assert_eq!(audit(&out).len(), 10, "{out}");
    assert_eq!(h.app.state.gate.stats().requests, before + 10);
}

#[sqlx::test(migrations = "../migrations")]
async fn names_and_addresses_that_would_pose_as_others_are_refused(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = fingerprint(&h.app.state.pool).await;
    let input = |full_name: &str, address: &str| create_user::CreateUserInput {
        username: "ann.smith".to_owned(),
        password: "long enough pass".to_owned(),
        full_name: full_name.to_owned(),
        address: Some(address.to_owned()),
        designation: None,
        department: Some("Cardiology".to_owned()),
        role: ops::Role::Nurse,
    };
    let reason = "must not contain invisible or direction-changing characters \
                  (zero-width spaces, right-to-left overrides and the like)";
    for (full_name, address, field) in [
        // Shown as "Ann Smith" in a list, but another person.
        ("Ann\u{200B} Smith", "4 Mill Road", "fullName"),
        // Shown as "Dr Ann Smith" (the override reverses what follows).
        ("Dr \u{202E}htimS nnA", "4 Mill Road", "fullName"),
        ("Ann Smith", "4 Mill\u{2066} Road", "address"),
    ] {
        let out = h
            .run::<CreateUser>(
                Role::Admin,
                create_user::Variables { input: input(full_name, address) },
            )
            .await;
        assert_eq!(out.code(), "BAD_USER_INPUT", "{full_name:?}");
        assert_eq!(out.extension("field"), field, "{full_name:?}");
        assert_eq!(out.message(), format!("{field}: {reason}"), "{full_name:?}");
    }
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
    // A Persian name keeps the non-joiner its spelling needs.
    let persian = "\u{0645}\u{062D}\u{0645}\u{062F}\u{200C}\u{0631}\u{0636}\u{0627} Ahmadi";
    let out = h
        .run::<CreateUser>(
            Role::Admin,
            create_user::Variables { input: input(persian, "4 Mill Road") },
        )
        .await;
    assert_eq!(out.ok().create_user.full_name, persian);
}

#[sqlx::test(migrations = "../migrations")]
async fn anonymous_introspection_is_rate_limited_per_address(pool: PgPool) {
    let h = Hospital::new(pool).await;
    // Raw: introspection is what is being limited.
    let introspect = "{ __schema { queryType { name } } }";
    let burst = careledger::graphql::introspection::BURST as usize;
    for i in 0..burst {
        let out = h.app.raw(None, introspect, json!({})).await;
        assert_eq!(out["data"]["__schema"]["queryType"]["name"], "Query", "request {i}: {out}");
    }
    let limited = h.app.raw(None, introspect, json!({})).await;
    assert_eq!(code(&limited), "RATE_LIMITED", "{limited}");
    assert!(limited["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_u64()
        .is_some_and(|s| s >= 1));
    // Hidden in a fragment: still introspection.
    let fragment = h
        .app
        .raw(
            None,
            "query { ...F } fragment F on Query { __type(name: \"User\") { name } }",
            json!({}),
        )
        .await;
    assert_eq!(code(&fragment), "RATE_LIMITED");
    // Other anonymous requests, and signed-in introspection, go on.
    let status = h.app.raw(None, "{ __typename }", json!({})).await;
    assert_eq!(status["data"]["__typename"], "Query");
    let signed_in = h.app.raw(Some(h.token(Role::Nurse)), introspect, json!({})).await;
    assert_eq!(signed_in["data"]["__schema"]["queryType"]["name"], "Query");
}

#[sqlx::test(migrations = "../migrations")]
async fn at_capacity_a_request_is_answered_overloaded_and_nothing_is_done(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let mut state = h.app.state.clone();
    state.admission = std::sync::Arc::new(careledger::http::admission::Admission::new(1));
    let patient = h.user(Role::Patient).id.to_string();
    let input = record_input(&patient, "Asthma");
    let body = json!(CreateRecord::build_query(create_record::Variables { input })).to_string();
    let token = h.token(Role::Doctor).to_owned();
    let post = || {
        let mut request = Request::post("/graphql")
            .header("content-type", "application/json")
            .header("authorization", format!("Bearer {token}"))
            .body(Body::from(body.clone()))
            .expect("request");
        request.extensions_mut().insert(ConnectInfo(SocketAddr::from(([127, 0, 0, 1], 4000))));
        careledger::http::router(state.clone()).oneshot(request)
    };
    let before = fingerprint(&state.pool).await;
    let asked = state.gate.stats().requests;

    // The one place is taken: the request is refused at the door.
    let place = state.admission.enter().expect("the only place");
    let response = post().await.expect("response");
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.headers()["retry-after"], "1");
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let out = Reply::<create_record::ResponseData>::from_json(
        serde_json::from_slice(&bytes).expect("json"),
    );
    assert_eq!(out.code(), "OVERLOADED", "{out:?}");
    assert_eq!(out.extension("retryAfterSeconds"), 1);
    assert_eq!(out.data, None);
    assert_eq!(fingerprint(&state.pool).await, before, "nothing written");
    assert_eq!(state.gate.stats().requests, asked, "nothing asked of the contract");
    assert_eq!((state.admission.in_progress(), state.admission.refused()), (1, 1));

    // Given back, the same request goes through, and its place is freed after it.
    drop(place);
    let response = post().await.expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20).await.expect("body");
    let out = Reply::<create_record::ResponseData>::from_json(
        serde_json::from_slice(&bytes).expect("json"),
    );
    assert_eq!(out.ok().create_record.title, "Asthma", "{out:?}");
    assert_eq!(state.gate.stats().requests, asked + 1);
    assert_eq!((state.admission.in_progress(), state.admission.refused()), (0, 1));
}

#[sqlx::test(migrations = "../migrations")]
async fn values_that_fail_to_parse_get_a_code_and_change_nothing(pool: PgPool) {
    let h = Hospital::new(pool).await;
    let before = fingerprint(&h.app.state.pool).await;
    let auditor = Some(h.token(Role::Auditor).to_owned());
    let record = "00000000-0000-0000-0000-000000000000";
    let mut codes = vec![];
    for (query, vars) in [
        ("{ auditEvents(first: 99999999999) { edges { cursor } } }", json!({})),
        (
            "query($n: Int) { auditEvents(first: $n) { edges { cursor } } }",
            json!({"n": 99_999_999_999_i64}),
        ),
        (
            "query($at: DateTime!) { recordAsOf(id: \"00000000-0000-0000-0000-000000000000\", at: $at) { version } }",
            json!({"at": "yesterday at noon"}),
        ),
        (&*format!("{{ recordAsOf(id: \"{record}\", at: \"2026-13-45T99:00:00Z\") {{ version }} }}"), json!({})),
        (
            "query($f: AuditFilter) { auditEvents(filter: $f) { edges { cursor } } }",
            json!({"f": {"since": "not a time"}}),
        ),
    ] {
        let out = h.app.raw(auditor.as_deref(), query, vars).await;
        assert!(audit(&out).is_empty(), "refused before any access was asked: {query}: {out}");
        assert_eq!(out["data"], Value::Null, "{query}");
        codes.push(code(&out).to_owned());
    }
    // Each fails while its field's arguments are read: the field's path, and
    // before this, no code at all.
    assert_eq!(codes, ["BAD_USER_INPUT"; 5]);
    assert_eq!(fingerprint(&h.app.state.pool).await, before);
}
