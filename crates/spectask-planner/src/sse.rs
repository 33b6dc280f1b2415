//! A minimal incremental parser of `text/event-stream` bodies (the WHATWG server-sent events format).
//!
//! Hand-written rather than taken from a crate: the two chat APIs use only `event:` and `data:`
//! fields, the parser must be fed the raw chunks we already read one by one (to apply the read
//! timeout and to detect a stream cut short mid-event), and the usual candidate,
//! `eventsource-stream`, brings in `nom` for what takes about a hundred lines here.

/// One dispatched event: its `event:` name (if any) and its `data:` lines joined by `\n`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SseEvent {
    pub event: Option<String>,
    pub data: String,
}

/// Feed it body chunks in order; it returns the events completed by each chunk.
#[derive(Debug, Default)]
pub(crate) struct SseParser {
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    after_cr: bool,
    event: Option<String>,
    data: Option<String>,
}

impl SseParser {
    pub fn feed(&mut self, chunk: &[u8]) -> Vec<SseEvent> {
        let mut events = Vec::new();
        for &byte in chunk {
            let after_cr = std::mem::take(&mut self.after_cr);
            match byte {
                b'\n' if after_cr => {}
                b'\n' | b'\r' => {
                    self.after_cr = byte == b'\r';
                    let line = std::mem::take(&mut self.line);
                    if let Some(event) = self.end_line(&line) {
                        events.push(event);
                    }
                }
                _ => self.line.push(byte),
            }
        }
        events
    }

    /// At the end of the body: the last event if the server omitted the final blank line.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let line = std::mem::take(&mut self.line);
        if !line.is_empty() {
            self.field(&line);
        }
        self.dispatch()
    }

    fn end_line(&mut self, line: &[u8]) -> Option<SseEvent> {
        if line.is_empty() {
            return self.dispatch();
        }
        self.field(line);
        None
    }

    fn field(&mut self, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        let line = line.strip_prefix('\u{feff}').unwrap_or(&line);
        if line.starts_with(':') {
            return; // a comment, e.g. a keep-alive
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        match name {
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {} // `id`, `retry` and unknown fields do not matter to a chat stream
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let data = self.data.take()?;
        Some(SseEvent { event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events: Vec<SseEvent> = chunks.iter().flat_map(|c| parser.feed(c)).collect();
        events.extend(parser.finish());
        events
    }

    fn data(text: &str) -> SseEvent {
        SseEvent { event: None, data: text.to_owned() }
    }

    #[test]
    fn events_split_across_chunks_are_reassembled() {
        let events = parse_all(&[b"da", b"ta: {\"a\"", b":1}\n", b"\ndata: [DONE]\n\n"]);
        assert_eq!(events, vec![data("{\"a\":1}"), data("[DONE]")]);
    }

    #[test]
    fn named_events_and_multi_line_data_are_kept() {
        let events = parse_all(&[b"event: message_stop\ndata: a\ndata: b\n\n"]);
        assert_eq!(
            events,
            vec![SseEvent { event: Some("message_stop".to_owned()), data: "a\nb".to_owned() }]
        );
    }

    #[test]
    fn crlf_lone_cr_and_a_cr_at_a_chunk_end_are_line_breaks() {
        let events = parse_all(&[b"data: 1\r", b"\n\r\ndata: 2\r\rdata: 3\n\n"]);
        assert_eq!(events, vec![data("1"), data("2"), data("3")]);
    }

    #[test]
    fn comments_and_unknown_fields_are_ignored() {
        let events = parse_all(&[b": keep-alive\n\nid: 7\nretry: 10\ndata:x\n\n"]);
        assert_eq!(events, vec![data("x")]);
    }

    #[test]
    fn a_last_event_without_blank_line_is_dispatched_at_the_end() {
        assert_eq!(parse_all(&[b"data: [DONE]"]), vec![data("[DONE]")]);
        assert_eq!(parse_all(&[b"event: ping\n"]), vec![]);
    }

    #[test]
    fn multi_byte_characters_split_across_chunks_survive() {
        let text = "data: héllo 🎯\n\n".as_bytes();
        let (a, b) = text.split_at(9);
        assert_eq!(parse_all(&[a, b]), vec![data("héllo 🎯")]);
    }
}
