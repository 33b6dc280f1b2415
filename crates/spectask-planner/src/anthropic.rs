//! Anthropic Messages (`POST {base_url}/v1/messages`): the request and the streamed answer
//! (`message_start`, `content_block_delta`, `message_delta`, `message_stop`, `error`).

use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::client::{Call, Reply, StreamDecoder};
use spectask_core::wire::sse::SseEvent;

const API_VERSION: &str = "2023-06-01";

/// The streaming request; the system prompt is a top-level field, not a message.
pub(crate) fn request(builder: RequestBuilder, call: &Call<'_>) -> RequestBuilder {
    let messages: Vec<Value> =
        call.messages.iter().map(|m| json!({ "role": m.role.as_str(), "content": m.content })).collect();
    let body = json!({
        "model": call.model,
        "max_tokens": call.max_tokens,
        "system": call.system,
        "messages": messages,
        "stream": true,
    });
    let builder =
        builder.header("anthropic-version", API_VERSION).header("accept", "text/event-stream").json(&body);
    match call.api_key {
        Some(key) => builder.header("x-api-key", key),
        None => builder,
    }
}

/// Collects `text_delta`s and the usage of `message_start` / `message_delta` until `message_stop`.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    reply: Reply,
    done: bool,
}

impl StreamDecoder for Decoder {
    const TERMINAL: &'static str = "event: message_stop";

    fn on_event(&mut self, event: &SseEvent) -> Result<(), String> {
        let data: Value = serde_json::from_str(&event.data)
            .map_err(|err| format!("event data is not json ({err}): {}", crate::client::head(&event.data)))?;
        let kind = data.get("type").and_then(Value::as_str).or(event.event.as_deref()).unwrap_or("");
        match kind {
            "message_start" => {
                if let Some(usage) = data.pointer("/message/usage") {
                    self.count_usage(usage);
                }
            }
            "content_block_delta" => {
                let delta = data.get("delta");
                let is_text = delta.and_then(|d| d.get("type")).and_then(Value::as_str);
                let text = delta.and_then(|d| d.get("text")).and_then(Value::as_str);
                if let (Some("text_delta"), Some(text)) = (is_text, text) {
                    self.reply.text.push_str(text);
                }
            }
            "message_delta" => {
                if let Some(usage) = data.get("usage") {
                    self.count_usage(usage);
                }
                let stop = data.pointer("/delta/stop_reason").and_then(Value::as_str);
                if stop == Some("max_tokens") {
                    self.reply.limit_reached = true;
                }
            }
            "message_stop" => self.done = true,
            "error" => {
                let error = data.get("error");
                let field =
                    |name: &str| error.and_then(|e| e.get(name)).and_then(Value::as_str).unwrap_or("unknown");
                return Err(format!("the stream reported {}: {}", field("type"), field("message")));
            }
            _ => {} // ping, content_block_start, content_block_stop, and future event kinds
        }
        Ok(())
    }

    fn is_done(&self) -> bool {
        self.done
    }

    fn into_reply(self) -> Reply {
        self.reply
    }
}

impl Decoder {
    /// Usage counts are cumulative: a later event's count replaces the earlier one.
    fn count_usage(&mut self, usage: &Value) {
        let count = |name: &str| usage.get(name).and_then(Value::as_u64);
        let cached = ["cache_creation_input_tokens", "cache_read_input_tokens"]
            .iter()
            .filter_map(|name| count(name))
            .sum::<u64>();
        if let Some(input) = count("input_tokens") {
            self.reply.input_tokens = input + cached;
        }
        if let Some(output) = count("output_tokens") {
            self.reply.output_tokens = output;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(decoder: &mut Decoder, event: &str, data: &str) -> Result<(), String> {
        decoder.on_event(&SseEvent { event: Some(event.to_owned()), data: data.to_owned(), id: None })
    }

    #[test]
    fn text_deltas_and_usage_make_the_reply() {
        let mut d = Decoder::default();
        feed(
            &mut d,
            "message_start",
            r#"{"type":"message_start","message":{"usage":{"input_tokens":25,"output_tokens":1}}}"#,
        )
        .expect("event accepted");
        feed(&mut d, "ping", r#"{"type":"ping"}"#).expect("event accepted");
        feed(
            &mut d,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi "}}"#,
        )
        .expect("event accepted");
        feed(
            &mut d,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"hmm"}}"#,
        )
        .expect("event accepted");
        feed(
            &mut d,
            "content_block_delta",
            r#"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"there"}}"#,
        )
        .expect("event accepted");
        feed(
            &mut d,
            "message_delta",
            r#"{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":15}}"#,
        )
        .expect("event accepted");
        assert!(!d.is_done());
        feed(&mut d, "message_stop", r#"{"type":"message_stop"}"#).expect("event accepted");
        assert!(d.is_done());
        let reply = d.into_reply();
        assert!(!reply.limit_reached);
        assert_eq!((reply.text.as_str(), reply.input_tokens, reply.output_tokens), ("Hi there", 25, 15));
    }

    #[test]
    fn stop_reason_max_tokens_marks_the_reply_cut_off() {
        let mut d = Decoder::default();
        let data =
            r#"{"type":"message_delta","delta":{"stop_reason":"max_tokens"},"usage":{"output_tokens":4000}}"#;
        feed(&mut d, "message_delta", data).expect("event accepted");
        assert!(d.into_reply().limit_reached);
    }

    #[test]
    fn an_error_event_names_its_type_and_message() {
        let mut d = Decoder::default();
        let data = r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#;
        let err = feed(&mut d, "error", data).expect_err("event refused");
        assert_eq!(err, "the stream reported overloaded_error: Overloaded");
    }
}
