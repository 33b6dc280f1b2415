//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes: the router
//! and the document are built together ([`api`]), so a route cannot be served undocumented.
//! `GET /api/v1/openapi.json` serves it; `openapi.json` in this crate is a copy checked by a test,
//! the stable input for the web app's generated TypeScript types.

use std::sync::OnceLock;

use axum::Router;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use utoipa::OpenApi as _;
use utoipa::openapi::schema::{AllOfBuilder, AnyOfBuilder, ArrayBuilder, ObjectBuilder, OneOf, Schema, Type};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa_axum::router::OpenApiRouter;

use spectask_core::EventKind;

use crate::error::ErrorBody;
use crate::{AppState, routes};

/// Where the API lives.
pub const API_PREFIX: &str = "/api/v1";

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "spectask",
        description = "Spec-driven development by AI agents: SpecTasks from a prompt, a reviewed spec, \
                       parallel work sessions, everything recorded in git. Every error answers \
                       `{\"error\": {\"code\", \"message\"}}`. Every POST, PUT, PATCH and DELETE \
                       of a caller accepts an `Idempotency-Key` header: a repeat with the same key \
                       gets the first answer (`Idempotent-Replayed: true`) and changes nothing; \
                       another request with it is refused (422 `idempotency_key_reused`)."
    ),
    components(schemas(ErrorBody)),
    tags(
        (name = "health", description = "Whether the server answers"),
        (name = "auth", description = "Logging in with an API token (the web UI's cookie) and who the caller is"),
        (name = "spec-tasks", description = "SpecTasks: create, list, show, cancel, retry"),
        (name = "tasks", description = "A generic view over the same SpecTasks: tasks and their work sessions"),
        (name = "specs", description = "The spec review loop and the design-docs branch"),
        (name = "work-sessions", description = "Implementation: sessions, spawning, coordination, review"),
        (name = "coordination", description = "What a work session's agent calls through its MCP tools; \
                                               authenticated by the session's credential only"),
        (name = "editor", description = "Threads opened from an editor (`spectask acp`)"),
        (name = "history", description = "Session history, committed to the design-docs branch"),
        (name = "repos", description = "Registered git repositories"),
        (name = "demo", description = "The offline demo's sample repositories (`spectask demo`)"),
        (name = "agents", description = "Agent profiles and permission approvals"),
        (name = "events", description = "The live event stream"),
        (name = "notifications", description = "What people were told about their tasks, and the webhook deliveries"),
        (name = "meta", description = "This document"),
    )
)]
struct ApiDoc;

/// The `/api/v1` routes and the document describing them (paths include the prefix).
pub fn api() -> (Router<AppState>, OpenApi) {
    let (router, mut doc) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .nest(API_PREFIX, routes::router().routes(utoipa_axum::routes!(openapi_json)))
        .split_for_parts();
    add_error_responses(&mut doc);
    add_alternatives(&mut doc);
    add_event_kinds(&mut doc);
    split_events_by_kind(&mut doc);
    frame_the_event_stream(&mut doc);
    (router, doc)
}

/// The document alone (what `openapi.json` holds).
pub fn document() -> OpenApi {
    api().1
}

/// The bodies that need one field or another, which the derive cannot say: a repository's path
/// or URL; changes asked for in comments (not blank) or line comments (at least one).
fn add_alternatives(doc: &mut OpenApi) {
    let required = |field: &str| {
        let text = ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"\S"));
        Schema::Object(ObjectBuilder::new().property(field, text).required(field).build())
    };
    alternatives(doc, "RegisterRepository", vec![required("path"), required("url")]);
    let comments = ObjectBuilder::new()
        .property("comments", ObjectBuilder::new().schema_type(Type::String).pattern(Some(r"\S")))
        .required("comments")
        .build();
    let line_comments = ObjectBuilder::new()
        .property(
            "line_comments",
            ArrayBuilder::new().items(RefOr::Ref(Ref::from_schema_name("LineComment"))).min_items(Some(1)),
        )
        .required("line_comments")
        .build();
    alternatives(doc, "ChangesRequestBody", vec![Schema::Object(comments), Schema::Object(line_comments)]);
}

/// Makes the component schema `name` also require one of `any`.
fn alternatives(doc: &mut OpenApi, name: &str, any: Vec<Schema>) {
    let Some(components) = doc.components.as_mut() else { return };
    let Some(original) = components.schemas.remove(name) else { return };
    let any = any.into_iter().fold(AnyOfBuilder::new(), |builder, schema| builder.item(schema)).build();
    let all = AllOfBuilder::new().item(original).item(Schema::AnyOf(any)).build();
    components.schemas.insert(name.to_owned(), RefOr::T(Schema::AllOf(all)));
}

/// `GET /events?kinds=`: a comma-separated list of event kinds, every kind of [`EventKind`].
fn add_event_kinds(doc: &mut OpenApi) {
    let kinds: Vec<String> = EventKind::ALL.iter().map(|k| regex_escape(k.as_str())).collect();
    let kind = format!("({})", kinds.join("|"));
    let pattern = format!("^({kind})?(,{kind})*$");
    let Some(events) = doc.paths.paths.get_mut(&format!("{API_PREFIX}/events")) else { return };
    let parameters = events.get.iter_mut().flat_map(|get| get.parameters.iter_mut().flatten());
    let inline = parameters.filter_map(|p| match p {
        RefOr::T(parameter) => Some(parameter),
        RefOr::Ref(_) => None,
    });
    for parameter in inline.filter(|p| p.name == "kinds") {
        let text = ObjectBuilder::new().schema_type(Type::String).pattern(Some(pattern.clone()));
        parameter.schema = Some(RefOr::T(Schema::Object(text.build())));
    }
}

/// `EventDto` as a oneOf by kind: each variant is the event's fields with one kind and its
/// payload. utoipa writes the flattened `Payload` as `allOf` of it and the other fields, which no
/// closed object schema matches.
fn split_events_by_kind(doc: &mut OpenApi) {
    let Some(components) = doc.components.as_mut() else { return };
    let Some(RefOr::T(Schema::AllOf(event))) = components.schemas.get("EventDto").cloned() else { return };
    let Some(RefOr::T(Schema::OneOf(kinds))) = components.schemas.remove("Payload") else { return };
    let fields = event.items.into_iter().find_map(|part| match part {
        RefOr::T(Schema::Object(fields)) => Some(fields),
        _ => None,
    });
    let Some(fields) = fields else { return };
    let variants = kinds.items.into_iter().filter_map(|kind| match kind {
        RefOr::T(Schema::Object(kind)) => {
            let mut variant = fields.clone();
            variant.properties.extend(kind.properties);
            variant.required.extend(kind.required);
            Some(RefOr::T(Schema::Object(variant)))
        }
        _ => None,
    });
    let mut by_kind = OneOf::new();
    by_kind.items = variants.collect();
    by_kind.description = event.description;
    components.schemas.insert("EventDto".to_owned(), RefOr::T(Schema::OneOf(by_kind)));
}

/// The event stream's schema as an event of it is: `event`, `id` and `data` text, the `data` JSON
/// of a `StreamFrameDto` (OpenAPI's way to describe `text/event-stream`: each parsed event is
/// validated against the schema).
fn frame_the_event_stream(doc: &mut OpenApi) {
    let Some(route) = doc.paths.paths.get_mut(&format!("{API_PREFIX}/events")) else { return };
    let Some(get) = route.get.as_mut() else { return };
    let Some(RefOr::T(answer)) = get.responses.responses.get_mut("200") else { return };
    let Some(RefOr::T(stream)) = answer.content.get_mut("text/event-stream") else { return };
    let text = || ObjectBuilder::new().schema_type(Type::String);
    let data = text()
        .description(Some("JSON: a `StreamFrameDto` (an event, an `attention` list, or the `end` reason)"))
        .content_media_type("application/json")
        .content_schema(Some(Ref::from_schema_name("StreamFrameDto")));
    let envelope = ObjectBuilder::new()
        .schema_type(Type::Object)
        .property("event", text().description(Some("The event's kind, `attention` or `end`")))
        .property(
            "id",
            text().description(Some("An event's sequence number (none on `attention` and `end`)")),
        )
        .property("data", data)
        .required("data");
    stream.schema = Some(RefOr::T(Schema::Object(envelope.build())));
}

/// `text` matched literally in a pattern (event kinds hold dots).
fn regex_escape(text: &str) -> String {
    text.replace('.', "\\.")
}

/// Every operation answers errors in the one shape: a `default` response says so.
fn add_error_responses(doc: &mut OpenApi) {
    let error = ResponseBuilder::new()
        .description("An error: `{\"error\": {\"code\", \"message\"}}`")
        .content(
            "application/json",
            ContentBuilder::new().schema(Some(RefOr::Ref(Ref::from_schema_name("ErrorBody")))).build(),
        )
        .build();
    for item in doc.paths.paths.values_mut() {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
            &mut item.head,
            &mut item.options,
            &mut item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            operation.responses.responses.entry("default".to_owned()).or_insert_with(|| error.clone().into());
        }
    }
}

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "meta",
    responses((status = 200, description = "The OpenAPI document", body = Object)))]
async fn openapi_json() -> Response {
    static JSON: OnceLock<String> = OnceLock::new();
    let json = JSON.get_or_init(|| document().to_pretty_json().unwrap_or_default());
    ([(CONTENT_TYPE, "application/json")], json.as_str()).into_response()
}
