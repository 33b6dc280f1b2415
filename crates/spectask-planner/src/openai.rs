//! OpenAI-compatible chat completions (`POST {base_url}/chat/completions`): the request and the
//! streamed answer, as served by OpenAI, Ollama, vLLM, llama.cpp server and others.

use reqwest::RequestBuilder;
use serde_json::{Value, json};

use crate::client::{Call, Reply, StreamDecoder};
use spectask_core::wire::sse::SseEvent;

/// The name of the answer length limit in the request body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LimitField {
    /// `max_tokens`: understood by every OpenAI-compatible server.
    MaxTokens,
    /// `max_completion_tokens`: required by OpenAI's reasoning models, which refuse `max_tokens`.
    MaxCompletionTokens,
}

impl LimitField {
    fn name(self) -> &'static str {
        match self {
            Self::MaxTokens => "max_tokens",
            Self::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// Whether a refused request asks for `max_completion_tokens` instead of `max_tokens`.
pub(crate) fn wants_max_completion_tokens(status: u16, body: &str) -> bool {
    status == 400 && body.contains("max_completion_tokens")
}

/// The streaming request; `stream_options.include_usage` asks for a final chunk with token counts.
pub(crate) fn request(builder: RequestBuilder, call: &Call<'_>, limit: LimitField) -> RequestBuilder {
    let mut messages = vec![json!({ "role": "system", "content": call.system })];
    messages.extend(call.messages.iter().map(|m| json!({ "role": m.role.as_str(), "content": m.content })));
    let mut body = json!({
        "model": call.model,
        "messages": messages,
        "stream": true,
        "stream_options": { "include_usage": true },
    });
    body[limit.name()] = json!(call.max_tokens);
    let builder = builder.header("accept", "text/event-stream").json(&body);
    match call.api_key {
        Some(key) => builder.bearer_auth(key),
        None => builder,
    }
}

/// Collects `choices[0].delta.content` and `usage` from `data:` chunks until `data: [DONE]`.
#[derive(Debug, Default)]
pub(crate) struct Decoder {
    reply: Reply,
    done: bool,
}

impl StreamDecoder for Decoder {
    const TERMINAL: &'static str = "data: [DONE]";

    fn on_event(&mut self, event: &SseEvent) -> Result<(), String> {
        let data = event.data.trim();
        if data == "[DONE]" {
            self.done = true;
            return Ok(());
        }
        let chunk: Value = serde_json::from_str(data)
            .map_err(|err| format!("chunk is not json ({err}): {}", crate::client::head(data)))?;
        if let Some(error) = chunk.get("error") {
            let message = error.get("message").and_then(Value::as_str).unwrap_or("no message");
            return Err(format!("the stream reported an error: {message}"));
        }
        let delta = chunk.pointer("/choices/0/delta/content").and_then(Value::as_str);
        if let Some(text) = delta {
            self.reply.text.push_str(text);
        }
        let finish = chunk.pointer("/choices/0/finish_reason").and_then(Value::as_str);
        if finish == Some("length") {
            self.reply.limit_reached = true;
        }
        if let Some(usage) = chunk.get("usage").filter(|u| u.is_object()) {
            let count = |name: &str| usage.get(name).and_then(Value::as_u64).unwrap_or(0);
            self.reply.input_tokens = count("prompt_tokens");
            self.reply.output_tokens = count("completion_tokens");
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

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(decoder: &mut Decoder, data: &str) -> Result<(), String> {
        decoder.on_event(&SseEvent { event: None, data: data.to_owned(), id: None })
    }

    #[test]
    fn content_deltas_and_the_usage_chunk_make_the_reply() {
        let mut decoder = Decoder::default();
        feed(&mut decoder, r#"{"choices":[{"delta":{"role":"assistant"}}]}"#).expect("event accepted");
        feed(&mut decoder, r#"{"choices":[{"delta":{"content":"Hel"}}]}"#).expect("event accepted");
        feed(&mut decoder, r#"{"choices":[{"delta":{"content":"lo"},"finish_reason":null}]}"#)
            .expect("event accepted");
        feed(&mut decoder, r#"{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":3}}"#)
            .expect("event accepted");
        assert!(!decoder.is_done());
        feed(&mut decoder, "[DONE]").expect("event accepted");
        assert!(decoder.is_done());
        let reply = decoder.into_reply();
        assert!(!reply.limit_reached);
        assert_eq!((reply.text.as_str(), reply.input_tokens, reply.output_tokens), ("Hello", 12, 3));
    }

    #[test]
    fn finish_reason_length_marks_the_reply_cut_off() {
        let mut decoder = Decoder::default();
        let chunk = r#"{"choices":[{"delta":{"content":"x"},"finish_reason":"length"}]}"#;
        feed(&mut decoder, chunk).expect("event accepted");
        assert!(decoder.into_reply().limit_reached);
    }

    #[test]
    fn error_chunks_and_garbage_fail_the_stream() {
        let mut decoder = Decoder::default();
        let err =
            feed(&mut decoder, r#"{"error":{"message":"model overloaded"}}"#).expect_err("event refused");
        assert!(err.contains("model overloaded"), "{err}");
        let err = feed(&mut decoder, "<html>").expect_err("event refused");
        assert!(err.contains("<html>"), "{err}");
    }
}
