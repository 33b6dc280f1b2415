//! A Server-Sent Events parser for `task watch`: bytes in as they arrive, complete messages out.

use anyhow::bail;

/// Longest line (or message data) accepted: a stream that sends more is broken, not buffered for.
const MAX_LINE: usize = 4 * 1024 * 1024;

/// One message: its `id`, `event` name and `data` (lines joined with `\n`).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Message {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

#[derive(Debug, Default)]
pub struct Parser {
    /// Bytes of an unfinished line.
    line: Vec<u8>,
    message: Message,
}

impl Parser {
    /// Feeds a chunk of the body; returns the messages it completed.
    pub fn feed(&mut self, chunk: &[u8]) -> anyhow::Result<Vec<Message>> {
        let mut done = Vec::new();
        for &byte in chunk {
            if byte != b'\n' {
                self.line.push(byte);
                if self.line.len() > MAX_LINE {
                    bail!("the event stream sent a line longer than {MAX_LINE} bytes");
                }
                continue;
            }
            let line = String::from_utf8_lossy(&self.line).trim_end_matches('\r').to_owned();
            self.line.clear();
            if line.is_empty() {
                let message = std::mem::take(&mut self.message);
                if message.id.is_some() || !message.data.is_empty() {
                    done.push(message);
                }
                continue;
            }
            if line.starts_with(':') {
                continue; // a comment: keep-alive
            }
            let (field, value) = match line.split_once(':') {
                Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
                None => (line.as_str(), ""),
            };
            match field {
                "id" => self.message.id = Some(value.to_owned()),
                "event" => self.message.event = value.to_owned(),
                "data" => {
                    if !self.message.data.is_empty() {
                        self.message.data.push('\n');
                    }
                    self.message.data.push_str(value);
                    if self.message.data.len() > MAX_LINE {
                        bail!("the event stream sent an event larger than {MAX_LINE} bytes");
                    }
                }
                _ => {}
            }
        }
        Ok(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_split_across_chunks_and_comments_are_skipped() {
        let mut parser = Parser::default();
        let stream = b":\n\nid: 7\nevent: spec_task.created\ndata: {\"a\":\ndata: 1}\n\n:keep\n\nid:8\r\ndata:x\r\n\r\n";
        let mut messages = Vec::new();
        for chunk in stream.chunks(5) {
            messages.extend(parser.feed(chunk).unwrap());
        }
        assert_eq!(
            messages,
            vec![
                Message {
                    id: Some("7".into()),
                    event: "spec_task.created".into(),
                    data: "{\"a\":\n1}".into()
                },
                Message { id: Some("8".into()), event: String::new(), data: "x".into() },
            ]
        );
    }

    #[test]
    fn an_endless_line_is_an_error_not_a_buffer() {
        let mut parser = Parser::default();
        let chunk = vec![b'x'; 1024 * 1024];
        let result = (0..5).try_for_each(|_| parser.feed(&chunk).map(drop));
        assert!(result.unwrap_err().to_string().contains("longer than"));
    }
}
