//! The one parser of Server-Sent Events (`text/event-stream`, WHATWG HTML §9.2) in spectask: the
//! planner reads chat completions with it, `task watch` and the tests read `GET /api/v1/events`.
//! Pure: bytes in as they arrive, whole events out.
//!
//! Written here rather than taken from a crate: the candidates (`eventsource-stream`, unmaintained
//! since 2022 and built on `nom`; `sse-stream`, built on `http-body`) buffer a line or an event
//! without any bound, and wrapping them in a cap means finding the line breaks a second time. The
//! callers also need the raw-chunk interface: the planner applies its read timeout per chunk and
//! tells a stream cut short mid-event ([`SseParser::finish`]) from a complete one.
//!
//! Lines end in CRLF, LF or a lone CR (a CRLF split across two chunks is one break); a BOM at the
//! start of the stream is dropped; `:` starts a comment (keep-alives); `data` lines join with `\n`;
//! a block without `data` is not dispatched. What one unfinished line and one event's data may hold
//! together is capped ([`SseParser::new`]): past it, [`SseParser::feed`] fails instead of buffering.

/// The cap of [`SseParser::default`]: 4 MiB for one event (its data plus the unfinished line).
pub const MAX_EVENT_BYTES: usize = 4 * 1024 * 1024;

/// The byte order mark a stream may start with.
const BOM: &[u8] = "\u{feff}".as_bytes();

/// One dispatched event.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SseEvent {
    /// The `id` in force when it was dispatched (an `id:` field lasts until the next one).
    pub id: Option<String>,
    /// The `event:` name; `None` for the default type (`message`).
    pub event: Option<String>,
    /// The `data:` lines joined with `\n`.
    pub data: String,
}

/// The stream sent an event (or a line) larger than the parser's cap.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the event stream sent an event larger than {limit} bytes")]
pub struct SseTooLarge {
    pub limit: usize,
}

/// Feed it body chunks in order; each call returns the events those bytes completed.
#[derive(Debug)]
pub struct SseParser {
    limit: usize,
    /// Bytes of the current, unfinished line.
    line: Vec<u8>,
    /// The previous chunk ended with `\r`: a `\n` at the start of the next one belongs to it.
    after_cr: bool,
    /// The first line is not complete yet: a BOM at its start is dropped.
    at_start: bool,
    id: Option<String>,
    event: Option<String>,
    data: Option<String>,
}

impl Default for SseParser {
    fn default() -> Self {
        Self::new(MAX_EVENT_BYTES)
    }
}

impl SseParser {
    /// A parser refusing events whose data plus unfinished line exceed `limit` bytes.
    pub fn new(limit: usize) -> Self {
        Self { limit, line: Vec::new(), after_cr: false, at_start: true, id: None, event: None, data: None }
    }

    pub fn feed(&mut self, mut chunk: &[u8]) -> Result<Vec<SseEvent>, SseTooLarge> {
        let mut events = Vec::new();
        if chunk.is_empty() {
            return Ok(events);
        }
        if std::mem::take(&mut self.after_cr) && chunk[0] == b'\n' {
            chunk = &chunk[1..];
        }
        while !chunk.is_empty() {
            let Some(end) = chunk.iter().position(|b| matches!(b, b'\n' | b'\r')) else {
                self.push(chunk)?;
                break;
            };
            self.push(&chunk[..end])?;
            let crlf = chunk[end] == b'\r' && chunk.get(end + 1) == Some(&b'\n');
            self.after_cr = chunk[end] == b'\r' && end + 1 == chunk.len();
            chunk = &chunk[end + if crlf { 2 } else { 1 }..];
            let mut line = std::mem::take(&mut self.line);
            if std::mem::take(&mut self.at_start) && line.starts_with(BOM) {
                line.drain(..BOM.len());
            }
            if line.is_empty() {
                events.extend(self.dispatch());
            } else {
                self.field(&line);
            }
        }
        Ok(events)
    }

    /// At the end of the body: the last event when the server left out the final blank line.
    pub fn finish(&mut self) -> Option<SseEvent> {
        let mut line = std::mem::take(&mut self.line);
        if std::mem::take(&mut self.at_start) && line.starts_with(BOM) {
            line.drain(..BOM.len());
        }
        if !line.is_empty() {
            self.field(&line);
        }
        self.dispatch()
    }

    fn push(&mut self, bytes: &[u8]) -> Result<(), SseTooLarge> {
        let held = self.line.len() + bytes.len() + self.data.as_ref().map_or(0, String::len);
        if held > self.limit {
            return Err(SseTooLarge { limit: self.limit });
        }
        self.line.extend_from_slice(bytes);
        Ok(())
    }

    fn field(&mut self, line: &[u8]) {
        let line = String::from_utf8_lossy(line);
        if line.starts_with(':') {
            return; // a comment, e.g. a keep-alive
        }
        let (name, value) = match line.split_once(':') {
            Some((name, value)) => (name, value.strip_prefix(' ').unwrap_or(value)),
            None => (line.as_ref(), ""),
        };
        match name {
            "id" if !value.contains('\0') => self.id = Some(value.to_owned()),
            "event" => self.event = Some(value.to_owned()),
            "data" => match &mut self.data {
                Some(data) => {
                    data.push('\n');
                    data.push_str(value);
                }
                None => self.data = Some(value.to_owned()),
            },
            _ => {} // `retry` and unknown fields: spectask reconnects on its own schedule
        }
    }

    fn dispatch(&mut self) -> Option<SseEvent> {
        let event = self.event.take();
        let data = self.data.take()?;
        Some(SseEvent { id: self.id.clone(), event, data })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_all(chunks: &[&[u8]]) -> Vec<SseEvent> {
        let mut parser = SseParser::default();
        let mut events: Vec<SseEvent> = chunks.iter().flat_map(|c| parser.feed(c).unwrap()).collect();
        events.extend(parser.finish());
        events
    }

    fn data(text: &str) -> SseEvent {
        SseEvent { data: text.to_owned(), ..SseEvent::default() }
    }

    #[test]
    fn events_split_across_chunks_are_reassembled() {
        let events = parse_all(&[b"da", b"ta: {\"a\"", b":1}\n", b"\ndata: [DONE]\n\n"]);
        assert_eq!(events, vec![data("{\"a\":1}"), data("[DONE]")]);
    }

    #[test]
    fn every_split_of_a_stream_gives_the_same_events() {
        let stream = b"\xEF\xBB\xBFid: 7\r\nevent: spec_task.created\r\ndata: {\"a\":\r\ndata: 1}\r\n\r\n\
                       :keep\n\nid:8\rdata:x\r\rdata\n\n";
        let whole = parse_all(&[stream]);
        assert_eq!(
            whole,
            vec![
                SseEvent {
                    id: Some("7".into()),
                    event: Some("spec_task.created".into()),
                    data: "{\"a\":\n1}".into()
                },
                SseEvent { id: Some("8".into()), event: None, data: "x".into() },
                SseEvent { id: Some("8".into()), event: None, data: String::new() },
            ]
        );
        for size in 1..stream.len() {
            let chunks: Vec<&[u8]> = stream.chunks(size).collect();
            assert_eq!(parse_all(&chunks), whole, "chunks of {size}");
        }
    }

    #[test]
    fn crlf_lone_cr_and_a_cr_at_a_chunk_end_are_line_breaks() {
        let events = parse_all(&[b"data: 1\r", b"", b"\n\r\ndata: 2\r\rdata: 3\n\n"]);
        assert_eq!(events, vec![data("1"), data("2"), data("3")]);
    }

    #[test]
    fn comments_unknown_fields_and_blocks_without_data_are_not_events() {
        let events = parse_all(&[b": keep-alive\n\nretry: 10\nevent: ping\n\ndata:x\n\n"]);
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

    #[test]
    fn an_endless_line_is_an_error_not_a_buffer() {
        let mut parser = SseParser::new(1000);
        let chunk = [b'x'; 300];
        let fed: Result<Vec<_>, _> = (0..4).map(|_| parser.feed(&chunk)).collect();
        assert_eq!(fed.unwrap_err(), SseTooLarge { limit: 1000 });
        assert!(parser.line.len() <= 1000);
    }

    #[test]
    fn an_event_of_many_short_lines_is_capped_too() {
        let mut parser = SseParser::new(1000);
        let line = format!("data: {}\n", "y".repeat(90));
        let err = (0..20).try_for_each(|_| parser.feed(line.as_bytes()).map(drop)).unwrap_err();
        assert_eq!(err.to_string(), "the event stream sent an event larger than 1000 bytes");
        let mut parser = SseParser::new(1000);
        let within = parser.feed(format!("data: {}\n\n", "z".repeat(990)).as_bytes()).unwrap();
        assert_eq!(within[0].data.len(), 990);
    }
}
