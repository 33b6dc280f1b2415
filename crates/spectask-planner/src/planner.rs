//! The planning loop: ask the model, extract the three documents, lint them, send them back with
//! their errors for up to `max_repair_rounds` rounds; and revisions of a reviewed version.

use serde::{Deserialize, Serialize};

use crate::client::{ChatClient, ChatMessage, Role};
use crate::config::{LlmPlannerConfig, Provider};
use crate::error::PlannerError;
use crate::extract::{Documents, Extracted, extract};
use crate::lint::{self, LintOutcome};
use crate::prompt::{self, RepoContext, ReviewComments};

/// What the user asked for, against which repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanRequest {
    /// The user's change request, e.g. "Add JWT authentication".
    pub prompt: String,
    pub title: String,
    pub repo: RepoContext,
    /// The repository's steering documents as one rendered section, empty when it has none.
    pub steering: String,
}

/// The tokens one HTTP call used.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallUsage {
    pub provider: Provider,
    pub model: String,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// The attempt (1-based) that succeeded; earlier attempts failed and reported no usage.
    pub attempt: u32,
    /// 0 for the first answer, then 1, 2 … for the repair rounds.
    pub round: u32,
}

/// One spec version as written by the model.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpecDraft {
    pub requirements: String,
    pub design: String,
    pub tasks: String,
    pub calls: Vec<CallUsage>,
    /// The linter's remaining findings, one per kind per file, as `file:line: level[CODE]: message`.
    pub lint: Vec<String>,
    /// The repair rounds ran out with errors left in `lint`: this is the best draft seen (fewest
    /// errors), and the caller decides whether to accept it.
    pub has_lint_errors: bool,
}

impl SpecDraft {
    pub fn input_tokens(&self) -> u64 {
        self.calls.iter().map(|c| c.input_tokens).sum()
    }

    pub fn output_tokens(&self) -> u64 {
        self.calls.iter().map(|c| c.output_tokens).sum()
    }
}

/// A planner of kind `llm`.
pub struct LlmPlanner {
    client: ChatClient,
    max_repair_rounds: u32,
    context_budget_bytes: usize,
}

impl LlmPlanner {
    pub fn new(config: LlmPlannerConfig) -> Result<Self, PlannerError> {
        if config.model.trim().is_empty() {
            return Err(PlannerError::InvalidConfig(format!("model name {:?} is empty", config.model)));
        }
        Ok(Self {
            client: ChatClient::new(&config)?,
            max_repair_rounds: config.max_repair_rounds,
            context_budget_bytes: config.context_budget_bytes,
        })
    }

    /// Writes version 1 of the spec for `request`.
    ///
    /// Fails when a call fails for good before any complete draft exists, or when the model never
    /// writes all three documents. Once a draft exists, a failing repair call returns that draft,
    /// flagged with its lint errors, rather than losing it.
    pub async fn generate(&self, request: &PlanRequest) -> Result<SpecDraft, PlannerError> {
        let first = prompt::generation_prompt(
            &request.title,
            &request.prompt,
            &request.steering,
            &request.repo,
            self.context_budget_bytes,
        );
        self.converse(first).await
    }

    /// Writes the next version: `previous` with the reviewer's `comments` addressed. Repairs and
    /// failures work as in [`LlmPlanner::generate`].
    pub async fn revise(
        &self,
        previous: &SpecDraft,
        comments: &ReviewComments,
    ) -> Result<SpecDraft, PlannerError> {
        let previous = Documents {
            requirements: previous.requirements.clone(),
            design: previous.design.clone(),
            tasks: previous.tasks.clone(),
        };
        self.converse(prompt::revision_prompt(&previous, comments)).await
    }

    /// Asks, then repairs until the draft lints clean or the rounds run out.
    async fn converse(&self, first: String) -> Result<SpecDraft, PlannerError> {
        let system = prompt::system_prompt();
        let mut messages = vec![ChatMessage { role: Role::User, content: first }];
        let mut calls = Vec::new();
        let mut found = Extracted::default();
        let mut best: Option<(Documents, LintOutcome)> = None;
        for round in 0..=self.max_repair_rounds {
            let completion = match self.client.complete(&system, &messages).await {
                Ok(completion) => completion,
                Err(err) => match best {
                    Some((documents, outcome)) => {
                        tracing::warn!(
                            error = %err, round,
                            "repair call failed, keeping the best draft"
                        );
                        return Ok(draft(documents, outcome, calls));
                    }
                    None => return Err(err),
                },
            };
            calls.push(CallUsage {
                provider: self.client.provider(),
                model: self.client.model().to_owned(),
                input_tokens: completion.reply.input_tokens,
                output_tokens: completion.reply.output_tokens,
                attempt: completion.attempt,
                round,
            });
            let mut answer = extract(&completion.reply.text);
            let cut_off = answer.unterminated.filter(|_| completion.reply.limit_reached);
            if cut_off.is_some() {
                answer = answer.without_unterminated();
            }
            found = answer.or(&found);
            let mut lint_errors = Vec::new();
            if let Some(documents) = found.complete() {
                let outcome = lint::check(&documents);
                if outcome.errors.is_empty() {
                    return Ok(draft(documents, outcome, calls));
                }
                lint_errors.clone_from(&outcome.errors);
                if best.as_ref().is_none_or(|(_, b)| outcome.errors.len() <= b.errors.len()) {
                    best = Some((documents, outcome));
                }
            }
            if round == self.max_repair_rounds {
                break;
            }
            tracing::info!(
                provider = %self.client.provider(), round,
                missing = ?found.missing(), lint_errors = lint_errors.len(), ?cut_off,
                "spec draft needs repair"
            );
            messages.push(ChatMessage { role: Role::Assistant, content: completion.reply.text });
            messages.push(ChatMessage {
                role: Role::User,
                content: prompt::repair_prompt(&found.missing(), &lint_errors, cut_off),
            });
        }
        match best {
            Some((documents, outcome)) => Ok(draft(documents, outcome, calls)),
            None => Err(PlannerError::IncompleteAnswer {
                provider: self.client.provider(),
                model: self.client.model().to_owned(),
                missing: found.missing().iter().map(|d| d.file_name()).collect::<Vec<_>>().join(", "),
                rounds: self.max_repair_rounds,
            }),
        }
    }
}

fn draft(documents: Documents, outcome: LintOutcome, calls: Vec<CallUsage>) -> SpecDraft {
    SpecDraft {
        requirements: documents.requirements,
        design: documents.design,
        tasks: documents.tasks,
        calls,
        has_lint_errors: !outcome.errors.is_empty(),
        lint: outcome.diagnostics,
    }
}
