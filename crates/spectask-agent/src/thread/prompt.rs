//! The content of one prompt turn: ACP content blocks (text, links to files, embedded resources …),
//! as an editor sends them, or plain text, as the orchestrator writes them.

use agent_client_protocol::v1::schema::{ContentBlock, EmbeddedResourceResource, TextContent};

use crate::error::AgentError;

/// What one prompt says, in order.
#[derive(Clone, Debug, PartialEq)]
pub struct PromptContent(pub(crate) Vec<ContentBlock>);

impl PromptContent {
    /// A prompt of one text block.
    pub fn text(text: impl Into<String>) -> Self {
        PromptContent(vec![ContentBlock::Text(TextContent::new(text.into()))])
    }

    /// Content blocks in ACP's JSON shape (`{"type": "text", "text": …}`, `resource_link`, `resource`,
    /// `image`, `audio`); an empty prompt or a block that is none of these is refused.
    pub fn from_json(blocks: Vec<serde_json::Value>) -> Result<Self, AgentError> {
        if blocks.is_empty() {
            return Err(AgentError::InvalidPrompt("the prompt has no content".into()));
        }
        let parsed = blocks
            .into_iter()
            .enumerate()
            .map(|(index, block)| {
                serde_json::from_value::<ContentBlock>(block)
                    .map_err(|e| AgentError::InvalidPrompt(format!("content block {index}: {e}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(PromptContent(parsed))
    }

    /// This prompt with a text block put before everything it says (context for the agent).
    pub fn with_preface(mut self, preface: impl Into<String>) -> Self {
        self.0.insert(0, ContentBlock::Text(TextContent::new(preface.into())));
        self
    }

    /// The prompt as text, for the session's recorded conversation: text as is, a linked or embedded
    /// resource by its URI (with an embedded text's content), other media as a placeholder.
    pub fn to_text(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|block| match block {
                ContentBlock::Text(text) => text.text.clone(),
                ContentBlock::ResourceLink(link) => format!("[{}]({})", link.name, link.uri),
                ContentBlock::Resource(embedded) => match &embedded.resource {
                    EmbeddedResourceResource::TextResourceContents(text) => {
                        format!("<{}>\n{}\n</{}>", text.uri, text.text, text.uri)
                    }
                    EmbeddedResourceResource::BlobResourceContents(blob) => {
                        format!("<{}> (binary)", blob.uri)
                    }
                    _ => "(resource)".to_owned(),
                },
                ContentBlock::Image(image) => format!("(image, {})", image.mime_type),
                ContentBlock::Audio(audio) => format!("(audio, {})", audio.mime_type),
                _ => "(content)".to_owned(),
            })
            .collect();
        parts.join("\n\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn editor_blocks_parse_and_read_as_text_for_the_history() {
        let prompt = PromptContent::from_json(vec![
            json!({"type": "text", "text": "Explain this"}),
            json!({"type": "resource_link", "name": "main.rs", "uri": "file:///w/src/main.rs"}),
            json!({"type": "resource", "resource": {"uri": "file:///w/a.txt", "text": "alpha"}}),
        ])
        .unwrap()
        .with_preface("Context first");
        assert_eq!(
            prompt.to_text(),
            "Context first\n\nExplain this\n\n[main.rs](file:///w/src/main.rs)\n\n<file:///w/a.txt>\nalpha\n</file:///w/a.txt>"
        );
    }

    #[test]
    fn an_empty_prompt_or_an_unknown_block_is_refused_by_position() {
        let empty = PromptContent::from_json(vec![]).unwrap_err();
        assert!(empty.to_string().contains("no content"), "{empty}");
        let bad =
            PromptContent::from_json(vec![json!({"type": "text", "text": "ok"}), json!({"type": "video"})])
                .unwrap_err();
        assert!(bad.to_string().contains("content block 1"), "{bad}");
    }
}
