//! The served OpenAPI document as a contract: every call names a documented operation, every answer
//! is validated against the schema the document gives for its status and content type (a JSON
//! Schema 2020-12 validator, `boon`), and every operation the document lists must have been called
//! and have answered one of its documented successes.
//!
//! The schemas are validated closed: an object schema that lists `properties` and says nothing of
//! other ones gets `unevaluatedProperties: false`, so a field the server sends and the document
//! does not name fails too (the generated TypeScript client would not know it).

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use serde_json::{Value, json};
use spectask_core::wire::sse::SseParser;

use super::super::http::Api;

const DOCUMENT_URL: &str = "http://spectask.test/openapi.json";
const METHODS: [&str; 5] = ["get", "post", "put", "delete", "patch"];

/// One answer as the contract saw it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub text: String,
}

pub struct Contract {
    pub api: Api,
    doc: Value,
    compiler: boon::Compiler,
    schemas: boon::Schemas,
    compiled: BTreeMap<String, boon::SchemaIndex>,
    /// Statuses answered per documented operation `(METHOD, /api/v1/…)`.
    answered: BTreeMap<(String, String), BTreeSet<u16>>,
    /// What went wrong; reported all at once at the end.
    pub mismatches: Vec<String>,
    /// The session credential the coordination API's calls carry (`Authorization: Bearer`).
    pub credential: Option<String>,
}

/// `~` and `/` escaped for a JSON pointer.
fn pointer_part(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}

/// Closes every object schema that lists its properties (see the module's doc), except the parts of
/// an `allOf` and the components one refers to (their properties are evaluated together with the
/// composing schema's, which is closed instead).
fn close_objects(value: &mut Value, open: bool) {
    match value {
        Value::Object(map) => {
            let lists = map.contains_key("properties") || map.contains_key("allOf");
            if lists && !open && !map.contains_key("additionalProperties") {
                map.insert("unevaluatedProperties".into(), Value::Bool(false));
            }
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    ("allOf", Value::Array(parts)) => parts.iter_mut().for_each(|p| close_objects(p, true)),
                    (_, child) => close_objects(child, false),
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| close_objects(v, false)),
        _ => {}
    }
}

/// Component names some `allOf` refers to.
fn composed_names(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::Array(parts)) = map.get("allOf") {
                for part in parts {
                    if let Some(r) = part["$ref"].as_str() {
                        out.insert(r.trim_start_matches("#/components/schemas/").to_owned());
                    }
                }
            }
            map.values().for_each(|v| composed_names(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| composed_names(v, out)),
        _ => {}
    }
}

impl Contract {
    /// Reads the document the server serves and prepares its schemas.
    pub fn new(server_url: &str) -> Self {
        let api = Api::new(server_url);
        let (status, doc) = api.get("/openapi.json");
        assert_eq!(status, 200, "GET /openapi.json: {doc}");
        let mut closed = doc.clone();
        let mut composed = BTreeSet::new();
        composed_names(&doc, &mut composed);
        for (name, schema) in closed["components"]["schemas"].as_object_mut().unwrap() {
            close_objects(schema, composed.contains(name));
        }
        for item in closed["paths"].as_object_mut().unwrap().values_mut() {
            for method in METHODS {
                if let Some(responses) = item.get_mut(method).and_then(|o| o.get_mut("responses")) {
                    close_objects(responses, false);
                }
            }
        }
        let mut compiler = boon::Compiler::new();
        compiler.set_default_draft(boon::Draft::V2020_12);
        compiler.enable_format_assertions();
        compiler.add_resource(DOCUMENT_URL, closed).unwrap();
        let mut contract = Self {
            api,
            doc,
            compiler,
            schemas: boon::Schemas::new(),
            compiled: BTreeMap::new(),
            answered: BTreeMap::new(),
            mismatches: Vec::new(),
            credential: None,
        };
        contract.record("get", "/openapi.json", 200);
        // The validator is not vacuous: a missing field and an undocumented one both fail.
        let error = "/components/schemas/ErrorBody";
        for wrong in
            [json!({"error": {"code": "x"}}), json!({"error": {"code": "x", "message": "y", "extra": 1}})]
        {
            contract.validate("the self-check", error, &wrong);
            assert!(contract.mismatches.pop().is_some(), "{wrong} passed as an ErrorBody");
        }
        contract
    }

    /// The documented operation `method path` (path under `/api/v1`, with `{param}`s), or a panic.
    fn operation(&self, method: &str, template: &str) -> &Value {
        let op = &self.doc["paths"][format!("/api/v1{template}")][method];
        assert!(op.is_object(), "{} {template} is not in the OpenAPI document", method.to_uppercase());
        op
    }

    fn record(&mut self, method: &str, template: &str, status: u16) {
        let key = (method.to_uppercase(), format!("/api/v1{template}"));
        self.answered.entry(key).or_default().insert(status);
    }

    /// Validates `instance` against the schema at `pointer` of the document.
    fn validate(&mut self, what: &str, pointer: &str, instance: &Value) {
        let location = format!("{DOCUMENT_URL}#{pointer}");
        let index = match self.compiled.get(&location) {
            Some(index) => *index,
            None => match self.compiler.compile(&location, &mut self.schemas) {
                Ok(index) => *self.compiled.entry(location).or_insert(index),
                Err(e) => {
                    self.mismatches.push(format!("{what}: the schema at {pointer} does not compile: {e}"));
                    return;
                }
            },
        };
        if let Err(e) = self.schemas.validate(instance, index) {
            self.mismatches
                .push(format!("{what}: the answer does not match its schema: {e:#}\n{instance:#}"));
        }
    }

    /// One call of a documented operation; `args` fill the template's `{param}`s in order, `query`
    /// is appended as it is. The answer is checked against the document.
    pub fn call(
        &mut self,
        method: &str,
        template: &str,
        args: &[&str],
        query: &str,
        body: Option<Value>,
    ) -> Answer {
        let mut path = template.to_owned();
        for arg in args {
            let (start, end) = (path.find('{').unwrap(), path.find('}').unwrap());
            path.replace_range(start..=end, arg);
        }
        assert!(!path.contains('{'), "{template}: not every parameter given in {args:?}");
        let what = format!("{} {path}{query}", method.to_uppercase());
        let (status, content_type, bytes) = self.send(method, &format!("{path}{query}"), body);
        self.check(&what, method, template, status, &content_type, &bytes)
    }

    /// Checks one answer of the documented operation `method template` against the document.
    pub fn check(
        &mut self,
        what: &str,
        method: &str,
        template: &str,
        status: u16,
        content_type: &str,
        bytes: &[u8],
    ) -> Answer {
        let op = self.operation(method, template).clone();
        self.record(method, template, status);
        let text = String::from_utf8_lossy(bytes).into_owned();
        let documented = op["responses"].get(status.to_string());
        let (key, response) = match documented {
            Some(response) => (status.to_string(), response.clone()),
            None if (200..300).contains(&status) => {
                self.mismatches.push(format!("{what}: answered {status}, which the document does not list"));
                return Answer { status, body: Value::Null, text };
            }
            None => ("default".to_owned(), op["responses"]["default"].clone()),
        };
        let Some(contents) = response["content"].as_object() else {
            if !bytes.is_empty() {
                self.mismatches.push(format!("{what}: {status} documents no body, but one came: {text}"));
            }
            return Answer { status, body: Value::Null, text };
        };
        let media = content_type.split(';').next().unwrap_or("").trim().to_owned();
        if !contents.contains_key(&media) {
            let listed: Vec<&String> = contents.keys().collect();
            self.mismatches.push(format!("{what}: {status} came as {media:?}, the document says {listed:?}"));
            return Answer { status, body: Value::Null, text };
        }
        let pointer = format!(
            "/paths/{}/{method}/responses/{key}/content/{}/schema",
            pointer_part(&format!("/api/v1{template}")),
            pointer_part(&media)
        );
        let body = match media.as_str() {
            "application/json" => match serde_json::from_slice::<Value>(bytes) {
                Ok(body) => {
                    self.validate(what, &pointer, &body);
                    body
                }
                Err(e) => {
                    self.mismatches.push(format!("{what}: not JSON ({e}): {text}"));
                    Value::Null
                }
            },
            "application/x-ndjson" => {
                let frames: Vec<Value> = text.lines().filter_map(|l| serde_json::from_str(l).ok()).collect();
                for frame in &frames {
                    self.validate(what, &pointer, frame);
                }
                Value::Array(frames)
            }
            // A download (tar.gz, markdown): the content type is the contract.
            _ => Value::Null,
        };
        Answer { status, body, text }
    }

    /// One request: status, content type and body.
    fn send(&self, method: &str, path: &str, body: Option<Value>) -> (u16, String, Vec<u8>) {
        let method = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
        let mut request = self.api.http.request(method, format!("{}{path}", self.api.base));
        if let Some(credential) = &self.credential {
            request = request.bearer_auth(credential);
        }
        if let Some(body) = body {
            request = request.json(&body);
        }
        self.api.runtime.block_on(async move {
            let response = request.send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = header(&response, reqwest::header::CONTENT_TYPE);
            (status, content_type, response.bytes().await.unwrap().to_vec())
        })
    }

    /// `call` that must answer `want`; returns the body.
    pub fn expect(
        &mut self,
        want: u16,
        method: &str,
        template: &str,
        args: &[&str],
        body: Option<Value>,
    ) -> Value {
        let answer = self.call(method, template, args, "", body);
        assert_eq!(
            answer.status,
            want,
            "{} {template} {args:?}: {}\nmismatches so far: {:#?}",
            method.to_uppercase(),
            answer.text,
            self.mismatches
        );
        answer.body
    }

    /// `GET` that must answer 200.
    pub fn get(&mut self, template: &str, args: &[&str]) -> Value {
        self.expect(200, "get", template, args, None)
    }

    /// Reads the live event stream from the start until `count` events came; validates each
    /// event's data against the document's schema for the stream.
    pub fn events(&mut self, count: usize) -> Vec<Value> {
        let url = format!("{}/events?after=0", self.api.base);
        let http = self.api.http.clone();
        let (status, content_type, data) = self.api.runtime.block_on(async move {
            let mut response = http.get(url).send().await.unwrap();
            let status = response.status().as_u16();
            let content_type = header(&response, reqwest::header::CONTENT_TYPE);
            let mut parser = SseParser::default();
            let mut data = Vec::new();
            let read = async {
                while data.len() < count {
                    let Some(chunk) = response.chunk().await.unwrap() else { break };
                    data.extend(parser.feed(&chunk).unwrap().into_iter().map(|e| e.data));
                }
            };
            // Bounded: a stream that stops short fails below with what it sent.
            let _ = tokio::time::timeout(Duration::from_secs(30), read).await;
            (status, content_type, data)
        });
        self.record("get", "/events", status);
        assert_eq!(status, 200, "GET /events");
        assert!(content_type.starts_with("text/event-stream"), "GET /events came as {content_type}");
        assert!(data.len() >= count, "GET /events sent {} events, not {count}: {data:#?}", data.len());
        let mut events = Vec::new();
        for text in data {
            match serde_json::from_str::<Value>(&text) {
                Ok(event) => events.push(event),
                Err(e) => {
                    self.mismatches.push(format!("GET /events: an event's data is not JSON ({e}): {text}"))
                }
            }
        }
        // Each event's `data`, as the stream's schema says it: JSON of its `contentSchema`.
        let pointer = "/paths/~1api~1v1~1events/get/responses/200/content/text~1event-stream/schema/properties/data/contentSchema";
        for event in &events {
            self.validate("GET /events", pointer, event);
        }
        events
    }

    /// Fails with every mismatch seen so far (for a test that calls only some operations).
    pub fn assert_matched(&self) {
        assert!(self.mismatches.is_empty(), "answers not as documented:\n- {}", self.mismatches.join("\n- "));
    }

    /// Fails with every mismatch seen, every operation never called, and every operation that never
    /// answered a documented success (unless `excused` names it with why).
    pub fn finish(self, excused: &[(&str, &str, &str)]) {
        let mut problems = self.mismatches;
        for (path, item) in self.doc["paths"].as_object().unwrap() {
            for method in METHODS.iter().filter(|m| item.get(**m).is_some()) {
                let key = (method.to_uppercase(), path.clone());
                let parameters = item[*method]["parameters"].as_array().cloned().unwrap_or_default();
                for p in parameters.iter().filter(|p| p["in"] == "path") {
                    let name = p["name"].as_str().unwrap_or_default();
                    if !path.contains(&format!("{{{name}}}")) {
                        problems
                            .push(format!("{} {path} documents a path parameter {name} it has not", key.0));
                    }
                }
                let successes: Vec<&String> = item[*method]["responses"]
                    .as_object()
                    .unwrap()
                    .keys()
                    .filter(|k| k.starts_with('2'))
                    .collect();
                match self.answered.get(&key) {
                    None => problems.push(format!("{} {path} was never called", key.0)),
                    Some(statuses) => {
                        let succeeded = statuses.iter().any(|s| successes.contains(&&s.to_string()));
                        let excuse =
                            excused.iter().find(|(m, p, _)| *m == key.0 && format!("/api/v1{p}") == *path);
                        if !succeeded && excuse.is_none() {
                            problems.push(format!(
                                "{} {path} answered only {statuses:?}, never {successes:?}",
                                key.0
                            ));
                        }
                    }
                }
            }
        }
        assert!(problems.is_empty(), "{} contract problems:\n- {}", problems.len(), problems.join("\n- "));
    }
}

fn header(response: &reqwest::Response, name: reqwest::header::HeaderName) -> String {
    response.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
}

/// The body of a documented error: `{"error": {"code", "message"}}`.
pub fn error_code(answer: &Answer) -> String {
    answer.body["error"]["code"].as_str().unwrap_or_default().to_owned()
}

/// An empty JSON object, for bodies whose fields are all optional.
pub fn empty() -> Option<Value> {
    Some(json!({}))
}
