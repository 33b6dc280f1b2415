//! The planning loop: ask the model, extract the three documents, lint them, send them back with
//! their errors for up to `max_repair_rounds` rounds; and revisions of a reviewed version. An answer
//! of questions alone is a draft without documents; the answers then drive the first draft.

use serde::{Deserialize, Serialize};
use spectask_spec::Template;

use crate::client::{ChatClient, ChatMessage, Role};
use crate::config::LlmPlannerConfig;
use crate::error::PlannerError;
use crate::extract::{Documents, ExtractedDocuments, extract};
use crate::lint::{self, LintOutcome};
use crate::prompt::{self, RepoContext, ReviewComments};
use crate::usage::CallUsage;
use spectask_core::SpecDocument;

/// What the user asked for, against which repository.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlanRequest {
    /// The user's change request, e.g. "Add JWT authentication".
    pub prompt: String,
    pub title: String,
    pub repo: RepoContext,
    /// The repository's steering documents as one rendered section, empty when it has none.
    pub steering: String,
    /// The workflow the spec follows: its rules go to the model, its gates to the lint.
    pub template: Template,
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
    /// What the model asks the person before the next version (at most five). With documents, the
    /// draft assumes the likeliest answers meanwhile; without ([`SpecDraft::is_questions_only`]),
    /// the answers come first.
    pub questions: Vec<String>,
    /// The model's own consistency check of the three documents: what it left inconsistent.
    pub consistency: Vec<String>,
}

impl SpecDraft {
    /// The model asked questions instead of writing the documents.
    pub fn is_questions_only(&self) -> bool {
        !self.questions.is_empty()
            && [&self.requirements, &self.design, &self.tasks].iter().all(|d| d.trim().is_empty())
    }

    pub fn input_tokens(&self) -> u64 {
        self.calls.iter().map(|c| c.input_tokens).sum()
    }

    pub fn output_tokens(&self) -> u64 {
        self.calls.iter().map(|c| c.output_tokens).sum()
    }
}

/// What may stop a planning before its next call: given the calls made so far, why not to make
/// another (a budget they reached), or `None` to go on.
pub type CallGuard = Box<dyn Fn(&[CallUsage]) -> Option<String> + Send + Sync>;

/// A planner of kind `llm`.
pub struct LlmPlanner {
    client: ChatClient,
    max_repair_rounds: u32,
    context_budget_bytes: usize,
    guard: Option<CallGuard>,
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
            guard: None,
        })
    }

    /// Weighs the calls made so far with `guard` before each repair call: when it gives a reason,
    /// no more call is made. The best draft so far is returned, or without one
    /// [`PlannerError::Stopped`] with the reason and the calls.
    #[must_use]
    pub fn stop_when(mut self, guard: CallGuard) -> Self {
        self.guard = Some(guard);
        self
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
        self.converse(first, &request.template).await
    }

    /// Writes the next version of `request`'s spec: `previous` with the reviewer's `comments`
    /// addressed, or, when `previous` only asked questions, the first draft with the person's
    /// answers (in `comments`). Repairs and failures work as in [`LlmPlanner::generate`].
    pub async fn revise(
        &self,
        request: &PlanRequest,
        previous: &SpecDraft,
        comments: &ReviewComments,
    ) -> Result<SpecDraft, PlannerError> {
        let first = if previous.is_questions_only() {
            let mut text = prompt::generation_prompt(
                &request.title,
                &request.prompt,
                &request.steering,
                &request.repo,
                self.context_budget_bytes,
            );
            text.push_str(&prompt::answers_section(&previous.questions, comments));
            text
        } else {
            let previous = Documents {
                requirements: previous.requirements.clone(),
                design: previous.design.clone(),
                tasks: previous.tasks.clone(),
            };
            prompt::revision_prompt(&previous, comments, &request.steering)
        };
        let revised = self.converse(first, &request.template).await?;
        if revised.is_questions_only() && !previous.is_questions_only() {
            // A revision that only asks keeps the documents under review, with its questions:
            // the person answers them without losing the spec.
            return Ok(SpecDraft {
                requirements: previous.requirements.clone(),
                design: previous.design.clone(),
                tasks: previous.tasks.clone(),
                lint: previous.lint.clone(),
                has_lint_errors: previous.has_lint_errors,
                consistency: previous.consistency.clone(),
                ..revised
            });
        }
        Ok(revised)
    }

    /// Asks, then repairs until the draft lints clean or the rounds run out.
    async fn converse(&self, first: String, template: &Template) -> Result<SpecDraft, PlannerError> {
        let system = prompt::system_prompt(template);
        let mut messages = vec![ChatMessage { role: Role::User, content: first }];
        let mut calls = Vec::new();
        let mut found = ExtractedDocuments::default();
        let mut asked: Vec<String> = Vec::new();
        let mut checked: Vec<String> = Vec::new();
        // The best draft seen, with the consistency check that came with its documents.
        let mut best: Option<(Documents, LintOutcome, Vec<String>)> = None;
        for round in 0..=self.max_repair_rounds {
            let completion = match self.client.complete(&system, &messages).await {
                Ok(completion) => completion,
                Err(err) => match best {
                    Some((documents, outcome, checked)) => {
                        tracing::warn!(
                            error = %err, round,
                            "repair call failed, keeping the best draft"
                        );
                        return Ok(draft(documents, outcome, calls, asked, checked));
                    }
                    // What earlier calls spent goes with the failure, to be counted.
                    None if calls.is_empty() => return Err(err),
                    None => return Err(PlannerError::AfterCalls { failure: Box::new(err), calls }),
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
            let questions = crate::extract::questions(&completion.reply.text);
            let asks = !questions.is_empty();
            if asks {
                asked = questions;
            }
            let consistency = crate::extract::consistency(&completion.reply.text);
            let mut answer = extract(&completion.reply.text);
            // An answer with the three documents checked them: its list, even empty, is the one.
            if answer.complete().is_some() || !consistency.is_empty() {
                checked = consistency;
            }
            let cut_off = answer.unterminated.filter(|_| completion.reply.limit_reached);
            if cut_off.is_some() {
                answer = answer.without_unterminated();
            }
            found = answer.or(&found);
            // Questions and no document at all: the model needs the answers before a first draft.
            if asks && found.missing().len() == SpecDocument::ALL.len() {
                return Ok(draft(Documents::default(), LintOutcome::default(), calls, asked, Vec::new()));
            }
            let mut lint_errors = Vec::new();
            if let Some(documents) = found.complete() {
                let outcome = lint::check(template, &documents);
                if outcome.errors.is_empty() {
                    return Ok(draft(documents, outcome, calls, asked, checked));
                }
                lint_errors.clone_from(&outcome.errors);
                if best.as_ref().is_none_or(|(_, b, _)| outcome.errors.len() <= b.errors.len()) {
                    best = Some((documents, outcome, checked.clone()));
                }
            }
            if round == self.max_repair_rounds {
                break;
            }
            if let Some(reason) = self.guard.as_ref().and_then(|guard| guard(&calls)) {
                tracing::info!(round, %reason, "the planning stops before its next call");
                return match best {
                    Some((documents, outcome, checked)) => {
                        Ok(draft(documents, outcome, calls, asked, checked))
                    }
                    None => Err(PlannerError::Stopped { reason, calls }),
                };
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
            Some((documents, outcome, checked)) => Ok(draft(documents, outcome, calls, asked, checked)),
            None => Err(PlannerError::IncompleteAnswer {
                provider: self.client.provider(),
                model: self.client.model().to_owned(),
                missing: found.missing().iter().map(|d| d.file_name()).collect::<Vec<_>>().join(", "),
                rounds: self.max_repair_rounds,
                calls,
            }),
        }
    }
}

fn draft(
    documents: Documents,
    outcome: LintOutcome,
    calls: Vec<CallUsage>,
    questions: Vec<String>,
    consistency: Vec<String>,
) -> SpecDraft {
    SpecDraft {
        requirements: documents.requirements,
        design: documents.design,
        tasks: documents.tasks,
        calls,
        has_lint_errors: !outcome.errors.is_empty(),
        lint: outcome.diagnostics,
        questions,
        consistency,
    }
}
